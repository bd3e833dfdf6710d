/**
 * What scalar JavaScript can do at best on this machine, measured in the same run as the codec rows.
 * WHY: unmasking and UTF-8 validation are compared with SIMD C (bufferutil, utf-8-validate). A pure
 * TypeScript kernel touches memory through typed-array elements, one machine word per load or store:
 * JavaScript has no vector type (V8 vectorizes only WebAssembly). These loops do the least such a kernel
 * must do, with no useful work at all, so no pure-JS unmask or validator can beat them. A native row
 * above them is out of reach for portable code, on this machine, whatever the kernel does.
 * @module
 */

import type { Contender } from './measure.js';

/** Contender id of the ceiling loops in the codec tables. */
export const JS_CEILING = 'js-ceiling';

/** Every 64-bit word loaded and stored back, unrolled by 16: the floor of any word-at-a-time in-place pass. */
function storeEveryWord(view: BigUint64Array): void {
  const n = view.length;
  let w = 0;
  for (; w + 16 <= n; w += 16) {
    view[w] = view[w]!;
    view[w + 1] = view[w + 1]!;
    view[w + 2] = view[w + 2]!;
    view[w + 3] = view[w + 3]!;
    view[w + 4] = view[w + 4]!;
    view[w + 5] = view[w + 5]!;
    view[w + 6] = view[w + 6]!;
    view[w + 7] = view[w + 7]!;
    view[w + 8] = view[w + 8]!;
    view[w + 9] = view[w + 9]!;
    view[w + 10] = view[w + 10]!;
    view[w + 11] = view[w + 11]!;
    view[w + 12] = view[w + 12]!;
    view[w + 13] = view[w + 13]!;
    view[w + 14] = view[w + 14]!;
    view[w + 15] = view[w + 15]!;
  }
  for (; w < n; w++) view[w] = view[w]!;
}

/**
 * Every 8 bytes loaded once as a double and summed in two chains, with no test on the bytes: the floor of
 * any pure-JS validator, which must at least read its input. (Doubles are V8's fastest element loads.)
 */
function loadEveryWord(view: Float64Array): number {
  const n = view.length;
  let a = 0;
  let b = 0;
  let w = 0;
  for (; w + 8 <= n; w += 8) {
    a += view[w]! + view[w + 1]! + view[w + 2]! + view[w + 3]!;
    b += view[w + 4]! + view[w + 5]! + view[w + 6]! + view[w + 7]!;
  }
  return a + b;
}

/** The 8-byte-aligned whole words of `bytes` (a word view cannot start at an unaligned offset). */
function alignedWords(bytes: Uint8Array): { byteOffset: number; words: number } {
  const head = (8 - (bytes.byteOffset & 7)) & 7;
  return { byteOffset: bytes.byteOffset + head, words: Math.max(0, bytes.length - head) >>> 3 };
}

/** The contender that stores back every word of `data` (the unmask ceiling). */
export function storeCeiling(data: Uint8Array): Contender {
  const { byteOffset, words } = alignedWords(data);
  return {
    id: JS_CEILING,
    run(n) {
      // A fresh view per pass, as a real kernel must make for each payload it is given.
      for (let i = 0; i < n; i++) storeEveryWord(new BigUint64Array(data.buffer, byteOffset, words));
      return data[0]!;
    },
  };
}

/** The contender that loads every word of each input in turn (the validation ceiling). */
export function loadCeiling(inputs: readonly Uint8Array[]): Contender {
  const views = inputs.map((bytes) => {
    const { byteOffset, words } = alignedWords(bytes);
    return { buffer: bytes.buffer, byteOffset, words };
  });
  const count = views.length;
  return {
    id: JS_CEILING,
    run(n) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const v = views[i % count]!;
        sum += loadEveryWord(new Float64Array(v.buffer, v.byteOffset, v.words));
      }
      return Number.isNaN(sum) ? 0 : 1;
    },
  };
}
