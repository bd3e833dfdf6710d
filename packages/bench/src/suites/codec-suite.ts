import { runFrameBenches } from '../codec/frame-bench.js';
import { runMaskBenches } from '../codec/mask-bench.js';
import { runUtf8Benches } from '../codec/utf8-bench.js';
import { runWasmBenches, WASM_SECTION } from '../codec/wasm-bench.js';
import type { KernelPaths, OurProtocol } from '../ours.js';
import { failedRow, type Row } from '../report/row.js';

export interface CodecSuiteOptions {
  frameSizes: readonly number[];
  maskSizes: readonly number[];
  utf8Sizes: readonly number[];
  /** Sizes of the WebAssembly-kernels-vs-scalar rows (unmask, UTF-8 ASCII and mixed). */
  wasmSizes: readonly number[];
  /** The codec's two paths for its byte loops; undefined: the codec has no kernels (those rows fail). */
  kernelPaths: KernelPaths | undefined;
  rounds: number;
  roundMs: number;
  log: (line: string) => void;
}

/** A bench that threw (a decoder disagreeing, a validator rejecting valid input) becomes one failed row. */
function guarded(section: string, run: () => Row[]): Row[] {
  try {
    return run();
  } catch (error) {
    return [failedRow(section, 'all', (error as Error).message)];
  }
}

/**
 * The in-process codec micro-benchmarks: frames, unmasking, UTF-8 validation, and the codec's WebAssembly
 * SIMD kernels against its scalar loops.
 */
export function runCodecSuite(protocol: Partial<OurProtocol>, options: CodecSuiteOptions): Row[] {
  const { rounds, roundMs } = options;
  const rows: Row[] = [];
  options.log('  frame decode / encode');
  rows.push(...guarded('codec: frames', () => runFrameBenches(protocol, { sizes: options.frameSizes, rounds, roundMs })));
  options.log('  unmask');
  rows.push(...guarded('codec: unmask', () => runMaskBenches(protocol, { sizes: options.maskSizes, rounds, roundMs })));
  options.log('  UTF-8 validation');
  rows.push(...guarded('codec: UTF-8 validation', () => runUtf8Benches(protocol, { sizes: options.utf8Sizes, rounds, roundMs })));
  options.log('  WebAssembly SIMD kernels vs scalar JS');
  rows.push(
    ...guarded(WASM_SECTION, () => {
      const paths = options.kernelPaths;
      if (paths === undefined) throw new Error("@wsts/protocol's dist/simd/paths.js is missing: build it (pnpm build)");
      return runWasmBenches(protocol, paths, { sizes: options.wasmSizes, rounds, roundMs });
    }),
  );
  return rows;
}
