/**
 * The server's side of the opening handshake (RFC 6455 section 4.2): validate the client's upgrade
 * request and produce the 101 response headers, or a rejection to answer with.
 * @module
 */

import { computeAccept } from './accept.js';
import { base64Decode } from './base64.js';
import { HandshakeError } from './errors.js';
import { disposeAll, type Extension, type ExtensionOffer, type ServerExtensionNegotiator } from './extension.js';
import { formatExtensionHeader, parseExtensionHeader } from './extension-header.js';
import { getHeaderValues, type HeadersInput, isToken, listHasToken, splitList } from './headers.js';

/** Options for {@link upgrade}. */
export interface ServerHandshakeOptions {
  /** Picks one of the offered subprotocols (in client order) or undefined for none. */
  selectProtocol?: (offered: readonly string[]) => string | undefined;
  /** Server-side extension negotiators, in order of preference. */
  extensions?: readonly ServerExtensionNegotiator[];
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

/** Exactly one non-empty value for a header that must not repeat, or undefined. */
function single(headers: HeadersInput, name: string): string | undefined {
  const values = getHeaderValues(headers, name);
  if (values.length !== 1) return undefined;
  const value = values[0]!.trim();
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
  if (!listHasToken(getHeaderValues(headers, 'upgrade'), 'websocket')) {
    throw new HandshakeError(400, 'Missing or invalid Upgrade header: expected "websocket"');
  }
  if (!listHasToken(getHeaderValues(headers, 'connection'), 'upgrade')) {
    throw new HandshakeError(400, 'Missing or invalid Connection header: expected the token "upgrade"');
  }
  // RFC 6455 section 4.2.2: a version we do not speak gets 426 naming the one we do.
  if (single(headers, 'sec-websocket-version') !== '13') {
    throw new HandshakeError(426, 'Unsupported Sec-WebSocket-Version: expected 13', [['Sec-WebSocket-Version', '13']]);
  }
  if (single(headers, 'host') === undefined) {
    throw new HandshakeError(400, 'Missing Host header');
  }
  const key = single(headers, 'sec-websocket-key');
  const decodedKey = key === undefined ? undefined : base64Decode(key);
  if (key === undefined || decodedKey === undefined || decodedKey.length !== 16) {
    throw new HandshakeError(400, 'Missing or invalid Sec-WebSocket-Key: must be base64 of 16 bytes');
  }

  const offered = splitList(getHeaderValues(headers, 'sec-websocket-protocol'));
  for (const protocol of offered) {
    if (!isToken(protocol)) throw new HandshakeError(400, `Invalid subprotocol name ${JSON.stringify(protocol)}`);
  }
  if (new Set(offered).size !== offered.length) throw new HandshakeError(400, 'Duplicate subprotocol offered');
  let protocol: string | undefined;
  if (offered.length > 0 && options.selectProtocol) {
    protocol = options.selectProtocol(offered);
    if (protocol !== undefined && !offered.includes(protocol)) {
      throw new TypeError(`selectProtocol returned ${JSON.stringify(protocol)}, which the client did not offer`);
    }
  }

  const response: [string, string][] = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', computeAccept(key)],
  ];
  if (protocol !== undefined) response.push(['Sec-WebSocket-Protocol', protocol]);

  const extensions: Extension[] = [];
  const extensionValues = getHeaderValues(headers, 'sec-websocket-extensions');
  if (extensionValues.length > 0 && options.extensions && options.extensions.length > 0) {
    const offers = parseExtensionHeader(extensionValues);
    const responses: ExtensionOffer[] = [];
    let rsv1Claimed = false;
    try {
      for (const negotiator of options.extensions) {
        const wanted = negotiator.name.toLowerCase();
        const mine = offers.filter((offer) => offer.name.toLowerCase() === wanted);
        if (mine.length === 0) continue;
        const result = negotiator.accept(mine);
        if (result === undefined) continue;
        // Only one extension can own RSV1; a second claimant is declined rather than left ambiguous.
        if (result.extension.rsv1 && rsv1Claimed) {
          disposeAll([result.extension]);
          continue;
        }
        rsv1Claimed ||= result.extension.rsv1;
        responses.push(result.response);
        extensions.push(result.extension);
      }
    } catch (error) {
      disposeAll(extensions);
      throw error;
    }
    if (responses.length > 0) response.push(['Sec-WebSocket-Extensions', formatExtensionHeader(responses)]);
  } else if (extensionValues.length > 0) {
    // Nothing to negotiate, but the header must still be well-formed.
    parseExtensionHeader(extensionValues);
  }
  return { ok: true, headers: response, protocol, extensions };
}
