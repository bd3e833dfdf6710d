/**
 * Frame encoding (RFC 6455 section 5.2). An unmasked payload is never copied: adapters write header and
 * payload as two chunks. A client's masked copy has to be made anyway, so a small one is made right after
 * its header in the same buffer and the frame goes out as one chunk.
 * @module
 */

import { maskCopy, maskInto, maskKey } from '../bytes/mask.js';
import { allocate, MAX_SLAB_REQUEST } from '../bytes/slab.js';

/** Bytes of the header for a payload of `length` bytes, with or without a masking key. */
function headerLength(length: number, masked: boolean): number {
  return 2 + (length < 126 ? 0 : length < 0x10000 ? 2 : 8) + (masked ? 4 : 0);
}

/** Writes the header into `target` from index 0 (`target` is exactly {@link headerLength} or longer). */
function writeHeader(
  target: Uint8Array,
  opcode: number,
  fin: boolean,
  rsv: number,
  length: number,
  mask: Uint8Array | undefined,
): void {
  target[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | opcode;
  let at = 2;
  if (length < 126) {
    target[1] = length;
  } else if (length < 0x10000) {
    target[1] = 126;
    target[2] = length >>> 8;
    target[3] = length & 0xff;
    at = 4;
  } else {
    target[1] = 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[2] = high >>> 24;
    target[3] = (high >>> 16) & 0xff;
    target[4] = (high >>> 8) & 0xff;
    target[5] = high & 0xff;
    target[6] = low >>> 24;
    target[7] = (low >>> 16) & 0xff;
    target[8] = (low >>> 8) & 0xff;
    target[9] = low & 0xff;
    at = 10;
  }
  if (mask) {
    target[1] = target[1]! | 0x80;
    // Four stores: cheaper than a `set` call for four bytes, once per client frame.
    target[at] = mask[0]!;
    target[at + 1] = mask[1]!;
    target[at + 2] = mask[2]!;
    target[at + 3] = mask[3]!;
  }
}

function checkHeader(opcode: number, length: number, mask: Uint8Array | undefined): void {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15) throw new RangeError(`Invalid opcode ${opcode}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Invalid payload length ${length}`);
  if (mask && mask.length !== 4) throw new RangeError('A masking key is 4 bytes');
}

/** Encodes a frame header. `rsv` is the 3 RSV bits (RSV1 = 4); `mask`, when given, sets MASK and the key. */
export function encodeFrameHeader(opcode: number, fin: boolean, rsv: number, length: number, mask?: Uint8Array): Uint8Array {
  checkHeader(opcode, length, mask);
  const header = allocate(headerLength(length, mask !== undefined));
  writeHeader(header, opcode, fin, rsv, length, mask);
  return header;
}

/** Headers of unmasked frames under 126 bytes, made once each: index `(first byte << 7) | length`. */
const shortHeaders = new Array<Uint8Array | undefined>(1 << 15);

/**
 * @internal The header of an unmasked frame of `length` < 126 bytes (no checks: the connection's own
 * opcodes and lengths). WHY shared: a server's small frames all start with one of a few hundred
 * two-byte headers, and a view of its own per frame was an allocation (and slab space) per message on
 * the hottest path. Shared bytes are safe because chunks handed to `onWrite` are read-only (the
 * payload chunk is the application's own buffer anyway); `encodeFrameHeader`, which returns a header
 * for its caller to keep, never hands one of these out.
 */
export function shortFrameHeader(opcode: number, fin: boolean, rsv: number, length: number): Uint8Array {
  const first = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const key = (first << 7) | length;
  let header = shortHeaders[key];
  if (header === undefined) {
    header = new Uint8Array(2);
    header[0] = first;
    header[1] = length;
    shortHeaders[key] = header;
  }
  return header;
}

/**
 * A client frame: header and masked copy of `payload` (the caller's bytes are never touched). Small
 * frames come as one chunk from the shared slab: one view to create and one buffer for the socket
 * instead of two. Larger ones as `[header, masked copy]`, the copy from `allocateLarge` when given.
 * `allocateLarge` (which may skip zero-filling: everything is overwritten) also provides the slab's
 * memory when a new one is needed.
 */
export function encodeMaskedFrame(
  opcode: number,
  fin: boolean,
  rsv: number,
  payload: Uint8Array,
  mask: Uint8Array,
  allocateLarge?: (size: number) => Uint8Array,
): Uint8Array[] {
  const length = payload.length;
  checkHeader(opcode, length, mask);
  const size = headerLength(length, true);
  if (size + length > MAX_SLAB_REQUEST) {
    const header = allocate(size, allocateLarge);
    writeHeader(header, opcode, fin, rsv, length, mask);
    return [header, maskCopy(payload, mask, allocateLarge)];
  }
  const frame = allocate(size + length, allocateLarge);
  writeHeader(frame, opcode, fin, rsv, length, mask);
  if (length > 0) maskInto(payload, frame, size, maskKey(mask), 0);
  return [frame];
}

/**
 * A whole frame as chunks to write in order. Without a mask: `[header, payload]` with `payload` itself
 * (just `[header]` when empty). With a mask: see {@link encodeMaskedFrame} (one chunk for small frames).
 */
export function encodeFrame(opcode: number, fin: boolean, rsv: number, payload: Uint8Array, mask?: Uint8Array): Uint8Array[] {
  if (mask) return encodeMaskedFrame(opcode, fin, rsv, payload, mask);
  const header = encodeFrameHeader(opcode, fin, rsv, payload.length);
  return payload.length === 0 ? [header] : [header, payload];
}
