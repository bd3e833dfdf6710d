/**
 * RFC 6455 section 5.3 masking: XOR with a 4-byte key, a machine word at a time, or 16 bytes at a time
 * in the WebAssembly SIMD kernel for large payloads where the engine has it (simd/use-wasm.ts).
 *
 * Two word kernels, chosen once per process (see {@link WIDE_WORDS}): 64-bit words on a `BigUint64Array`
 * view where the engine compiles BigInt64 element XOR to plain 64-bit integer instructions (V8), and
 * 32-bit words on an `Int32Array` view everywhere else. Both give the same bytes; only speed differs.
 * @module
 */

import { maskIntoWithWasm, maskWithWasm, wasmFrom } from '../simd/use-wasm.js';
import { allocate as allocateFromSlab, MAX_SLAB_REQUEST } from './slab.js';

// Scratch space to build the rotated mask word in platform byte order, whatever that order is.
const wordBytes = new Uint8Array(8);
const word32 = new Int32Array(wordBytes.buffer, 0, 1);
const word64 = new BigUint64Array(wordBytes.buffer, 0, 1);

/** Below this many bytes a plain byte loop beats setting up a word view. */
const WORD_THRESHOLD = 32;

/**
 * Whether the 64-bit kernel is the fast one in this engine. WHY engine detection: the same loop over a
 * `BigUint64Array` runs at ~1.6-1.8x the `Int32Array` loop in V8 >= 11 (Node 20, Chromium, Deno), where
 * TurboFan keeps BigInt64 element loads, XOR and stores in registers, but 20-120x *slower* in SpiderMonkey
 * and JavaScriptCore (Firefox, Safari, Bun), which allocate a BigInt per element (measured in each
 * engine when the kernels were written). No feature test can time this reliably at load (everything
 * still runs in the interpreter then), so the V8 stack-trace format (`"\n    at "`) is the signal; Bun
 * formats its stacks the same way on JavaScriptCore and is excluded by name. A wrong guess costs speed,
 * never correctness.
 */
const WIDE_WORDS = detectWideWords();

function detectWideWords(): boolean {
  const runtime = globalThis as { Bun?: unknown };
  if (runtime.Bun !== undefined) return false;
  const stack = new Error('probe').stack;
  return typeof stack === 'string' && stack.includes('\n    at ');
}

/**
 * XORs `data` in place with `mask`; `offset` is the position of `data[0]` within the frame payload (the
 * key is applied cyclically from the payload's first byte). Bytes before the first word-aligned address
 * are done one by one so the bulk can use an aligned word view.
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

/**
 * {@link applyMask} with the key as one int32 from {@link maskKey} (no 4-byte array to keep per frame).
 * Large payloads go to the WebAssembly SIMD kernel where the engine has it (simd/use-wasm.ts).
 */
export function applyMaskKey(data: Uint8Array, key: number, offset: number): void {
  if (data.length >= wasmFrom.mask && maskWithWasm(data, key, offset)) return;
  applyMaskKeyScalar(data, key, offset);
}

/** {@link applyMaskKey} in JavaScript only, at any size. Exported for the tests and the benches. */
export function applyMaskKeyScalar(data: Uint8Array, key: number, offset: number): void {
  const length = data.length;
  // Short payloads (control frames, small messages) skip the word kernels' setup.
  if (length < WORD_THRESHOLD) xorBytes(data, 0, length, key, offset);
  else if (WIDE_WORDS) xorRange64(data, 0, length, key, offset);
  else xorRange32(data, 0, length, key, offset);
}

/**
 * Bytewise XOR of `bytes[start..end)`, `offset` being the payload position of `bytes[start]`: the key is
 * rotated once so its top byte is the one `bytes[start]` needs, then rotated by 8 bits per byte. Small on
 * purpose: an unrolled version made V8 inline less around it and cost 25% on 64 KiB payloads.
 */
function xorBytes(bytes: Uint8Array, start: number, end: number, key: number, offset: number): void {
  const shift = (offset & 3) << 3;
  let k = shift === 0 ? key : (key << shift) | (key >>> (32 - shift));
  for (let i = start; i < end; i++) {
    bytes[i] = bytes[i]! ^ (k >>> 24);
    k = (k << 8) | (k >>> 24);
  }
}

/** `target[at + i] = source[i] ^ key byte`, bytewise like {@link xorBytes}, for short payloads. */
function xorBytesInto(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): void {
  const shift = (offset & 3) << 3;
  let k = shift === 0 ? key : (key << shift) | (key >>> (32 - shift));
  const length = source.length;
  for (let i = 0; i < length; i++) {
    target[at + i] = source[i]! ^ (k >>> 24);
    k = (k << 8) | (k >>> 24);
  }
}

/**
 * XORs `bytes[start..end)` in place; `offset` is the payload position of `bytes[start]`. 64-bit words on
 * an aligned `BigUint64Array` view, head and tail bytewise. Exported for the tests (both kernels are
 * checked in every engine the tests run in); use {@link applyMaskKey}.
 */
export function xorRange64(bytes: Uint8Array, start: number, end: number, key: number, offset: number): void {
  let i = start;
  if (end - start >= WORD_THRESHOLD) {
    const head = (8 - ((bytes.byteOffset + i) & 7)) & 7;
    for (const stop = i + head; i < stop; i++) bytes[i] = bytes[i]! ^ keyByte(key, offset + i - start);
    const at = offset + i - start;
    for (let j = 0; j < 8; j++) wordBytes[j] = keyByte(key, at + j);
    const words = (end - i) >>> 3;
    xorWords64(new BigUint64Array(bytes.buffer, bytes.byteOffset + i, words), word64[0]!);
    i += words << 3;
  }
  for (; i < end; i++) bytes[i] = bytes[i]! ^ keyByte(key, offset + i - start);
}

/** {@link xorRange64} with 32-bit words on an aligned `Int32Array` view: the kernel outside V8. */
export function xorRange32(bytes: Uint8Array, start: number, end: number, key: number, offset: number): void {
  let i = start;
  if (end - start >= WORD_THRESHOLD) {
    const head = (4 - ((bytes.byteOffset + i) & 3)) & 3;
    for (const stop = i + head; i < stop; i++) bytes[i] = bytes[i]! ^ keyByte(key, offset + i - start);
    const at = offset + i - start;
    for (let j = 0; j < 4; j++) wordBytes[j] = keyByte(key, at + j);
    const words = (end - i) >>> 2;
    xorWords32(new Int32Array(bytes.buffer, bytes.byteOffset + i, words), word32[0]!);
    i += words << 2;
  }
  for (; i < end; i++) bytes[i] = bytes[i]! ^ keyByte(key, offset + i - start);
}

/** XOR of every 64-bit word with `key`, unrolled by 16. */
function xorWords64(view: BigUint64Array, key: bigint): void {
  const n = view.length;
  let w = 0;
  for (; w + 16 <= n; w += 16) {
    view[w] = view[w]! ^ key;
    view[w + 1] = view[w + 1]! ^ key;
    view[w + 2] = view[w + 2]! ^ key;
    view[w + 3] = view[w + 3]! ^ key;
    view[w + 4] = view[w + 4]! ^ key;
    view[w + 5] = view[w + 5]! ^ key;
    view[w + 6] = view[w + 6]! ^ key;
    view[w + 7] = view[w + 7]! ^ key;
    view[w + 8] = view[w + 8]! ^ key;
    view[w + 9] = view[w + 9]! ^ key;
    view[w + 10] = view[w + 10]! ^ key;
    view[w + 11] = view[w + 11]! ^ key;
    view[w + 12] = view[w + 12]! ^ key;
    view[w + 13] = view[w + 13]! ^ key;
    view[w + 14] = view[w + 14]! ^ key;
    view[w + 15] = view[w + 15]! ^ key;
  }
  for (; w < n; w++) view[w] = view[w]! ^ key;
}

/**
 * XOR of every word with `key`. Int32Array rather than Uint32Array keeps values in V8's small-integer
 * range (no conversion to doubles), and unrolling by 8 roughly doubles throughput again.
 */
function xorWords32(view: Int32Array, key: number): void {
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
 * Writes `source` XOR the mask into `target` at `at`: `key` is from {@link maskKey} and `offset` is the
 * payload position of `source[0]`. With the 64-bit kernel: a copy (memcpy) then the XOR in place, which
 * measured faster than a one-pass read-XOR-write loop and works whatever the two alignments. With the
 * 32-bit kernel: one pass (read word, XOR, write word) when the source and the target position share
 * their alignment modulo 4, else copy then XOR in place. Large payloads go to the WebAssembly SIMD kernel
 * where the engine has it.
 */
export function maskInto(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): void {
  if (source.length >= wasmFrom.maskCopy && maskIntoWithWasm(source, target, at, key, offset)) return;
  maskIntoScalar(source, target, at, key, offset);
}

/**
 * {@link maskInto} for a target that is already in memory: a buffer written before and reused (a
 * client's pooled masked copies, bytes/copy-pool.ts). There the SIMD kernel beats the copy-then-XOR
 * from the in-place threshold up, unlike into fresh memory (see `wasmFrom.maskCopy`).
 */
export function maskIntoReused(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): void {
  if (source.length >= wasmFrom.mask && maskIntoWithWasm(source, target, at, key, offset)) return;
  maskIntoScalar(source, target, at, key, offset);
}

/** {@link maskInto} in JavaScript only, at any size. Exported for the tests. */
export function maskIntoScalar(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): void {
  if (source.length < WORD_THRESHOLD) {
    // A short payload (a small client message): one pass, without a `set` call or a word view.
    xorBytesInto(source, target, at, key, offset);
    return;
  }
  if (WIDE_WORDS) {
    target.set(source, at);
    xorRange64(target, at, at + source.length, key, offset);
  } else {
    maskInto32(source, target, at, key, offset);
  }
}

/** The 32-bit {@link maskInto}. Exported for the tests. */
export function maskInto32(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): void {
  const length = source.length;
  if (length < WORD_THRESHOLD || ((source.byteOffset - (target.byteOffset + at)) & 3) !== 0) {
    target.set(source, at);
    xorRange32(target, at, at + length, key, offset);
    return;
  }
  let i = 0;
  const head = (4 - (source.byteOffset & 3)) & 3;
  for (; i < head; i++) target[at + i] = source[i]! ^ keyByte(key, offset + i);
  const start = offset + i;
  for (let j = 0; j < 4; j++) wordBytes[j] = keyByte(key, start + j);
  const words = (length - i) >>> 2;
  xorWordsInto32(
    new Int32Array(source.buffer, source.byteOffset + i, words),
    new Int32Array(target.buffer, target.byteOffset + at + i, words),
    word32[0]!,
  );
  i += words << 2;
  for (; i < length; i++) target[at + i] = source[i]! ^ keyByte(key, offset + i);
}

/** `target[w] = source[w] ^ key` for every word, unrolled like {@link xorWords32}. */
function xorWordsInto32(source: Int32Array, target: Int32Array, key: number): void {
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
 * A masked copy of `data` (the caller's bytes are never touched): what a client puts on the wire.
 * Copies up to 4 KiB come from a shared slab; larger ones from `allocate` when given (every byte is
 * overwritten, so an allocator that skips zero-filling is safe), else a fresh `Uint8Array`. A new slab,
 * when one is needed, comes from `allocate` too.
 */
export function maskCopy(data: Uint8Array, mask: Uint8Array, allocate?: (size: number) => Uint8Array): Uint8Array {
  const length = data.length;
  const out = length <= MAX_SLAB_REQUEST || allocate === undefined ? allocateFromSlab(length, allocate) : allocate(length);
  maskInto(data, out, 0, maskKey(mask), 0);
  return out;
}
