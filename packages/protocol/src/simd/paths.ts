/**
 * Both paths of each byte loop, each forced at every size, side by side: the scalar JavaScript loops and
 * the WebAssembly SIMD kernels with their copies in and out. For the benchmarks and the checks that run
 * in other engines (packages/bench, packages/e2e, packages/examples), which import this file from dist/
 * by path. Not part of the package's API: the index does not export it.
 * @module
 */

import { applyMaskKeyScalar, maskKey } from '../bytes/mask.js';
import { isValidUtf8Scalar } from '../text/utf8.js';
import { wasmKernels } from './wasm-kernels.js';

export { wasmFrom } from './use-wasm.js';
export { KERNEL_CHUNK } from './wasm-kernels.js';

/** Whether this engine runs the kernels (WebAssembly with SIMD, and compiling allowed). */
export function wasmAvailable(): boolean {
  return wasmKernels() !== undefined;
}

/** One loop's two entry points, with the signatures of the package's `applyMask` and `isValidUtf8`. */
export interface BytePath {
  applyMask(data: Uint8Array, mask: Uint8Array, offset?: number): void;
  isValidUtf8(bytes: Uint8Array): boolean;
}

/** The JavaScript loops, whatever the size. */
export const scalarPath: BytePath = {
  applyMask: (data, mask, offset = 0) => applyMaskKeyScalar(data, maskKey(mask), offset),
  isValidUtf8: isValidUtf8Scalar,
};

/** The kernels, whatever the size, copies included. Throws where {@link wasmAvailable} is false. */
export const wasmPath: BytePath = {
  applyMask: (data, mask, offset = 0) => {
    if (!loaded().maskInPlace(data, maskKey(mask), offset)) throw new Error(NO_MEMORY);
  },
  isValidUtf8: (bytes) => {
    const valid = loaded().isValidUtf8(bytes, 0, bytes.length);
    if (valid === undefined) throw new Error(NO_MEMORY);
    return valid;
  },
};

const NO_MEMORY = 'the WebAssembly kernels could not grow their memory';

function loaded(): NonNullable<ReturnType<typeof wasmKernels>> {
  const kernels = wasmKernels();
  if (kernels === undefined) throw new Error('WebAssembly SIMD kernels are not available in this engine');
  return kernels;
}
