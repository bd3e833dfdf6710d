/**
 * The client's side of the opening handshake (RFC 6455 sections 4.1 and 4.2.2): build the request, then
 * validate the server's response.
 * @module
 */

import { computeAccept } from './accept.js';
import { base64Encode } from './base64.js';
import { HandshakeError } from '../errors.js';
import {
  disposeExtensions,
  type ClientExtensionNegotiator,
  type Extension,
  type ExtensionOffer,
} from '../extensions/extension.js';
import { formatExtensionHeader, parseExtensionHeader } from './extension-header.js';
import { getHeaderValues, headerPairs, type HeadersInput, isToken, listHasToken, splitList } from './headers.js';

/** Options for {@link createClientHandshake}. */
export interface ClientHandshakeOptions {
  /** Value of the Host header (host, plus `:port` when not the default). */
  host: string;
  /** Request target: path and query. */
  path: string;
  /** Subprotocols to offer, in order of preference; each must be a token, no duplicates. */
  protocols?: readonly string[];
  /** Extension negotiators whose offers go into `Sec-WebSocket-Extensions`. */
  extensions?: readonly ClientExtensionNegotiator[];
  /** Extra headers (Origin, Cookie, Authorization...). The handshake's own headers cannot be overridden. */
  headers?: HeadersInput;
  /** Fills `bytes` with cryptographically secure random bytes (e.g. `crypto.getRandomValues`). */
  random: (bytes: Uint8Array) => void;
}

/** A request built by {@link createClientHandshake}; keep it to validate the response. */
export interface ClientHandshake {
  /** The `Sec-WebSocket-Key` sent. */
  readonly key: string;
  /** Request headers, including Host, Upgrade, Connection, Sec-WebSocket-Key and Sec-WebSocket-Version. */
  readonly headers: [string, string][];
  /** The subprotocols offered. */
  readonly protocols: readonly string[];
  /** The negotiators whose offers were sent. */
  readonly extensions: readonly ClientExtensionNegotiator[];
}

/** The negotiated outcome of a successful handshake. */
export interface ClientHandshakeResult {
  protocol: string | undefined;
  extensions: Extension[];
}

/** Headers the handshake owns; extra headers may not set them. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/**
 * True for a header the opening handshake sets itself (`Upgrade`, `Connection`, `Sec-WebSocket-*`),
 * which a caller's extra headers may not override. Case-insensitive. Exported so an adapter can refuse
 * such an option before any I/O with the same list the codec enforces.
 */
export function isHandshakeHeader(name: string): boolean {
  return HANDSHAKE_HEADERS.has(name.toLowerCase());
}

/**
 * Builds the opening handshake request headers. Throws TypeError for an invalid or duplicate subprotocol
 * or an extra header that would override one of the handshake's own.
 */
export function createClientHandshake(options: ClientHandshakeOptions): ClientHandshake {
  const protocols = options.protocols ?? [];
  for (const protocol of protocols) {
    if (!isToken(protocol)) throw new TypeError(`Invalid subprotocol name ${JSON.stringify(protocol)}`);
  }
  if (new Set(protocols).size !== protocols.length) throw new TypeError('Duplicate subprotocol name');

  const nonce = new Uint8Array(16);
  options.random(nonce);
  const key = base64Encode(nonce);

  let host = options.host;
  const extra: [string, string][] = [];
  for (const [name, value] of options.headers ? headerPairs(options.headers) : []) {
    const lower = name.toLowerCase();
    if (isHandshakeHeader(lower)) throw new TypeError(`Header ${name} is set by the WebSocket handshake`);
    if (lower === 'host') host = value;
    else extra.push([name, value]);
  }

  const headers: [string, string][] = [
    ['Host', host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13'],
  ];
  if (protocols.length > 0) headers.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  const extensions = options.extensions ?? [];
  const offers: ExtensionOffer[] = [];
  for (const negotiator of extensions) offers.push(...negotiator.offer());
  if (offers.length > 0) headers.push(['Sec-WebSocket-Extensions', formatExtensionHeader(offers)]);
  headers.push(...extra);
  return { key, headers, protocols: [...protocols], extensions: [...extensions] };
}

function fail(status: number, message: string): HandshakeError {
  return new HandshakeError(status, message);
}

/**
 * Validates the server's response to `handshake` (RFC 6455 section 4.1, client requirements 1-6).
 * Throws HandshakeError naming what was wrong (its `status` is the status received).
 */
export function acceptClientHandshake(handshake: ClientHandshake, status: number, headers: HeadersInput): ClientHandshakeResult {
  if (status !== 101) throw fail(status, `Unexpected server response: ${status} (expected 101 Switching Protocols)`);
  if (!listHasToken(getHeaderValues(headers, 'upgrade'), 'websocket')) {
    throw fail(status, 'Invalid Upgrade header in the response: expected "websocket"');
  }
  if (!listHasToken(getHeaderValues(headers, 'connection'), 'upgrade')) {
    throw fail(status, 'Invalid Connection header in the response: expected "upgrade"');
  }
  const acceptValues = getHeaderValues(headers, 'sec-websocket-accept');
  if (acceptValues.length !== 1 || acceptValues[0]!.trim() !== computeAccept(handshake.key)) {
    throw fail(status, 'Missing or invalid Sec-WebSocket-Accept header');
  }

  return checkNegotiation(handshake, status, headers);
}

/**
 * The subprotocol and extensions the server agreed to, checked against what `offered` sent: shared by
 * the HTTP/1.1 response and the HTTP/2 extended CONNECT's 200. Throws HandshakeError.
 * @internal
 */
export function checkNegotiation(
  offered: Pick<ClientHandshake, 'protocols' | 'extensions'>,
  status: number,
  headers: HeadersInput,
): ClientHandshakeResult {
  let protocol: string | undefined;
  const protocolValues = getHeaderValues(headers, 'sec-websocket-protocol');
  if (protocolValues.length > 0) {
    const list = splitList(protocolValues);
    if (list.length !== 1) throw fail(status, 'Server sent more than one subprotocol');
    protocol = list[0]!;
    if (!offered.protocols.includes(protocol)) {
      throw fail(status, `Server selected subprotocol ${JSON.stringify(protocol)}, which was not offered`);
    }
  }

  const extensions: Extension[] = [];
  const extensionValues = getHeaderValues(headers, 'sec-websocket-extensions');
  if (extensionValues.length > 0) {
    let responses: ExtensionOffer[];
    try {
      responses = parseExtensionHeader(extensionValues);
    } catch (error) {
      throw fail(status, (error as Error).message);
    }
    const seen = new Set<string>();
    let rsv1Claimed = false;
    try {
      for (const response of responses) {
        const name = response.name.toLowerCase();
        const negotiator = offered.extensions.find((n) => n.name.toLowerCase() === name);
        if (!negotiator) throw fail(status, `Server accepted extension ${JSON.stringify(response.name)}, which was not offered`);
        if (seen.has(name)) throw fail(status, `Server accepted extension ${JSON.stringify(response.name)} twice`);
        seen.add(name);
        const extension = negotiator.accept(response);
        extensions.push(extension);
        if (extension.rsv1 && rsv1Claimed) throw fail(status, 'Two negotiated extensions both claim RSV1');
        rsv1Claimed ||= extension.rsv1;
      }
    } catch (error) {
      disposeExtensions(extensions);
      throw error;
    }
  }
  return { protocol, extensions };
}
