/**
 * Frame header encoding (RFC 6455 section 5.2). The payload is never copied into the header: adapters
 * write header and payload as two chunks.
 * @module
 */

import { maskCopy } from './mask.js';
import { allocate } from './slab.js';

/** Encodes a frame header. `rsv` is the 3 RSV bits (RSV1 = 4); `mask`, when given, sets MASK and the key. */
export function encodeFrameHeader(opcode: number, fin: boolean, rsv: number, length: number, mask?: Uint8Array): Uint8Array {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15) throw new RangeError(`Invalid opcode ${opcode}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Invalid payload length ${length}`);
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = allocate(2 + extended + (mask ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | opcode;
  if (extended === 0) {
    header[1] = length;
  } else if (extended === 2) {
    header[1] = 126;
    header[2] = length >>> 8;
    header[3] = length & 0xff;
  } else {
    header[1] = 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    header[2] = high >>> 24;
    header[3] = (high >>> 16) & 0xff;
    header[4] = (high >>> 8) & 0xff;
    header[5] = high & 0xff;
    header[6] = low >>> 24;
    header[7] = (low >>> 16) & 0xff;
    header[8] = (low >>> 8) & 0xff;
    header[9] = low & 0xff;
  }
  if (mask) {
    if (mask.length !== 4) throw new RangeError('A masking key is 4 bytes');
    header[1] = header[1]! | 0x80;
    header.set(mask, 2 + extended);
  }
  return header;
}

/**
 * A whole frame as `[header, payload]` (just `[header]` when empty). With a mask the payload is a masked
 * copy; without one it is `payload` itself.
 */
export function encodeFrame(opcode: number, fin: boolean, rsv: number, payload: Uint8Array, mask?: Uint8Array): Uint8Array[] {
  const header = encodeFrameHeader(opcode, fin, rsv, payload.length, mask);
  if (payload.length === 0) return [header];
  return [header, mask ? maskCopy(payload, mask) : payload];
}
