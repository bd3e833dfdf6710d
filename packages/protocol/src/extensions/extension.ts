/**
 * The extension interface: negotiation during the handshake, then per-message transforms. The codec
 * knows nothing about compression; permessage-deflate (RFC 7692) plugs in through these types.
 * @module
 */

/** One element of a `Sec-WebSocket-Extensions` header: a name and its parameters, in order. */
export interface ExtensionOffer {
  name: string;
  /** `[name, value]`, or `[name, true]` for a parameter without a value. Duplicates are preserved. */
  params: [string, string | true][];
}

/** An outgoing message after an extension's transform. */
export interface EncodedMessage {
  data: Uint8Array;
  /** Whether RSV1 is set on the first frame of the message. */
  rsv1: boolean;
}

/** A negotiated, live extension attached to one connection. */
export interface Extension {
  readonly name: string;
  /** Claims RSV1 on the first frame of data messages (RSV2/RSV3 stay errors). */
  readonly rsv1: boolean;
  /** Outgoing data message. May be async (zlib). Returns the payload and whether RSV1 is set on frame 1. */
  encode(data: Uint8Array, binary: boolean): EncodedMessage | Promise<EncodedMessage>;
  /**
   * Incoming data message, as its frames' payloads in order. `rsv1` is the first frame's bit.
   * Must throw/reject ProtocolError(1009) as soon as the output passes maxSize.
   * (Small consecutive payloads may arrive packed into one piece and empty ones are left out: only the
   * concatenation is meaningful.)
   */
  decode(fragments: readonly Uint8Array[], rsv1: boolean, maxSize: number): Uint8Array | Promise<Uint8Array>;
  /** Release resources (zlib streams). Called once when the connection ends. */
  dispose(): void;
}

/** Server side of the negotiation for one extension name. */
export interface ServerExtensionNegotiator {
  readonly name: string;
  /**
   * All offers with this name, in client order. Return the accepted response and the live extension,
   * or undefined to decline. Throw HandshakeError to fail the handshake.
   *
   * The offers are frozen and may be the very objects an earlier handshake with the same header value
   * saw, so a negotiator can remember its decision per offer (a `WeakMap` keyed on the offer). A
   * response it returns frozen may likewise be formatted once and the text reused.
   */
  accept(offers: readonly ExtensionOffer[]): { response: ExtensionOffer; extension: Extension } | undefined;
}

/** Client side of the negotiation for one extension name. */
export interface ClientExtensionNegotiator {
  readonly name: string;
  /** The offers to put in the request, in order of preference. */
  offer(): ExtensionOffer[];
  /** The server's response for this extension; throw HandshakeError when unacceptable. */
  accept(response: ExtensionOffer): Extension;
}

/**
 * Calls `dispose()` on each extension, going on past one that throws. For extensions that never reach a
 * connection (a handshake or socket that failed after negotiation); a Connection disposes its own.
 */
export function disposeExtensions(extensions: readonly Extension[]): void {
  for (const extension of extensions) {
    try {
      extension.dispose();
    } catch {
      // Disposal is best effort: a failing dispose must not mask the error being reported.
    }
  }
}
