/**
 * Messages framed once and written to many connections: the codec side of a server's publish. A
 * server's frames are not masked, so the bytes of a data message do not depend on the connection they
 * go to; framing it once and handing the same chunks to every connection (`Connection.sendPrepared`)
 * leaves a socket write as the only per-connection cost. A client masks every frame with a fresh key,
 * so prepared messages are for the server role only.
 * @module
 */

import { utf8Encoder } from '../text/encoding.js';
import { Opcode, RSV1 } from './decoder.js';
import { encodeFrameHeader } from './encoder.js';

/**
 * A data message as its frames: headers and payload pieces, the chunks to write in order. Frozen, and
 * shared by every connection it is sent to; the payload chunks are views of the bytes it was prepared
 * from, which must therefore not change while connections still write it.
 */
export interface PreparedMessage {
  /** Header and payload chunks of every frame, in wire order. Shared: never modify. */
  readonly chunks: readonly Uint8Array[];
  /** Binary (opcode 2) or text (opcode 1). */
  readonly binary: boolean;
  /** Whether RSV1 is set on the first frame: the payload was compressed by permessage-deflate. */
  readonly rsv1: boolean;
  /** Bytes on the wire, headers included. */
  readonly byteLength: number;
  /** Payload bytes (after any compression). */
  readonly payloadLength: number;
}

/** Options of {@link prepareMessage}. */
export interface PrepareOptions {
  /**
   * Set RSV1 on the first frame: the payload is a permessage-deflate compressed message (RFC 7692),
   * to be sent only to connections that negotiated an extension claiming RSV1, and only to those whose
   * decompressor can read it (the caller's business: the codec cannot check compression parameters).
   */
  rsv1?: boolean;
  /** Split into frames of at most this many payload bytes. Default: one frame. */
  fragmentSize?: number;
}

/**
 * Frames a data message once, for {@link Connection.sendPrepared} on any number of server-role
 * connections. A string is UTF-8 encoded; bytes are used as they are (not copied), and a text message
 * given as bytes is not validated. The frames are split by `fragmentSize` here, once: a connection's own
 * `fragmentSize` does not apply to prepared messages.
 */
export function prepareMessage(data: Uint8Array | string, binary: boolean, options?: PrepareOptions): PreparedMessage {
  const payload = typeof data === 'string' ? utf8Encoder.encode(data) : data;
  if (!(payload instanceof Uint8Array)) throw new TypeError('prepareMessage() takes a string or a Uint8Array');
  const rsv1 = options?.rsv1 === true;
  const size = options?.fragmentSize ?? Infinity;
  if (!(size >= 1)) throw new RangeError(`Invalid fragmentSize ${size}`);
  const opcode = binary ? Opcode.BINARY : Opcode.TEXT;
  const chunks: Uint8Array[] = [];
  let byteLength = 0;
  const frame = (code: number, fin: boolean, rsv: number, piece: Uint8Array): void => {
    const header = encodeFrameHeader(code, fin, rsv, piece.length);
    chunks.push(header);
    byteLength += header.length + piece.length;
    if (piece.length > 0) chunks.push(piece);
  };
  if (payload.length <= size) {
    frame(opcode, true, rsv1 ? RSV1 : 0, payload);
  } else {
    for (let offset = 0; offset < payload.length; offset += size) {
      const end = Math.min(offset + size, payload.length);
      const first = offset === 0;
      frame(
        first ? opcode : Opcode.CONTINUATION,
        end === payload.length,
        first && rsv1 ? RSV1 : 0,
        payload.subarray(offset, end),
      );
    }
  }
  return Object.freeze({
    chunks: Object.freeze(chunks),
    binary,
    rsv1,
    byteLength,
    payloadLength: payload.length,
  });
}
