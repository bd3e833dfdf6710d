/**
 * Running a suite once through the scalar byte loops and once through the WebAssembly kernels, each at
 * every size (the codec's thresholds in src/simd/use-wasm.ts moved for the suite, then restored).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { wasmAvailable, wasmFrom } from '../src/simd/paths.js';

/** `describe.each` rows: the path's name and the size from which the kernel is used. */
export const KERNEL_PATHS: readonly (readonly [string, number])[] = [
  ['the scalar loops', Number.POSITIVE_INFINITY],
  ['the WebAssembly kernel', 0],
];

/**
 * In the calling describe block, `loops` hand over to their kernel from `from` bytes; the thresholds
 * are restored after it. The kernels must be there (Node 20 has WebAssembly SIMD): without them a suite
 * meant for the kernel would silently test the scalar loops twice.
 */
export function kernelsFrom(from: number, loops: readonly (keyof typeof wasmFrom)[]): void {
  const saved = { ...wasmFrom };
  beforeAll(() => {
    expect(wasmAvailable()).toBe(true);
    for (const loop of loops) wasmFrom[loop] = from;
  });
  afterAll(() => {
    Object.assign(wasmFrom, saved);
  });
}
