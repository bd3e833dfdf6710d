/**
 * Runs in the browser page of `pnpm --filter @wsts/e2e simd-bench`: the codec's WebAssembly SIMD kernels
 * (with their copies into the module's memory and back) against its scalar JavaScript loops, both forced
 * at every size. kernels.js (the codec's dist/simd/paths.js bundled for the browser) provides them as
 * `globalThis.wstsKernels`. Before timing, both paths must agree on random input (unmasked bytes,
 * UTF-8 verdicts): a disagreement in one engine is reported instead of figures.
 */

/** One loop's two entry points, as dist/simd/paths.js exports them. */
interface BytePath {
  applyMask(data: Uint8Array, mask: Uint8Array, offset?: number): void;
  isValidUtf8(bytes: Uint8Array): boolean;
}

interface Kernels {
  wasmAvailable(): boolean;
  scalarPath: BytePath;
  wasmPath: BytePath;
}

/** One case the runner asks for. */
export interface SimdBenchRequest {
  kind: SimdBenchKind;
  size: number;
  /** Target length of one timed batch. */
  batchMs: number;
  /** Timed batches per figure (the median is reported). */
  rounds: number;
}

export type SimdBenchKind = 'unmask' | 'UTF-8 ASCII' | 'UTF-8 mixed';

/** One measured case: GB/s of each path. */
export interface SimdBenchRow {
  kind: SimdBenchKind;
  size: number;
  scalar: number;
  wasm: number;
}

/** Before any timing: the engine, whether it runs the kernels, and any disagreement of the two paths. */
export interface SimdBenchCheck {
  userAgent: string;
  wasm: boolean;
  /** Inputs on which the two paths disagreed (should be empty). */
  mismatches: string[];
}

declare global {
  // eslint-disable-next-line no-var
  var wstsKernels: Kernels | undefined;
  // eslint-disable-next-line no-var
  var wstsSimdBench: { check(): string; measure(requestJson: string): string };
}

/** A seeded generator (mulberry32), so every engine measures the same bytes. */
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

const MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
const encoder = new TextEncoder();

function asciiText(size: number, seed: number): Uint8Array {
  const next = random(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = 0x20 + ((next() * 95) | 0);
  return out;
}

/** Mostly ASCII with 2-, 3- and 4-byte characters, exactly `size` bytes. */
function mixedText(size: number, seed: number): Uint8Array {
  const next = random(seed);
  const pieces = ['é', 'ß', 'λ', 'Ж', '中', '文', 'の', '한', '😀', '🚀'].map((s) => encoder.encode(s));
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const piece = pieces[(next() * pieces.length) | 0]!;
    if (next() < 0.7 || size - at < piece.length) out[at++] = 0x61 + ((next() * 26) | 0);
    else {
      out.set(piece, at);
      at += piece.length;
    }
  }
  return out;
}

/** Random inputs through both paths; returns a description of each disagreement. */
function crossCheck(k: Kernels): string[] {
  const next = random(7);
  const mismatches: string[] = [];
  const lengths = [...Array.from({ length: 301 }, (_, i) => i), 4096 + 3, 65_536, 65_536 + 5, 200_001];
  for (const length of lengths) {
    const offset = length & 3;
    const backing = new Uint8Array(length + 8);
    for (let i = 0; i < backing.length; i++) backing[i] = (next() * 256) | 0;
    const a = backing.slice().subarray(length & 7, (length & 7) + length);
    const b = backing.slice().subarray(length & 7, (length & 7) + length);
    k.scalarPath.applyMask(a, MASK, offset);
    k.wasmPath.applyMask(b, MASK, offset);
    for (let i = 0; i < length; i++) {
      if (a[i] !== b[i]) {
        mismatches.push(`unmask ${length} B: byte ${i}`);
        break;
      }
    }
    const text = length % 2 === 0 ? mixedText(length, length) : asciiText(length, length);
    if (length > 0 && next() < 0.5) text[(next() * length) | 0] = [0x80, 0xc0, 0xed, 0xf4, 0xf5, 0xff][(next() * 6) | 0]!;
    if (k.scalarPath.isValidUtf8(text) !== k.wasmPath.isValidUtf8(text)) mismatches.push(`UTF-8 ${length} B`);
  }
  return mismatches;
}

/** GB/s of `step` (one call over `size` bytes): batches calibrated to `batchMs`, median of `rounds`. */
function rate(step: () => void, size: number, request: SimdBenchRequest): number {
  let n = 1;
  // Warm up and calibrate: double until a batch takes a quarter of the target, then scale to it.
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < n; i++) step();
    const ms = performance.now() - start;
    if (ms >= request.batchMs / 4 || n >= 2 ** 28) {
      n = Math.max(1, Math.ceil((n * request.batchMs) / Math.max(ms, 0.001)));
      break;
    }
    n *= 2;
  }
  const figures: number[] = [];
  for (let round = 0; round < request.rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) step();
    const ms = performance.now() - start;
    figures.push((n * size) / (Math.max(ms, 0.001) / 1000) / 1e9);
  }
  figures.sort((x, y) => x - y);
  return figures[figures.length >> 1]!;
}

/** One case: both paths over the same input(s). */
function measureOne(k: Kernels, request: SimdBenchRequest): SimdBenchRow {
  const { kind, size } = request;
  if (kind === 'unmask') {
    const data = new Uint8Array(size + 6).subarray(6); // unaligned, as after a frame header
    data.set(asciiText(size, 1));
    return {
      kind,
      size,
      scalar: rate(() => k.scalarPath.applyMask(data, MASK), size, request),
      wasm: rate(() => k.wasmPath.applyMask(data, MASK), size, request),
    };
  }
  const make = kind === 'UTF-8 ASCII' ? asciiText : mixedText;
  // Distinct inputs cycled, so no validator learns one by heart.
  const inputs = Array.from({ length: Math.max(1, Math.ceil((256 * 1024) / size)) }, (_, i) => make(size, 100 + i));
  const cycle = (path: BytePath): (() => void) => {
    let i = 0;
    return () => {
      if (!path.isValidUtf8(inputs[i]!)) throw new Error(`${kind} ${size} B rejected`);
      i = i + 1 === inputs.length ? 0 : i + 1;
    };
  };
  return { kind, size, scalar: rate(cycle(k.scalarPath), size, request), wasm: rate(cycle(k.wasmPath), size, request) };
}

function kernels(): Kernels {
  const k = globalThis.wstsKernels;
  if (k === undefined) throw new Error('kernels.js is not loaded');
  return k;
}

/** The engine, whether it runs the kernels, and where the two paths disagree (JSON of a {@link SimdBenchCheck}). */
function check(): string {
  const k = kernels();
  const wasm = k.wasmAvailable();
  const report: SimdBenchCheck = { userAgent: navigator.userAgent, wasm, mismatches: wasm ? crossCheck(k) : [] };
  return JSON.stringify(report);
}

/** One case, measured (JSON of a {@link SimdBenchRow}). One call per case keeps each script run short. */
function measure(requestJson: string): string {
  return JSON.stringify(measureOne(kernels(), JSON.parse(requestJson) as SimdBenchRequest));
}

globalThis.wstsSimdBench = { check, measure };
