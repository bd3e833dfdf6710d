/**
 * The masking kernels against a byte-by-byte reference: both word kernels (64-bit, chosen in V8, and
 * 32-bit, chosen elsewhere) and the WebAssembly SIMD kernel with its copies run here whatever engine runs
 * the tests, at every alignment and every length 0..64 and around the 64-bit kernel's 16-word (128-byte)
 * unrolled blocks exhaustively, then random larger sizes and ranges with fast-check (past the WebAssembly
 * kernel's 64 KiB pieces too).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMaskKey,
  maskCopy,
  maskInto,
  maskInto32,
  maskIntoScalar,
  maskKey,
  xorRange32,
  xorRange64,
} from '../src/bytes/mask.js';
import { wasmKernels } from '../src/simd/wasm-kernels.js';

const kernels = wasmKernels();
if (kernels === undefined) throw new Error('Node 20 runs WebAssembly SIMD: the kernel must load here');

/** The reference: byte i of the payload is XOR-ed with key byte (offset + i) mod 4. */
function reference(data: Uint8Array, mask: Uint8Array, offset: number): Uint8Array {
  return data.map((b, i) => b ^ mask[(offset + i) & 3]!);
}

function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 17 + 11) & 0xff;
  return out;
}

const MASKS = [
  new Uint8Array([0x37, 0xfa, 0x21, 0x3d]),
  new Uint8Array([0xff, 0x00, 0x80, 0x01]),
  new Uint8Array([0x80, 0x80, 0x80, 0x80]),
];
const IN_PLACE = {
  xorRange64,
  xorRange32,
  wasm: (bytes: Uint8Array, start: number, end: number, key: number, offset: number) =>
    kernels.maskInPlace(bytes.subarray(start, end), key, offset),
} as const;
/** 0..64, and the lengths around one and two of the 64-bit kernel's 128-byte unrolled blocks (plus head). */
const LENGTHS = [...range(0, 64), ...range(120, 144), ...range(248, 272)];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('in-place kernels', () => {
  for (const [name, kernel] of Object.entries(IN_PLACE)) {
    it(`${name}: every alignment 0..7, length 0..64 and 120..144, 248..272, payload offset 0..3; bytes outside the range untouched`, () => {
      for (const mask of MASKS) {
        const key = maskKey(mask);
        for (let align = 0; align < 8; align++) {
          for (const length of LENGTHS) {
            for (let offset = 0; offset < 4; offset++) {
              const data = patterned(length, align + offset);
              const buffer = patterned(align + length + 5, 99);
              buffer.set(data, align);
              const before = buffer.slice();
              // The range starts at `align` inside a view that itself starts 1 byte in: both offsets matter.
              const view = buffer.subarray(1);
              kernel(view, Math.max(align - 1, 0), align - 1 < 0 ? length : align - 1 + length, key, offset);
              const start = align - 1 < 0 ? 1 : align;
              expect(buffer.subarray(start, start + length)).toEqual(
                reference(before.subarray(start, start + length), mask, offset),
              );
              expect(buffer.subarray(0, start)).toEqual(before.subarray(0, start));
              expect(buffer.subarray(start + length)).toEqual(before.subarray(start + length));
            }
          }
        }
      }
    });

    it(`${name}: random sizes up to 70,000 at random positions of a buffer`, () => {
      fc.assert(
        fc.property(
          fc.nat({ max: 70_000 }),
          fc.nat({ max: 15 }),
          fc.nat({ max: 15 }),
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          fc.nat({ max: 1000 }),
          (length, viewStart, before, mask, offset) => {
            const buffer = patterned(viewStart + before + length + 3, length);
            const original = buffer.slice();
            const view = buffer.subarray(viewStart);
            kernel(view, before, before + length, maskKey(mask), offset);
            const start = viewStart + before;
            expect(
              Buffer.from(buffer.subarray(start, start + length)).equals(
                reference(original.subarray(start, start + length), mask, offset),
              ),
            ).toBe(true);
            expect(Buffer.from(buffer.subarray(0, start)).equals(original.subarray(0, start))).toBe(true);
            expect(Buffer.from(buffer.subarray(start + length)).equals(original.subarray(start + length))).toBe(true);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('applyMaskKey (bytewise below 32 bytes, else the chosen kernel): every alignment 0..7, length 0..64, offset 0..3', () => {
    for (const mask of MASKS) {
      for (let align = 0; align < 8; align++) {
        for (let length = 0; length <= 64; length++) {
          for (let offset = 0; offset < 4; offset++) {
            const data = patterned(length, align * 4 + offset);
            const buffer = new Uint8Array(align + length + 3).fill(0xee);
            buffer.set(data, align);
            applyMaskKey(buffer.subarray(align, align + length), maskKey(mask), offset);
            expect(buffer.subarray(align, align + length)).toEqual(reference(data, mask, offset));
            expect([...buffer.subarray(0, align), ...buffer.subarray(align + length)].every((b) => b === 0xee)).toBe(true);
          }
        }
      }
    }
  });

  it('applyMaskKey (the kernel this engine chose) agrees with the reference', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat({ max: 7 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat({ max: 3 }),
        (data, align, mask, offset) => {
          const buffer = new Uint8Array(data.length + align);
          buffer.set(data, align);
          applyMaskKey(buffer.subarray(align), maskKey(mask), offset);
          expect(Buffer.from(buffer.subarray(align)).equals(reference(data, mask, offset))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const COPYING = {
  maskInto,
  maskIntoScalar,
  maskInto32,
  wasm: kernels.maskInto.bind(kernels),
} as const;

describe('copying kernels', () => {
  for (const [name, kernel] of Object.entries(COPYING)) {
    it(`${name}: every source and target alignment 0..7, length 0..64; the source is left alone`, () => {
      const mask = MASKS[0]!;
      const key = maskKey(mask);
      for (let sourceAlign = 0; sourceAlign < 8; sourceAlign++) {
        for (let targetAlign = 0; targetAlign < 8; targetAlign++) {
          for (let length = 0; length <= 64; length++) {
            const data = patterned(length, sourceAlign * 8 + targetAlign);
            const sourceBuffer = new Uint8Array(sourceAlign + length);
            sourceBuffer.set(data, sourceAlign);
            const source = sourceBuffer.subarray(sourceAlign);
            const target = new Uint8Array(targetAlign + length + 2).fill(0xee);
            const offset = (sourceAlign + targetAlign) & 3;
            kernel(source, target, targetAlign, key, offset);
            expect(source).toEqual(data);
            expect(target.subarray(targetAlign, targetAlign + length)).toEqual(reference(data, mask, offset));
            expect([...target.subarray(0, targetAlign), ...target.subarray(targetAlign + length)].every((b) => b === 0xee)).toBe(
              true,
            );
          }
        }
      }
    });

    it(`${name}: random sizes up to 70,000, unrelated alignments`, () => {
      fc.assert(
        fc.property(
          fc.nat({ max: 70_000 }),
          fc.nat({ max: 7 }),
          fc.nat({ max: 7 }),
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          fc.nat({ max: 1000 }),
          (length, sourceAlign, at, mask, offset) => {
            const data = patterned(length, sourceAlign + at);
            const sourceBuffer = new Uint8Array(sourceAlign + length);
            sourceBuffer.set(data, sourceAlign);
            const source = sourceBuffer.subarray(sourceAlign);
            const target = new Uint8Array(at + length).fill(0xee);
            kernel(source, target, at, maskKey(mask), offset);
            expect(Buffer.from(source).equals(data)).toBe(true);
            expect(Buffer.from(target.subarray(at)).equals(reference(data, mask, offset))).toBe(true);
            expect(target.subarray(0, at).every((b) => b === 0xee)).toBe(true);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('maskCopy: sizes around the slab limit and with an allocator that pre-fills 0xEE', () => {
    const mask = MASKS[1]!;
    for (const length of [0, 1, 31, 32, 33, 4095, 4096, 4097, 65_536 + 3]) {
      for (const align of [0, 1, 3, 4, 5]) {
        const buffer = patterned(length + align, length);
        const data = buffer.subarray(align);
        const copy = data.slice();
        for (const allocate of [undefined, (size: number) => new Uint8Array(size + 1).fill(0xee).subarray(1)]) {
          const out = maskCopy(data, mask, allocate);
          expect(Buffer.from(data).equals(copy)).toBe(true);
          expect(Buffer.from(out).equals(reference(copy, mask, 0))).toBe(true);
        }
      }
    }
  });
});
