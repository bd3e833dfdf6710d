/**
 * The slice of the @wsts/protocol contract (docs/architecture.md) that permessage-deflate plugs into.
 *
 * Temporary local copy: the protocol package is being written at the same time as this module. Once it
 * exports these names, this file only re-exports them so the rest of the module does not change.
 */

/** A violation of RFC 6455 by the peer; `code` is the close code to send. */
export class ProtocolError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/** A handshake that cannot succeed; `status` is the HTTP status a server answers with. */
export class HandshakeError extends Error {
  readonly status: number;
  readonly headers: [string, string][];
  constructor(status: number, message: string, headers: [string, string][] = []) {
    super(message);
    this.name = 'HandshakeError';
    this.status = status;
    this.headers = headers;
  }
}

/** One element of a `Sec-WebSocket-Extensions` header. Duplicated parameters are preserved. */
export interface ExtensionOffer {
  name: string;
  params: [string, string | true][];
}

/** The result of compressing (or not) one outgoing data message. */
export interface EncodedMessage {
  data: Uint8Array;
  rsv1: boolean;
}

/** A negotiated extension living on one connection. */
export interface Extension {
  readonly name: string;
  readonly rsv1: boolean;
  encode(data: Uint8Array, binary: boolean): EncodedMessage | Promise<EncodedMessage>;
  decode(fragments: readonly Uint8Array[], rsv1: boolean, maxSize: number): Uint8Array | Promise<Uint8Array>;
  dispose(): void;
}

/** Server side of an extension's negotiation. */
export interface ServerExtensionNegotiator {
  readonly name: string;
  accept(offers: readonly ExtensionOffer[]): { response: ExtensionOffer; extension: Extension } | undefined;
}

/** Client side of an extension's negotiation. */
export interface ClientExtensionNegotiator {
  readonly name: string;
  offer(): ExtensionOffer[];
  accept(response: ExtensionOffer): Extension;
}

/** Builds the close-code error for a peer message that inflates past the size limit. */
export function messageTooBig(limit: number): ProtocolError {
  return new ProtocolError(1009, `inflated message exceeds the ${limit}-byte limit`);
}

/** Builds the close-code error for compressed data zlib cannot inflate. */
export function corruptData(detail: string): ProtocolError {
  return new ProtocolError(1007, `invalid compressed data: ${detail}`);
}

/** Builds the error that fails a client handshake over an unacceptable permessage-deflate response. */
export function badResponse(detail: string): HandshakeError {
  return new HandshakeError(400, `unacceptable permessage-deflate response: ${detail}`);
}
