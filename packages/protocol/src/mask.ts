/**
 * RFC 6455 section 5.3 masking: XOR with a 4-byte key, 32 bits at a time.
 * @module
 */

import { allocate as allocateFromSlab, MAX_SLAB_REQUEST } from './slab.js';

// Scratch space to build the rotated mask word in platform byte order, whatever that order is.
const wordBytes = new Uint8Array(4);
const word = new Int32Array(wordBytes.buffer);

/** Below this many bytes a plain byte loop beats setting up a 32-bit view. */
const WORD_THRESHOLD = 32;

/**
 * XORs `data` in place with `mask`; `offset` is the position of `data[0]` within the frame payload (the
 * key is applied cyclically from the payload's first byte). Bytes before the first 4-byte-aligned address
 * are done one by one so the bulk can use an aligned 32-bit view.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, offset = 0): void {
  applyMaskKey(data, maskKey(mask), offset);
}

/** The 4 key bytes as one big-endian int32 (byte 0 in the top bits): how the decoder keeps a key. */
export function maskKey(mask: Uint8Array): number {
  return (mask[0]! << 24) | (mask[1]! << 16) | (mask[2]! << 8) | mask[3]!;
}

/** Byte `k & 3` of a key made by {@link maskKey}. */
function keyByte(key: number, k: number): number {
  return (key >>> ((3 - (k & 3)) << 3)) & 0xff;
}

/** {@link applyMask} with the key as one int32 from {@link maskKey} (no 4-byte array to keep per frame). */
export function applyMaskKey(data: Uint8Array, key: number, offset: number): void {
  const length = data.length;
  let i = 0;
  if (length >= WORD_THRESHOLD) {
    const misalignment = data.byteOffset & 3;
    const head = misalignment === 0 ? 0 : 4 - misalignment;
    for (; i < head; i++) data[i] = data[i]! ^ keyByte(key, offset + i);
    const start = offset + i;
    wordBytes[0] = keyByte(key, start);
    wordBytes[1] = keyByte(key, start + 1);
    wordBytes[2] = keyByte(key, start + 2);
    wordBytes[3] = keyByte(key, start + 3);
    const words = (length - i) >>> 2;
    xorWords(new Int32Array(data.buffer, data.byteOffset + i, words), word[0]!);
    i += words << 2;
  }
  for (; i < length; i++) data[i] = data[i]! ^ keyByte(key, offset + i);
}

/**
 * Writes `source` XOR the mask into `target` at `at`, in one pass (no copy-then-unmask): `key` is from
 * {@link maskKey} and `offset` is the payload position of `source[0]`. Word-wide when the source and
 * the target position share their alignment modulo 4, else a copy and an in-place pass over the target.
 */
export function maskInto(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): void {
  const length = source.length;
  if (length < WORD_THRESHOLD || ((source.byteOffset - (target.byteOffset + at)) & 3) !== 0) {
    target.set(source, at);
    applyMaskKey(target.subarray(at, at + length), key, offset);
    return;
  }
  let i = 0;
  const misalignment = source.byteOffset & 3;
  const head = misalignment === 0 ? 0 : 4 - misalignment;
  for (; i < head; i++) target[at + i] = source[i]! ^ keyByte(key, offset + i);
  const start = offset + i;
  wordBytes[0] = keyByte(key, start);
  wordBytes[1] = keyByte(key, start + 1);
  wordBytes[2] = keyByte(key, start + 2);
  wordBytes[3] = keyByte(key, start + 3);
  const words = (length - i) >>> 2;
  xorWordsInto(new Int32Array(source.buffer, source.byteOffset + i, words), new Int32Array(target.buffer, target.byteOffset + at + i, words), word[0]!);
  i += words << 2;
  for (; i < length; i++) target[at + i] = source[i]! ^ keyByte(key, offset + i);
}

/** `target[w] = source[w] ^ key` for every word, unrolled like {@link xorWords}. */
function xorWordsInto(source: Int32Array, target: Int32Array, key: number): void {
  const n = source.length;
  let w = 0;
  for (; w + 8 <= n; w += 8) {
    target[w] = source[w]! ^ key;
    target[w + 1] = source[w + 1]! ^ key;
    target[w + 2] = source[w + 2]! ^ key;
    target[w + 3] = source[w + 3]! ^ key;
    target[w + 4] = source[w + 4]! ^ key;
    target[w + 5] = source[w + 5]! ^ key;
    target[w + 6] = source[w + 6]! ^ key;
    target[w + 7] = source[w + 7]! ^ key;
  }
  for (; w < n; w++) target[w] = source[w]! ^ key;
}

/**
 * XOR of every word with `key`. Int32Array rather than Uint32Array keeps values in V8's small-integer
 * range (no conversion to doubles), and unrolling by 8 roughly doubles throughput again.
 */
function xorWords(view: Int32Array, key: number): void {
  const n = view.length;
  let w = 0;
  for (; w + 8 <= n; w += 8) {
    view[w] = view[w]! ^ key;
    view[w + 1] = view[w + 1]! ^ key;
    view[w + 2] = view[w + 2]! ^ key;
    view[w + 3] = view[w + 3]! ^ key;
    view[w + 4] = view[w + 4]! ^ key;
    view[w + 5] = view[w + 5]! ^ key;
    view[w + 6] = view[w + 6]! ^ key;
    view[w + 7] = view[w + 7]! ^ key;
  }
  for (; w < n; w++) view[w] = view[w]! ^ key;
}

/**
 * A masked copy of `data` (the caller's bytes are never touched): what a client puts on the wire.
 * Copies up to 4 KiB come from a shared slab; larger ones from `allocate` when given (every byte is
 * overwritten, so an allocator that skips zero-filling is safe), else a fresh `Uint8Array`.
 */
export function maskCopy(data: Uint8Array, mask: Uint8Array, allocate?: (size: number) => Uint8Array): Uint8Array {
  const length = data.length;
  const out = length <= MAX_SLAB_REQUEST || allocate === undefined ? allocateFromSlab(length) : allocate(length);
  if (length < WORD_THRESHOLD || ((data.byteOffset | out.byteOffset) & 3) !== 0) {
    // Short or unaligned source or target: copy, then mask the copy in place (applyMask aligns itself).
    out.set(data);
    applyMask(out, mask, 0);
    return out;
  }
  // Aligned source: read, XOR and write a word at a time in one pass.
  wordBytes[0] = mask[0]!;
  wordBytes[1] = mask[1]!;
  wordBytes[2] = mask[2]!;
  wordBytes[3] = mask[3]!;
  const key = word[0]!;
  const words = length >>> 2;
  const source = new Int32Array(data.buffer, data.byteOffset, words);
  const target = new Int32Array(out.buffer, out.byteOffset, words);
  let w = 0;
  for (; w + 8 <= words; w += 8) {
    target[w] = source[w]! ^ key;
    target[w + 1] = source[w + 1]! ^ key;
    target[w + 2] = source[w + 2]! ^ key;
    target[w + 3] = source[w + 3]! ^ key;
    target[w + 4] = source[w + 4]! ^ key;
    target[w + 5] = source[w + 5]! ^ key;
    target[w + 6] = source[w + 6]! ^ key;
    target[w + 7] = source[w + 7]! ^ key;
  }
  for (; w < words; w++) target[w] = source[w]! ^ key;
  for (let i = words << 2; i < length; i++) out[i] = data[i]! ^ mask[i & 3]!;
  return out;
}
