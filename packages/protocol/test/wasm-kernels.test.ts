/**
 * The WebAssembly SIMD kernels (src/simd/kernel.wat) against the scalar JavaScript loops they stand in
 * for: the embedded bytes are what kernel.wat assembles to; both paths give identical bytes (unmasking)
 * and identical verdicts and first-bad-byte positions (UTF-8, whole and fragment by fragment) on random
 * input of every length 0..300 at every alignment and mask rotation and at sizes past the kernels' 64 KiB
 * pieces; the conformance table's UTF-8 vectors at every position of a block; the codec routes to the
 * kernels exactly from the thresholds in use-wasm.ts; and it falls back to the scalar loops where
 * WebAssembly, its SIMD, or compiling is missing.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assembleKernel, KERNEL_MODULE_PATH, renderKernelModule } from '../scripts/generate-kernel.mjs';
import { applyMaskKey, applyMaskKeyScalar, maskInto, maskIntoScalar, maskKey } from '../src/bytes/mask.js';
import { wasmFrom } from '../src/simd/use-wasm.js';
import {
  KERNEL_CHUNK,
  kernelBytes,
  loadKernels,
  type WebAssemblyApi,
  WasmKernels,
  wasmKernels,
} from '../src/simd/wasm-kernels.js';
import { isValidUtf8, isValidUtf8Scalar, Utf8Validator } from '../src/text/utf8.js';
import { UTF8_BOUNDARIES, UTF8_INVALID, UTF8_INVALID_BOUNDARIES, UTF8_VALID } from './utf8-vectors.js';

/** The global WebAssembly object (this package's tsconfig has no DOM types to name it). */
const realWebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
const kernels = wasmKernels();
if (kernels === undefined) throw new Error('Node 20 runs WebAssembly SIMD: the kernels must load here');

/** A seeded generator (mulberry32), so a failure names inputs that can be made again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() * 256) | 0;
  return out;
}

/** `bytes` copied to offset `align` of a buffer with guard bytes after it: a view at that alignment. */
function placed(bytes: Uint8Array, align: number): Uint8Array {
  const buffer = new Uint8Array(align + bytes.length + 5).fill(0xee);
  buffer.set(bytes, align);
  return buffer.subarray(align, align + bytes.length);
}

/** Every byte of `view`'s buffer outside the view still 0xEE. */
function guardsIntact(view: Uint8Array): boolean {
  const whole = new Uint8Array(view.buffer);
  for (let i = 0; i < whole.length; i++) {
    if (i >= view.byteOffset && i < view.byteOffset + view.length) continue;
    if (whole[i] !== 0xee) return false;
  }
  return true;
}

describe('the embedded module', () => {
  it('is exactly what scripts/generate-kernel.mjs assembles from kernel.wat (regenerate after editing the .wat)', async () => {
    expect(readFileSync(KERNEL_MODULE_PATH, 'utf8')).toBe(await renderKernelModule());
    expect(kernelBytes()).toEqual(await assembleKernel());
  });

  it('loads in Node 20, which has WebAssembly SIMD', () => {
    expect(realWebAssembly.validate(kernelBytes())).toBe(true);
    expect(kernels).toBeDefined();
  });
});

describe('unmasking: kernel and scalar loop give the same bytes', () => {
  it('every length 0..300, every alignment 0..15, every mask rotation 0..3, random bytes and keys', () => {
    const next = random(1);
    for (let length = 0; length <= 300; length++) {
      for (let align = 0; align < 16; align++) {
        for (let offset = 0; offset < 4; offset++) {
          const data = randomBytes(next, length);
          const key = (next() * 2 ** 32) | 0;
          const expected = data.slice();
          applyMaskKeyScalar(expected, key, offset);
          const view = placed(data, align);
          kernels.maskInPlace(view, key, offset);
          if (!Buffer.from(view).equals(expected) || !guardsIntact(view)) {
            throw new Error(`maskInPlace differs: length ${length}, align ${align}, offset ${offset}, key ${key}`);
          }
        }
      }
    }
  });

  it('masked copies: every length 0..300, source and target alignments 0..7, every rotation', () => {
    const next = random(2);
    for (let length = 0; length <= 300; length++) {
      for (let align = 0; align < 8; align++) {
        const data = randomBytes(next, length);
        const key = (next() * 2 ** 32) | 0;
        const offset = length & 3;
        const source = placed(data, align);
        const expected = new Uint8Array(length + 16).fill(0xee);
        maskIntoScalar(source, expected, 7 - align, key, offset);
        const target = new Uint8Array(length + 16).fill(0xee);
        kernels.maskInto(source, target, 7 - align, key, offset);
        expect(Buffer.from(source).equals(data)).toBe(true);
        if (!Buffer.from(target).equals(expected)) throw new Error(`maskInto differs: length ${length}, align ${align}`);
      }
    }
  });

  it('large sizes around and past the 64 KiB pieces, at unaligned offsets', () => {
    const next = random(3);
    for (const length of [
      1000,
      4095,
      KERNEL_CHUNK - 1,
      KERNEL_CHUNK,
      KERNEL_CHUNK + 1,
      2 * KERNEL_CHUNK + 3,
      1024 * 1024,
      1024 * 1024 + 5,
    ]) {
      for (const [align, offset] of [
        [0, 0],
        [3, 1],
        [6, 2],
        [13, 3],
      ] as const) {
        const data = randomBytes(next, length);
        const key = (next() * 2 ** 32) | 0;
        const expected = data.slice();
        applyMaskKeyScalar(expected, key, offset);
        const view = placed(data, align);
        kernels.maskInPlace(view, key, offset);
        expect(Buffer.from(view).equals(expected), `in place, ${length} bytes at ${align}`).toBe(true);
        expect(guardsIntact(view)).toBe(true);
        // The copy from a source at offset 0 to a target position at another alignment.
        const target = new Uint8Array(align + length + 3).fill(0xee);
        kernels.maskInto(data, target, align, key, offset);
        expect(Buffer.from(target.subarray(align, align + length)).equals(expected), `copy, ${length} bytes`).toBe(true);
        expect([...target.subarray(0, align), ...target.subarray(align + length)].every((b) => b === 0xee)).toBe(true);
      }
    }
  });
});

/** -1: valid and complete; -2: valid so far but cut off inside the last sequence; else the first bad byte. */
function scalarVerdict(bytes: Uint8Array): number {
  const validator = new Utf8Validator();
  const saved = wasmFrom.utf8;
  wasmFrom.utf8 = Number.POSITIVE_INFINITY;
  try {
    const at = validator.push(bytes);
    return at !== -1 ? at : validator.end() ? -1 : -2;
  } finally {
    wasmFrom.utf8 = saved;
  }
}

/** The same through the validator with the kernel at every size, fed in the given fragments. */
function kernelVerdict(bytes: Uint8Array, cuts: readonly number[] = []): number {
  const validator = new Utf8Validator();
  const saved = wasmFrom.utf8;
  wasmFrom.utf8 = 0;
  try {
    let start = 0;
    for (const end of [...cuts, bytes.length]) {
      const at = validator.push(bytes.subarray(start, end));
      if (at !== -1) return start + at;
      start = end;
    }
    return validator.end() ? -1 : -2;
  } finally {
    wasmFrom.utf8 = saved;
  }
}

const encoder = new TextEncoder();
const PIECES = [
  'a',
  'Z',
  '~',
  '\u007f',
  'é',
  '\u07ff',
  '中',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '😀',
  '\u{10000}',
  '\u{10ffff}',
].map((s) => encoder.encode(s));
/** Bytes where validity changes, to corrupt valid text with. */
const EDGES = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];

/** Text of exactly `length` bytes: mostly valid (ASCII-heavy or mixed), sometimes with one byte changed. */
function randomText(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const asciiShare = next() < 0.5 ? 0.95 : 0.3;
  let i = 0;
  while (i < length) {
    const piece = next() < asciiShare ? PIECES[0]! : PIECES[(next() * PIECES.length) | 0]!;
    if (i + piece.length > length) {
      out[i++] = 0x61;
      continue;
    }
    out.set(piece, i);
    i += piece.length;
  }
  const roll = next();
  if (length > 0 && roll < 0.4) out[(next() * length) | 0] = EDGES[(next() * EDGES.length) | 0]!;
  else if (length > 0 && roll < 0.5) out[length - 1] = 0xe2; // cut off inside a sequence
  return out;
}

describe('UTF-8: kernel and scalar loops give the same verdict and first bad byte', () => {
  it('every length 0..300 at every alignment 0..15, whole and in random fragments', () => {
    const next = random(4);
    let invalid = 0;
    for (let length = 0; length <= 300; length++) {
      for (let align = 0; align < 16; align++) {
        const bytes = placed(randomText(next, length), align);
        const expected = scalarVerdict(bytes);
        if (expected !== -1) invalid++;
        expect(kernels.isValidUtf8(bytes, 0, length), `kernel, length ${length} align ${align}`).toBe(expected === -1);
        expect(isValidUtf8Scalar(bytes)).toBe(expected === -1);
        const cuts = [(next() * length) | 0, (next() * length) | 0].sort((a, b) => a - b);
        if (kernelVerdict(bytes) !== expected || kernelVerdict(bytes, cuts) !== expected) {
          throw new Error(
            `validator differs: length ${length}, align ${align}, cuts ${cuts}, bytes ${Buffer.from(bytes).toString('hex')}`,
          );
        }
      }
    }
    // Both kinds of input were really there.
    expect(invalid).toBeGreaterThan(1000);
    expect(invalid).toBeLessThan(301 * 16 - 1000);
  });

  it("the conformance table's UTF-8 vectors at every position of a 64-byte block, in ASCII and in mixed text", () => {
    const vectors: Uint8Array[] = [
      ...UTF8_VALID.map(([, text]) => encoder.encode(text)),
      ...UTF8_BOUNDARIES.map(([, text]) => encoder.encode(text)),
      ...UTF8_INVALID.map(([, bytes]) => Uint8Array.from(bytes)),
      ...UTF8_INVALID_BOUNDARIES.map(([, bytes]) => Uint8Array.from(bytes)),
    ];
    const contexts = [encoder.encode('a'.repeat(200)), encoder.encode('aé中😀'.repeat(20))];
    for (const vector of vectors) {
      for (const context of contexts) {
        for (let at = 0; at < 80; at++) {
          // Insert at a sequence start of the context so the context itself stays valid around it.
          let p = at;
          while ((context[p]! & 0xc0) === 0x80) p++;
          const bytes = new Uint8Array(context.length + vector.length);
          bytes.set(context.subarray(0, p));
          bytes.set(vector, p);
          bytes.set(context.subarray(p), p + vector.length);
          const expected = scalarVerdict(bytes);
          expect(kernels.isValidUtf8(bytes, 0, bytes.length)).toBe(expected === -1);
          expect(kernelVerdict(bytes)).toBe(expected);
          // Fragments cut inside the vector, as a fragmented message would be.
          expect(kernelVerdict(bytes, [p + 1])).toBe(expected);
          expect(kernelVerdict(bytes, [p, p + (vector.length >> 1)])).toBe(expected);
          // And alone, as a whole (short) message.
          expect(kernels.isValidUtf8(vector, 0, vector.length)).toBe(scalarVerdict(vector) === -1);
        }
      }
    }
  });

  it('1 MiB texts: a bad byte or a sequence straddling each 64 KiB piece boundary, and fragments of any size', () => {
    const next = random(5);
    const mixed = encoder.encode('Grüße, 世界! 😀 '.repeat(60_000)).subarray(0, 1024 * 1024);
    let end = mixed.length;
    while ((mixed[end - 1]! & 0xc0) === 0x80 || mixed[end - 1]! >= 0xc0) end--;
    const valid = mixed.slice(0, end);
    expect(scalarVerdict(valid)).toBe(-1);
    expect(kernels.isValidUtf8(valid, 0, valid.length)).toBe(true);
    expect(isValidUtf8(valid)).toBe(true);
    for (const boundary of [KERNEL_CHUNK, 2 * KERNEL_CHUNK, 9 * KERNEL_CHUNK]) {
      for (let delta = -4; delta <= 4; delta++) {
        // A 4-byte character placed so that every one of its bytes in turn sits on the cut.
        const straddling = valid.slice();
        straddling.set(encoder.encode('😀'), boundary + delta);
        const expected = scalarVerdict(straddling);
        expect(kernels.isValidUtf8(straddling, 0, straddling.length)).toBe(expected === -1);
        expect(kernelVerdict(straddling)).toBe(expected);
        // A bad byte next to the cut.
        const broken = valid.slice();
        broken[boundary + delta] = EDGES[(next() * EDGES.length) | 0]!;
        const brokenExpected = scalarVerdict(broken);
        expect(kernels.isValidUtf8(broken, 0, broken.length)).toBe(brokenExpected === -1);
        expect(kernelVerdict(broken)).toBe(brokenExpected);
        expect(kernelVerdict(broken, [boundary + delta - 1, boundary + delta + 2])).toBe(brokenExpected);
      }
    }
    // Random fragment sizes over the whole text, as reads of a large message arrive.
    const cuts: number[] = [];
    for (let at = (next() * 70_000) | 0; at < valid.length; at += 1 + ((next() * 70_000) | 0)) cuts.push(at);
    expect(kernelVerdict(valid, cuts)).toBe(-1);
    const late = valid.slice();
    late[late.length - 3] = 0xc0;
    expect(kernelVerdict(late, cuts)).toBe(scalarVerdict(late));
  });
});

describe('routing: the codec uses the kernels exactly from the thresholds', () => {
  afterEach(() => vi.restoreAllMocks());

  it('applyMaskKey below and at wasmFrom.mask; maskInto never by default, and from wasmFrom.maskCopy when set', () => {
    const inPlace = vi.spyOn(kernels, 'maskInPlace');
    const into = vi.spyOn(kernels, 'maskInto');
    const key = maskKey(Uint8Array.from([1, 2, 3, 4]));
    applyMaskKey(new Uint8Array(wasmFrom.mask - 1), key, 0);
    expect(inPlace.mock.calls.length).toBe(0);
    applyMaskKey(new Uint8Array(wasmFrom.mask), key, 0);
    expect(inPlace.mock.calls.length).toBe(1);
    expect(wasmFrom.maskCopy).toBe(Number.POSITIVE_INFINITY);
    maskInto(new Uint8Array(1 << 20), new Uint8Array((1 << 20) + 1), 1, key, 0);
    expect(into.mock.calls.length).toBe(0);
    const saved = wasmFrom.maskCopy;
    wasmFrom.maskCopy = 64;
    try {
      maskInto(new Uint8Array(63), new Uint8Array(64), 1, key, 0);
      expect(into.mock.calls.length).toBe(0);
      maskInto(new Uint8Array(64), new Uint8Array(65), 1, key, 0);
      expect(into.mock.calls.length).toBe(1);
    } finally {
      wasmFrom.maskCopy = saved;
    }
  });

  it('isValidUtf8 and Utf8Validator.push below and at wasmFrom.utf8', () => {
    const check = vi.spyOn(kernels, 'isValidUtf8');
    const below = new Uint8Array(wasmFrom.utf8 - 1).fill(0x61);
    const at = new Uint8Array(wasmFrom.utf8).fill(0x61);
    expect(isValidUtf8(below)).toBe(true);
    expect(new Utf8Validator().push(below)).toBe(-1);
    expect(check).not.toHaveBeenCalled();
    expect(isValidUtf8(at)).toBe(true);
    expect(new Utf8Validator().push(at)).toBe(-1);
    expect(check).toHaveBeenCalledTimes(2);
  });
});

describe('fallback to the scalar loops', () => {
  const bytes = kernelBytes();
  const real = realWebAssembly;

  it('no kernels without WebAssembly, without SIMD, when compiling is refused, or from a broken module', () => {
    expect(loadKernels(bytes, undefined)).toBeUndefined();
    // An engine without SIMD rejects the module in validate().
    expect(loadKernels(bytes, { ...real, validate: () => false })).toBeUndefined();
    // A page whose Content-Security-Policy lacks 'wasm-unsafe-eval': compiling throws.
    const refusing: WebAssemblyApi = {
      validate: (b) => real.validate(b),
      Module: class {
        constructor() {
          throw new Error('WebAssembly.Module(): Wasm code generation disallowed by embedder');
        }
      },
      Instance: real.Instance,
    };
    expect(loadKernels(bytes, refusing)).toBeUndefined();
    const broken = bytes.slice(0, bytes.length - 7);
    expect(loadKernels(broken, real)).toBeUndefined();
    expect(loadKernels(bytes, real)).toBeDefined();
  });

  type Exports = ConstructorParameters<typeof WasmKernels>[0];
  const instantiate = (): Exports => new real.Instance(new real.Module(bytes), {}).exports as Exports;

  it('memory starts empty and grows to one page at most, whatever the input size', () => {
    const exports = instantiate();
    expect(exports.memory.buffer.byteLength).toBe(0);
    const fresh = new WasmKernels(exports);
    const next = random(8);
    const data = randomBytes(next, 3 * KERNEL_CHUNK + 5);
    const expected = data.slice();
    applyMaskKeyScalar(expected, 0x01020304, 3);
    expect(fresh.maskInPlace(data, 0x01020304, 3)).toBe(true);
    expect(Buffer.from(data).equals(expected)).toBe(true);
    expect(fresh.isValidUtf8(new Uint8Array(5 * KERNEL_CHUNK).fill(0x61), 0, 5 * KERNEL_CHUNK)).toBe(true);
    expect(exports.memory.buffer.byteLength).toBe(65536);
  });

  it('when the memory cannot grow, the kernels touch nothing and say so (the codec then runs its scalar loop)', () => {
    const exports = instantiate();
    const stuck = new WasmKernels({
      ...exports,
      memory: {
        buffer: exports.memory.buffer,
        grow: () => {
          throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
        },
      },
      mask: exports.mask,
      utf8: exports.utf8,
    });
    const data = randomBytes(random(9), 1000);
    const before = data.slice();
    const target = new Uint8Array(1000).fill(0xee);
    expect(stuck.maskInPlace(data, 0x01020304, 0)).toBe(false);
    expect(stuck.maskInto(data, target, 0, 0x01020304, 0)).toBe(false);
    expect(stuck.isValidUtf8(data, 0, 1000)).toBeUndefined();
    expect(data).toEqual(before);
    expect(target.every((b) => b === 0xee)).toBe(true);
    // Empty input needs no memory at all.
    expect(stuck.maskInPlace(new Uint8Array(0), 0x01020304, 0)).toBe(true);
  });

  for (const [name, stub] of [
    ['no WebAssembly at all', undefined],
    [
      'compiling refused (CSP)',
      {
        validate: () => true,
        Module: class {
          constructor() {
            throw new Error('Wasm code generation disallowed by embedder');
          }
        },
        Instance: class {},
      },
    ],
  ] as const) {
    it(`a fresh codec with ${name} unmasks and validates correctly with its scalar loops`, async () => {
      vi.stubGlobal('WebAssembly', stub);
      vi.resetModules();
      try {
        const fresh = await import('../src/index.js');
        const paths = await import('../src/simd/paths.js');
        expect(paths.wasmAvailable()).toBe(false);
        const next = random(6);
        const data = randomBytes(next, 5000);
        const mask = randomBytes(next, 4);
        const masked = data.slice();
        fresh.applyMask(masked, mask);
        expect(Buffer.from(masked).equals(data.map((b, i) => b ^ mask[i & 3]!))).toBe(true);
        const text = encoder.encode('aé中😀'.repeat(500));
        expect(fresh.isValidUtf8(text)).toBe(true);
        text[1234] = 0xff;
        expect(fresh.isValidUtf8(text)).toBe(false);
        expect(new fresh.Utf8Validator().push(text)).toBe(1234);
      } finally {
        vi.unstubAllGlobals();
        vi.resetModules();
      }
    });
  }
});
