/**
 * The UTF-8 fast paths (ASCII word scan, four interleaved DFA chains over 64+ byte stretches, the exact
 * byte replay after a chain fails) against a simple reference written straight from Unicode table 3-7:
 * every alignment 0..7 and length 0..64 exhaustively over a few texts, then random texts up to ~20 KiB
 * split anywhere. All of it twice: with the scalar loops at every size, and with the WebAssembly SIMD
 * kernel at every size (the DFA then only finishes and starts sequences cut by a fragment's edges).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNEL_PATHS, kernelsFrom } from './kernel-paths.js';
import { isValidUtf8, Utf8Validator } from '../src/text/utf8.js';

/** -1: valid and complete; -2: valid so far but the last sequence is cut off; else the first bad byte. */
function referenceFirstBad(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, low] = [2, 0xa0];
    else if (b === 0xed) [need, high] = [2, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) [need, low] = [3, 0x90];
    else if (b === 0xf4) [need, high] = [3, 0x8f];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return -2;
      const c = bytes[i + k]!;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i + k;
    }
    i += need + 1;
  }
  return -1;
}

/** Everything a validator's answer could depend on, for one whole input. */
function verdict(bytes: Uint8Array): { whole: boolean; firstBad: number; complete: boolean } {
  const validator = new Utf8Validator();
  const firstBad = validator.push(bytes);
  return { whole: isValidUtf8(bytes), firstBad, complete: firstBad === -1 && validator.end() };
}

function expected(bytes: Uint8Array): { whole: boolean; firstBad: number; complete: boolean } {
  const ref = referenceFirstBad(bytes);
  return { whole: ref === -1, firstBad: ref >= 0 ? ref : -1, complete: ref === -1 };
}

const VALID_PIECES = [
  'a',
  'z',
  ' ',
  '\u007f',
  '\u0080',
  'é',
  'ß',
  '\u07ff',
  '\u0800',
  '中',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\u{10000}',
  '😀',
  '\u{10ffff}',
].map((s) => Array.from(new TextEncoder().encode(s)));
const BAD_PIECES = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5],
  [0xff],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
];

/** A text from pieces: `ascii` is the share of plain letters, the rest valid multi-byte, plus `bad` pieces. */
const text = (maxPieces: number) =>
  fc
    .tuple(
      fc.array(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(-1) },
          fc.nat({ max: VALID_PIECES.length - 1 }),
          fc.integer({ min: 1, max: 300 }).map((n) => -1 - n),
        ),
        { maxLength: maxPieces },
      ),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: BAD_PIECES.length - 1 })), { maxLength: 2 }),
    )
    .map(([picks, bad]) => {
      const bytes: number[] = [];
      // Negative picks below -1 are ASCII runs of that length: they exercise the word scan.
      for (const p of picks)
        bytes.push(
          ...(p >= 0 ? VALID_PIECES[p]! : p === -1 ? [0x61] : Array.from({ length: -1 - p }, (_, k) => 0x61 + (k % 26))),
        );
      for (const [at, b] of bad) bytes.splice(bytes.length === 0 ? 0 : at % (bytes.length + 1), 0, ...BAD_PIECES[b]!);
      return Uint8Array.from(bytes);
    });

function placed(bytes: Uint8Array, align: number): Uint8Array {
  const buffer = new Uint8Array(bytes.length + align);
  buffer.set(bytes, align);
  return buffer.subarray(align);
}

describe.each(KERNEL_PATHS)('UTF-8 fast paths vs a table 3-7 reference, with %s at every size', (_, from) => {
  kernelsFrom(from, ['utf8']);

  it('every alignment 0..7 and every length 0..64 of valid and broken texts', () => {
    const sources: Uint8Array[] = [];
    const encoder = new TextEncoder();
    sources.push(encoder.encode('a'.repeat(70)));
    sources.push(encoder.encode('aé中😀'.repeat(8)));
    sources.push(encoder.encode('Ж'.repeat(40)));
    sources.push(encoder.encode('中'.repeat(30)));
    sources.push(encoder.encode('😀'.repeat(20)));
    for (const base of sources.slice()) {
      for (const at of [0, 17, 40, 63]) {
        for (const bad of BAD_PIECES) {
          const broken = Array.from(base);
          broken.splice(at % (broken.length + 1), 0, ...bad);
          sources.push(Uint8Array.from(broken));
        }
      }
    }
    for (const source of sources) {
      for (let length = 0; length <= 64; length++) {
        const prefix = source.subarray(0, length);
        const want = expected(prefix);
        for (let align = 0; align < 8; align++) expect(verdict(placed(prefix, align))).toEqual(want);
      }
    }
  });

  it('random texts up to ~20 KiB at every alignment: same verdict and first bad byte', () => {
    fc.assert(
      fc.property(text(400), fc.nat({ max: 7 }), (bytes, align) => {
        expect(verdict(placed(bytes, align))).toEqual(expected(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('random texts split anywhere: the incremental validator finds the same first bad byte', () => {
    fc.assert(
      fc.property(text(400), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
        const validator = new Utf8Validator();
        let found = -1;
        let previous = 0;
        for (const point of [...points, bytes.length]) {
          // Each fragment gets its own buffer at its own alignment, as reads do.
          const at = validator.push(placed(bytes.subarray(previous, point), point & 7));
          if (at !== -1) {
            found = previous + at;
            break;
          }
          previous = point;
        }
        const ref = referenceFirstBad(bytes);
        expect(found).toBe(ref >= 0 ? ref : -1);
        if (found === -1) expect(validator.end()).toBe(ref === -1);
      }),
      { numRuns: 400 },
    );
  });
});
