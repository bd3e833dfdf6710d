/**
 * The server's side of the opening handshake (RFC 6455 section 4.2): validate the client's upgrade
 * request and produce the 101 response headers, or a rejection to answer with.
 * @module
 */

import { computeAccept } from './accept.js';
import { base64DecodedLength } from './base64.js';
import { excerpt, HandshakeError } from '../errors.js';
import {
  disposeExtensions,
  type Extension,
  type ExtensionOffer,
  type ServerExtensionNegotiator,
} from '../extensions/extension.js';
import { formatSharedResponses, parseSharedOffers } from './extension-header.js';
import { forEachHeader, getHeaderValues, type HeadersInput, isToken, listHasToken, splitList, valueHasToken } from './headers.js';

/** Options for {@link upgrade}. */
export interface ServerHandshakeOptions {
  /** Picks one of the offered subprotocols (in client order) or undefined for none. */
  selectProtocol?: (offered: readonly string[]) => string | undefined;
  /** Server-side extension negotiators, in order of preference. */
  extensions?: readonly ServerExtensionNegotiator[];
  /**
   * Computes `Sec-WebSocket-Accept` for the client's key (already checked to be base64 of 16 bytes).
   * Default: {@link computeAccept}, SHA-1 written in TypeScript. An adapter may pass one built on its
   * runtime's native SHA-1; it must return the same string. WHY the hook: in a freshly started server
   * the TypeScript SHA-1 first runs in the interpreter and is then compiled by the optimizing JIT on a
   * background thread, which costs more CPU over the first thousands of handshakes than a native hash.
   */
  computeAccept?: ((key: string) => string) | undefined;
}

/** The outcome of {@link upgrade}: 101 response headers, or the error response to send instead. */
export type UpgradeResult =
  | { ok: true; headers: [string, string][]; protocol: string | undefined; extensions: Extension[] }
  | { ok: false; status: number; reason: string; headers: [string, string][] };

/**
 * Whether the request asks for a WebSocket upgrade: `Upgrade: websocket` and a `Connection` token list
 * containing `upgrade` (both ASCII case-insensitive). Use it to route; {@link upgrade} validates fully.
 */
export function isWebSocketUpgrade(headers: HeadersInput): boolean {
  return (
    listHasToken(getHeaderValues(headers, 'upgrade'), 'websocket') &&
    listHasToken(getHeaderValues(headers, 'connection'), 'upgrade')
  );
}

/** Every value a header was given: none, one (the usual case, kept unboxed) or several, in order. */
type Values = string | string[] | undefined;

function add(slot: Values, value: string): Values {
  if (slot === undefined) return value;
  if (typeof slot === 'string') return [slot, value];
  slot.push(value);
  return slot;
}

/** The request headers the handshake reads. */
interface HandshakeFields {
  upgrade: Values;
  connection: Values;
  version: Values;
  host: Values;
  key: Values;
  protocol: Values;
  extensions: Values;
}

/**
 * Gathers the handshake's headers in one pass over the request headers, matching names
 * case-insensitively and keeping repeated ones (so they can be refused). WHY one pass: looking up
 * seven names one by one walked every header (and lower-cased its name) seven times per handshake.
 */
function collect(headers: HeadersInput): HandshakeFields {
  const fields: HandshakeFields = {
    upgrade: undefined,
    connection: undefined,
    version: undefined,
    host: undefined,
    key: undefined,
    protocol: undefined,
    extensions: undefined,
  };
  forEachHeader(headers, file, fields);
  return fields;
}

function file(fields: HandshakeFields, name: string, value: string): void {
  // Node hands over lower-case names already; toLowerCase returns those unchanged.
  switch (name.toLowerCase()) {
    case 'upgrade':
      fields.upgrade = add(fields.upgrade, value);
      break;
    case 'connection':
      fields.connection = add(fields.connection, value);
      break;
    case 'sec-websocket-version':
      fields.version = add(fields.version, value);
      break;
    case 'host':
      fields.host = add(fields.host, value);
      break;
    case 'sec-websocket-key':
      fields.key = add(fields.key, value);
      break;
    case 'sec-websocket-protocol':
      fields.protocol = add(fields.protocol, value);
      break;
    case 'sec-websocket-extensions':
      fields.extensions = add(fields.extensions, value);
      break;
  }
}

/** Whether a list header's values contain `lowerToken`. */
function hasToken(slot: Values, lowerToken: string): boolean {
  if (slot === undefined) return false;
  return typeof slot === 'string' ? valueHasToken(slot, lowerToken) : listHasToken(slot, lowerToken);
}

/** Exactly one non-empty value for a header that must not repeat, or undefined. */
function single(slot: Values): string | undefined {
  if (typeof slot !== 'string') return undefined;
  const value = slot.trim();
  return value === '' ? undefined : value;
}

function reject(error: HandshakeError): UpgradeResult {
  return { ok: false, status: error.status, reason: error.message, headers: error.headers };
}

/**
 * Validates a client's opening handshake (the HTTP method and version are the adapter's to check: GET,
 * HTTP/1.1 or later) and negotiates the subprotocol and extensions.
 *
 * Rejections: 426 with `Sec-WebSocket-Version: 13` for a missing or other version, 400 for anything else
 * malformed, or the status of a HandshakeError thrown by a negotiator. Throws TypeError when
 * `selectProtocol` returns a protocol the client did not offer (a bug in the caller, not the peer).
 */
export function upgrade(headers: HeadersInput, options: ServerHandshakeOptions = {}): UpgradeResult {
  try {
    return accept(headers, options);
  } catch (error) {
    if (error instanceof HandshakeError) return reject(error);
    throw error;
  }
}

function accept(headers: HeadersInput, options: ServerHandshakeOptions): UpgradeResult {
  const fields = collect(headers);
  if (!hasToken(fields.upgrade, 'websocket')) {
    throw new HandshakeError(400, 'Missing or invalid Upgrade header: expected "websocket"');
  }
  if (!hasToken(fields.connection, 'upgrade')) {
    throw new HandshakeError(400, 'Missing or invalid Connection header: expected the token "upgrade"');
  }
  // RFC 6455 section 4.2.2: a version we do not speak gets 426 naming the one we do.
  if (single(fields.version) !== '13') {
    throw new HandshakeError(426, 'Unsupported Sec-WebSocket-Version: expected 13', [['Sec-WebSocket-Version', '13']]);
  }
  if (single(fields.host) === undefined) {
    throw new HandshakeError(400, 'Missing Host header');
  }
  const key = single(fields.key);
  if (key === undefined || base64DecodedLength(key) !== 16) {
    throw new HandshakeError(400, 'Missing or invalid Sec-WebSocket-Key: must be base64 of 16 bytes');
  }

  const response: [string, string][] = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', (options.computeAccept ?? computeAccept)(key)],
  ];
  return negotiate(fields.protocol, fields.extensions, options, response, 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions');
}

/**
 * Subprotocol selection and extension negotiation, shared by the HTTP/1.1 upgrade and the HTTP/2
 * extended CONNECT (RFC 8441 section 5 keeps both headers' meaning): appends the agreed headers to
 * `response` under the given names (HTTP/2 wants them in lower case). Throws HandshakeError to refuse.
 * @internal
 */
export function negotiate(
  protocolValues: string | readonly string[] | undefined,
  extensionValues: string | readonly string[] | undefined,
  options: ServerHandshakeOptions,
  response: [string, string][],
  protocolHeader: string,
  extensionsHeader: string,
): UpgradeResult {
  const offered =
    protocolValues === undefined ? [] : splitList(typeof protocolValues === 'string' ? [protocolValues] : protocolValues);
  for (const protocol of offered) {
    if (!isToken(protocol)) throw new HandshakeError(400, `Invalid subprotocol name ${excerpt(protocol)}`);
  }
  if (offered.length > 1 && new Set(offered).size !== offered.length)
    throw new HandshakeError(400, 'Duplicate subprotocol offered');
  let protocol: string | undefined;
  if (offered.length > 0 && options.selectProtocol) {
    protocol = options.selectProtocol(offered);
    if (protocol !== undefined && !offered.includes(protocol)) {
      throw new TypeError(`selectProtocol returned ${JSON.stringify(protocol)}, which the client did not offer`);
    }
  }
  if (protocol !== undefined) response.push([protocolHeader, protocol]);

  const extensions: Extension[] = [];
  if (extensionValues !== undefined && options.extensions && options.extensions.length > 0) {
    const offers = parseSharedOffers(extensionValues);
    const responses: ExtensionOffer[] = [];
    let rsv1Claimed = false;
    try {
      for (const negotiator of options.extensions) {
        const wanted = negotiator.name.toLowerCase();
        const mine: ExtensionOffer[] = [];
        for (const offer of offers) if (offer.name.toLowerCase() === wanted) mine.push(offer);
        if (mine.length === 0) continue;
        const result = negotiator.accept(mine);
        if (result === undefined) continue;
        // Only one extension can own RSV1; a second claimant is declined rather than left ambiguous.
        if (result.extension.rsv1 && rsv1Claimed) {
          disposeExtensions([result.extension]);
          continue;
        }
        rsv1Claimed ||= result.extension.rsv1;
        responses.push(result.response);
        extensions.push(result.extension);
      }
    } catch (error) {
      disposeExtensions(extensions);
      throw error;
    }
    if (responses.length > 0) response.push([extensionsHeader, formatSharedResponses(responses)]);
  } else if (extensionValues !== undefined) {
    // Nothing to negotiate, but the header must still be well-formed.
    parseSharedOffers(extensionValues);
  }
  return { ok: true, headers: response, protocol, extensions };
}
