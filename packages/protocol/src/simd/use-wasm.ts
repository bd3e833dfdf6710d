/**
 * Where the codec's byte loops hand over to the WebAssembly SIMD kernels (wasm-kernels.ts): unmasking
 * (bytes/mask.ts) and UTF-8 validation (text/utf8.ts) call the two functions below first, above a size,
 * and run their scalar loops when these return false. This file is the whole wiring: set
 * `USE_WASM_KERNELS` to false and the codec is back to its scalar loops at every size.
 * @module
 */

import { wasmKernels } from './wasm-kernels.js';

const USE_WASM_KERNELS = true;

/**
 * Payload sizes (bytes) from which each loop tries its kernel; Infinity: never. WHY these sizes: below
 * them the fixed cost of a call (copying into the module's memory and back, the call itself) outweighs
 * what 16 bytes per instruction save. Unmasking crosses over between 16 and 125 bytes in every engine
 * measured; validating ASCII text, which the scalar loop already skips a word at a time, crosses over
 * near 125 bytes and not in every engine, so UTF-8 waits for twice that (mixed text would gain from
 * less). docs/performance.md has the commands that measure both again. Tests and the benches move these
 * to run one path at every size; nothing else should (this file is not exported by the package index).
 */
export const wasmFrom = {
  mask: USE_WASM_KERNELS ? 64 : Number.POSITIVE_INFINITY,
  /**
   * Unmasking into another buffer (`maskInto`: reassembling a message from its reads, a client's masked
   * copy): never. WHY: the target there is mostly a fresh buffer, whose pages the kernel maps in at
   * the first write; the SIMD path writes every byte twice more (into the module's memory and out of
   * it), and measured slower than the scalar copy-then-XOR in that use, while faster into a buffer
   * already in memory: a client's pooled masked copies, written into again, use it (`maskIntoReused`
   * in bytes/mask.ts, from `mask`'s threshold). The kernel stays available here for the tests and the
   * bench to force.
   */
  maskCopy: Number.POSITIVE_INFINITY,
  utf8: USE_WASM_KERNELS ? 256 : Number.POSITIVE_INFINITY,
};

/** Unmasks `data` in place with the kernel; false when this engine cannot (then nothing was done). */
export function maskWithWasm(data: Uint8Array, key: number, offset: number): boolean {
  return wasmKernels()?.maskInPlace(data, key, offset) === true;
}

/** Writes `source` unmasked into `target` at `at` with the kernel; false when this engine cannot. */
export function maskIntoWithWasm(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): boolean {
  return wasmKernels()?.maskInto(source, target, at, key, offset) === true;
}

/**
 * Whether `bytes[from..to)` is complete, strict UTF-8 by the kernel; undefined when this engine cannot.
 * (The exact position of a bad byte is the scalar validator's job: the kernel only says yes or no.)
 */
export function utf8WithWasm(bytes: Uint8Array, from: number, to: number): boolean | undefined {
  return wasmKernels()?.isValidUtf8(bytes, from, to);
}
