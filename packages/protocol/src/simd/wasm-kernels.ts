/**
 * The WebAssembly SIMD kernels of kernel.wat (unmasking and UTF-8 validation) behind plain functions on
 * `Uint8Array`s. The bytes to work on live in the caller's ArrayBuffer, which WebAssembly cannot address,
 * so every call copies them into the module's memory and, for unmasking, back out: those copies are part
 * of the price, and why the codec hands a loop over only above a size (see use-wasm.ts).
 *
 * Loaded lazily and synchronously on first use: the module is under 1 KiB, small enough for
 * `new WebAssembly.Module` on any thread. Where WebAssembly or its SIMD instructions are missing, or
 * compiling is refused (a page whose Content-Security-Policy lacks 'wasm-unsafe-eval'), there are no
 * kernels and the codec keeps its scalar loops.
 * @module
 */

import { KERNEL_HEX } from './kernel-module.js';

/**
 * Bytes handed to the module per call; longer inputs go through in pieces of this size. WHY 64 KiB: the
 * piece is copied in, worked on and copied out while it is still in the core's cache, and a piece
 * rounded up to 64 bytes fits one 64 KiB memory page, the most the module's memory ever grows to.
 */
export const KERNEL_CHUNK = 64 * 1024;

/** Bytes in a WebAssembly memory page. */
const PAGE = 65536;

/** What kernel.wat exports. */
interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  mask(at: number, length: number, key: number): void;
  utf8(at: number, length: number): number;
}

/** The part of the WebAssembly JavaScript API used here (the codec compiles without DOM types). */
export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: unknown };
}

/** A loaded kernel module and its memory. One per realm (worker, page, process), used by one thread. */
export class WasmKernels {
  /** A view of the whole memory; made again after the memory grows (growing detaches the old buffer). */
  private heap: Uint8Array;

  constructor(private readonly kernel: KernelExports) {
    this.heap = new Uint8Array(kernel.memory.buffer);
  }

  /**
   * Grows the memory, which starts empty, to at least `bytes` (a piece of at most KERNEL_CHUNK, rounded
   * up: so never beyond one page). False when it cannot grow (the engine is out of memory): the caller
   * then runs its scalar loop, and nothing has been touched.
   */
  private reserve(bytes: number): boolean {
    if (this.heap.length >= bytes) return true;
    try {
      this.kernel.memory.grow(Math.ceil((bytes - this.heap.length) / PAGE));
    } catch {
      return false;
    }
    this.heap = new Uint8Array(this.kernel.memory.buffer);
    return true;
  }

  /**
   * XORs `data` in place with the mask `key` (the 4 bytes as one big-endian int32, see maskKey in
   * bytes/mask.ts); `offset` is the payload position of `data[0]`. False (nothing done) when the
   * module's memory cannot grow to a piece.
   */
  maskInPlace(data: Uint8Array, key: number, offset: number): boolean {
    const length = data.length;
    if (!this.reserve(roundUp64(Math.min(length, KERNEL_CHUNK)))) return false;
    const memoryKey = memoryOrderKey(key, offset);
    if (length <= KERNEL_CHUNK) {
      this.maskPiece(data, data, 0, memoryKey);
      return true;
    }
    // Pieces are a multiple of 4 bytes long, so each starts at the same key byte.
    for (let start = 0; start < length; start += KERNEL_CHUNK) {
      const piece = data.subarray(start, Math.min(length, start + KERNEL_CHUNK));
      this.maskPiece(piece, piece, 0, memoryKey);
    }
    return true;
  }

  /**
   * Writes `source` XOR the mask into `target` at `at`; `offset` is the payload position of `source[0]`.
   * False (nothing written) when the module's memory cannot grow to a piece.
   */
  maskInto(source: Uint8Array, target: Uint8Array, at: number, key: number, offset: number): boolean {
    const length = source.length;
    if (!this.reserve(roundUp64(Math.min(length, KERNEL_CHUNK)))) return false;
    const memoryKey = memoryOrderKey(key, offset);
    if (length <= KERNEL_CHUNK) {
      this.maskPiece(source, target, at, memoryKey);
      return true;
    }
    for (let start = 0; start < length; start += KERNEL_CHUNK) {
      this.maskPiece(source.subarray(start, Math.min(length, start + KERNEL_CHUNK)), target, at + start, memoryKey);
    }
    return true;
  }

  /** One piece (memory already reserved): copy in, XOR, copy out. */
  private maskPiece(source: Uint8Array, target: Uint8Array, at: number, memoryKey: number): void {
    const length = source.length;
    // The kernel works in 64-byte steps: the bytes past `length` are scratch, XORed and never read.
    const rounded = roundUp64(length);
    const heap = this.heap;
    heap.set(source);
    this.kernel.mask(0, rounded, memoryKey);
    target.set(heap.subarray(0, length), at);
  }

  /**
   * Whether `bytes[from..to)` is complete, strict UTF-8; undefined when the module's memory cannot grow
   * to a piece. Long inputs are cut into pieces at sequence starts: valid text is valid in every such
   * piece, and pieces that are each valid join into valid text, so the answer is the same as for the whole.
   */
  isValidUtf8(bytes: Uint8Array, from: number, to: number): boolean | undefined {
    if (!this.reserve(roundUp64(Math.min(to - from, KERNEL_CHUNK)))) return undefined;
    let start = from;
    while (to - start > KERNEL_CHUNK) {
      let end = start + KERNEL_CHUNK;
      // Back up to the first byte of a sequence: valid text has one within the 3 bytes before a
      // continuation. (Invalid text fails whatever the cut.)
      for (let k = 0; k < 3 && (bytes[end]! & 0xc0) === 0x80; k++) end--;
      if (!this.validPiece(bytes.subarray(start, end))) return false;
      start = end;
    }
    return this.validPiece(start === 0 && to === bytes.length ? bytes : bytes.subarray(start, to));
  }

  private validPiece(piece: Uint8Array): boolean {
    const length = piece.length;
    // The kernel reads whole 16-byte blocks: zeros (ASCII) after the text make a sequence that the text
    // leaves open fail, and nothing left over from an earlier call is read.
    const rounded = (length + 15) & ~15;
    const heap = this.heap;
    heap.set(piece);
    if (rounded > length) heap.fill(0, length, rounded);
    return this.kernel.utf8(0, length) === 1;
  }
}

function roundUp64(length: number): number {
  return (length + 63) & ~63;
}

/**
 * The key in the kernel's terms: rotated so its first byte is the one for payload position `offset`,
 * then as the int32 that WebAssembly (always little-endian) stores as those 4 bytes in order.
 */
function memoryOrderKey(key: number, offset: number): number {
  const shift = (offset & 3) << 3;
  const rotated = shift === 0 ? key : (key << shift) | (key >>> (32 - shift));
  return (rotated >>> 24) | ((rotated >>> 8) & 0xff00) | ((rotated & 0xff00) << 8) | (rotated << 24);
}

/** The module's bytes, decoded once from the generated hex. */
export function kernelBytes(): Uint8Array {
  const bytes = new Uint8Array(KERNEL_HEX.length >>> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(KERNEL_HEX.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Compiles and instantiates `bytes` with `api` (the global `WebAssembly`, which may be missing); undefined
 * when that is not possible here: no WebAssembly at all, an engine without SIMD (`validate` says no), or
 * compiling refused (a CSP without 'wasm-unsafe-eval' throws). Never throws. Exported for the tests, which
 * pass their own `api`.
 */
export function loadKernels(bytes: Uint8Array, api: WebAssemblyApi | undefined): WasmKernels | undefined {
  try {
    if (api === undefined || typeof api.validate !== 'function' || !api.validate(bytes)) return undefined;
    return new WasmKernels(new api.Instance(new api.Module(bytes), {}).exports as KernelExports);
  } catch {
    return undefined;
  }
}

/** undefined until the first call; then the kernels, or null when this engine has none. */
let loaded: WasmKernels | null | undefined;

/** This realm's kernels, loaded on the first call; undefined where they cannot run (see loadKernels). */
export function wasmKernels(): WasmKernels | undefined {
  if (loaded === undefined) {
    loaded = loadKernels(kernelBytes(), (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly) ?? null;
  }
  return loaded ?? undefined;
}
