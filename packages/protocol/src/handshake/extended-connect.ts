/**
 * The opening handshake of a WebSocket over HTTP/2 (RFC 8441): an extended CONNECT request
 * (`:method CONNECT`, `:protocol websocket`) answered by a 200, on a stream of an HTTP/2 connection
 * whose server sent `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`. Both sides, sans-I/O like the HTTP/1.1
 * handshake beside it: headers in, headers or a refusal out.
 *
 * What differs from RFC 6455's handshake (RFC 8441 section 5): no `Upgrade`/`Connection` (HTTP/2
 * forbids connection-specific headers), no `Sec-WebSocket-Key` and no `Sec-WebSocket-Accept` (the
 * stream itself proves the server understood the request), 200 instead of 101. Subprotocols,
 * extensions and `Sec-WebSocket-Version` keep their meaning. HTTP/2 header names are lower case.
 * @module
 */

import { excerpt, HandshakeError } from '../errors.js';
import type { ClientExtensionNegotiator, ExtensionOffer } from '../extensions/extension.js';
import { checkNegotiation, type ClientHandshakeResult, isHandshakeHeader } from './client.js';
import { formatExtensionHeader } from './extension-header.js';
import { forEachHeader, headerPairs, type HeadersInput, isToken } from './headers.js';
import { negotiate, type ServerHandshakeOptions, type UpgradeResult } from './server.js';

/** The `:protocol` value that asks for a WebSocket (the Upgrade token registered by RFC 6455). */
export const WEBSOCKET_PROTOCOL = 'websocket';

/** The request fields an extended CONNECT is judged by, each with every value it was given. */
interface ConnectFields {
  method: string[];
  protocol: string[];
  scheme: string[];
  path: string[];
  authority: string[];
  host: string[];
  version: string[];
  subprotocols: string[];
  extensions: string[];
}

function file(fields: ConnectFields, name: string, value: string): void {
  switch (name.toLowerCase()) {
    case ':method':
      fields.method.push(value);
      break;
    case ':protocol':
      fields.protocol.push(value);
      break;
    case ':scheme':
      fields.scheme.push(value);
      break;
    case ':path':
      fields.path.push(value);
      break;
    case ':authority':
      fields.authority.push(value);
      break;
    case 'host':
      fields.host.push(value);
      break;
    case 'sec-websocket-version':
      fields.version.push(value);
      break;
    case 'sec-websocket-protocol':
      fields.subprotocols.push(value);
      break;
    case 'sec-websocket-extensions':
      fields.extensions.push(value);
      break;
  }
}

/** The one value of a field that must appear once and not be empty, or undefined. */
function single(values: readonly string[]): string | undefined {
  if (values.length !== 1) return undefined;
  const value = values[0]!.trim();
  return value === '' ? undefined : value;
}

/**
 * Whether an HTTP/2 request is an extended CONNECT asking for a WebSocket (`:method CONNECT` and
 * `:protocol websocket`). Use it to route; {@link acceptExtendedConnect} validates fully.
 */
export function isExtendedConnect(headers: HeadersInput): boolean {
  const fields = collect(headers);
  return single(fields.method) === 'CONNECT' && single(fields.protocol)?.toLowerCase() === WEBSOCKET_PROTOCOL;
}

function collect(headers: HeadersInput): ConnectFields {
  const fields: ConnectFields = {
    method: [],
    protocol: [],
    scheme: [],
    path: [],
    authority: [],
    host: [],
    version: [],
    subprotocols: [],
    extensions: [],
  };
  forEachHeader(headers, file, fields);
  return fields;
}

/**
 * Validates an HTTP/2 extended CONNECT (RFC 8441 sections 4 and 5) and negotiates the subprotocol and
 * extensions. Pass the stream's headers with their pseudo-headers (`:method`, `:protocol`, `:scheme`,
 * `:path`, `:authority`), as Node's `'stream'` event hands them over.
 *
 * On success `headers` are the response headers to send with `:status 200` (lower-case names:
 * `sec-websocket-protocol`, `sec-websocket-extensions` when agreed; nothing else, RFC 8441 section 5).
 *
 * Refusals:
 * - 405 (with `allow: CONNECT`) when `:method` is not CONNECT;
 * - 400 when `:protocol` is missing (a plain CONNECT asks for a TCP tunnel, not a WebSocket);
 * - 501 when `:protocol` names another protocol: the server does not implement that tunnel (RFC 8441
 *   leaves the status open; 501 is HTTP's "functionality not supported");
 * - 400 when `:scheme`, `:path` or the authority (`:authority`, or `host`) is missing: RFC 8441
 *   section 4 requires the first two on an extended CONNECT, RFC 9113 section 8.5 the third;
 * - 400 with `sec-websocket-version: 13` for a missing or other version. Not RFC 6455's 426: that
 *   status asks the client to upgrade the protocol, which HTTP/2 has no way to do;
 * - 400 for a malformed subprotocol or extension offer, or the status of a HandshakeError a negotiator
 *   throws.
 * Throws TypeError when `selectProtocol` returns a protocol the client did not offer.
 */
export function acceptExtendedConnect(headers: HeadersInput, options: ServerHandshakeOptions = {}): UpgradeResult {
  try {
    return accept(headers, options);
  } catch (error) {
    if (error instanceof HandshakeError)
      return { ok: false, status: error.status, reason: error.message, headers: error.headers };
    throw error;
  }
}

function accept(headers: HeadersInput, options: ServerHandshakeOptions): UpgradeResult {
  const fields = collect(headers);
  const method = single(fields.method);
  if (method !== 'CONNECT') {
    throw new HandshakeError(405, `Method ${excerpt(method ?? '')} not allowed: a WebSocket over HTTP/2 is an extended CONNECT`, [
      ['allow', 'CONNECT'],
    ]);
  }
  const protocol = single(fields.protocol);
  if (protocol === undefined) {
    throw new HandshakeError(400, 'Not an extended CONNECT: missing :protocol (expected "websocket")');
  }
  if (protocol.toLowerCase() !== WEBSOCKET_PROTOCOL) {
    throw new HandshakeError(501, `Unsupported :protocol ${excerpt(protocol)}: only "websocket" is served`);
  }
  if (single(fields.scheme) === undefined) throw new HandshakeError(400, 'Missing :scheme on an extended CONNECT');
  if (single(fields.path) === undefined) throw new HandshakeError(400, 'Missing :path on an extended CONNECT');
  if (single(fields.authority) === undefined && single(fields.host) === undefined) {
    throw new HandshakeError(400, 'Missing :authority on an extended CONNECT');
  }
  if (single(fields.version) !== '13') {
    throw new HandshakeError(400, 'Unsupported sec-websocket-version: expected 13', [['sec-websocket-version', '13']]);
  }
  return negotiate(
    fields.subprotocols.length === 0 ? undefined : fields.subprotocols,
    fields.extensions.length === 0 ? undefined : fields.extensions,
    options,
    [],
    'sec-websocket-protocol',
    'sec-websocket-extensions',
  );
}

/** Options for {@link createExtendedConnectRequest}. */
export interface ExtendedConnectOptions {
  /** `:authority`: host, plus `:port` when not the default. */
  authority: string;
  /** `:path`: path and query. */
  path: string;
  /** `:scheme`: `https` for `wss:` URLs, `http` for `ws:` ones. */
  scheme: 'https' | 'http';
  /** Subprotocols to offer, in order of preference; each must be a token, no duplicates. */
  protocols?: readonly string[];
  /** Extension negotiators whose offers go into `sec-websocket-extensions`. */
  extensions?: readonly ClientExtensionNegotiator[];
  /**
   * Extra headers (origin, cookie, authorization...), sent with lower-case names. The handshake's own
   * headers, pseudo-headers and HTTP/2's forbidden connection-specific headers are refused; `host`
   * replaces the authority.
   */
  headers?: HeadersInput;
}

/** A request built by {@link createExtendedConnectRequest}; keep it to check the response. */
export interface ExtendedConnectRequest {
  /** The request's headers, pseudo-headers first, all names lower case. */
  readonly headers: [string, string][];
  /** The subprotocols offered. */
  readonly protocols: readonly string[];
  /** The negotiators whose offers were sent. */
  readonly extensions: readonly ClientExtensionNegotiator[];
}

/** Connection-specific headers HTTP/2 forbids (RFC 9113 section 8.2.2); `te` is allowed as `trailers` only. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
]);

/**
 * Builds the extended CONNECT request of a WebSocket over HTTP/2. Send it only once the server's
 * SETTINGS said `enableConnectProtocol` (RFC 8441 section 3). Throws TypeError for an invalid or
 * duplicate subprotocol, or an extra header that the handshake sets itself or HTTP/2 forbids.
 */
export function createExtendedConnectRequest(options: ExtendedConnectOptions): ExtendedConnectRequest {
  const protocols = options.protocols ?? [];
  for (const protocol of protocols) {
    if (!isToken(protocol)) throw new TypeError(`Invalid subprotocol name ${JSON.stringify(protocol)}`);
  }
  if (new Set(protocols).size !== protocols.length) throw new TypeError('Duplicate subprotocol name');
  let authority = options.authority;
  const extra: [string, string][] = [];
  for (const [name, value] of options.headers ? headerPairs(options.headers) : []) {
    const lower = name.toLowerCase();
    if (isHandshakeHeader(lower) || lower.startsWith(':'))
      throw new TypeError(`Header ${name} is set by the WebSocket handshake`);
    if (CONNECTION_SPECIFIC.has(lower)) throw new TypeError(`Header ${name} is connection-specific, which HTTP/2 forbids`);
    if (lower === 'host') authority = value;
    else extra.push([lower, value]);
  }
  const headers: [string, string][] = [
    [':method', 'CONNECT'],
    [':protocol', WEBSOCKET_PROTOCOL],
    [':scheme', options.scheme],
    [':authority', authority],
    [':path', options.path],
    ['sec-websocket-version', '13'],
  ];
  if (protocols.length > 0) headers.push(['sec-websocket-protocol', protocols.join(', ')]);
  const extensions = options.extensions ?? [];
  const offers: ExtensionOffer[] = [];
  for (const negotiator of extensions) offers.push(...negotiator.offer());
  if (offers.length > 0) headers.push(['sec-websocket-extensions', formatExtensionHeader(offers)]);
  headers.push(...extra);
  return { headers, protocols: [...protocols], extensions: [...extensions] };
}

/**
 * Checks the server's response to an extended CONNECT: any 2xx opens the tunnel (RFC 9110 section
 * 9.3.6; servers send 200), then the subprotocol and extensions are checked against what was offered,
 * as for HTTP/1.1. Throws HandshakeError naming what was wrong (its `status` is the status received).
 */
export function checkExtendedConnectResponse(
  request: ExtendedConnectRequest,
  status: number,
  headers: HeadersInput,
): ClientHandshakeResult {
  if (status < 200 || status > 299) {
    throw new HandshakeError(status, `Unexpected server response: ${status} (expected 200 to an extended CONNECT)`);
  }
  return checkNegotiation(request, status, headers);
}
