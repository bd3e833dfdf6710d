import type { KernelPaths, OurProtocol } from '../ours.js';
import type { Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { asciiPayload, BENCH_MASK, mixedUtf8Payload } from '../wire/frames.js';
import { loadCeiling, storeCeiling } from './ceiling.js';
import { gbpsRow } from './gbps-row.js';
import { distinctInputs, placedPayload } from './inputs.js';
import { unmaskContender, validateContender } from './loop-contenders.js';
import type { Contender } from './measure.js';

/** Section of these rows in the tables. */
export const WASM_SECTION = 'codec: WebAssembly SIMD kernels (copies in and out included) vs scalar JS';

/** Contender ids: the kernel forced at every size, the scalar loop forced at every size. */
export const WASM_ID = 'wasm';
export const SCALAR_ID = 'scalar';

export interface WasmBenchOptions {
  sizes: readonly number[];
  rounds: number;
  roundMs: number;
}

/**
 * The codec's WebAssembly SIMD kernels against its scalar JavaScript loops, in GB/s, at the sizes where
 * the choice between them is made: unmasking, and validating ASCII and mixed UTF-8. The kernel's figure
 * includes what the codec pays to use it from JavaScript: copying the payload into the module's memory
 * and, for unmasking, back out into the caller's buffer. "ours" is what the codec runs at that size (the
 * kernel from its threshold up, the scalar loop below); where the thresholds are right it is the better
 * of the two at every size. The JS ceiling beside them is the same as in the unmask and UTF-8 tables.
 */
export function runWasmBenches(protocol: Partial<OurProtocol>, paths: KernelPaths, options: WasmBenchOptions): Row[] {
  if (!paths.wasmAvailable()) throw new Error('the WebAssembly SIMD kernels do not load in this Node');
  const ourMask = protocol.applyMask;
  const ourValidate = protocol.isValidUtf8;
  if (!ourMask || !ourValidate) throw new Error('@wsts/protocol is not built');
  const { wasmPath, scalarPath } = paths;
  const rows: Row[] = [];
  const row = (kind: string, size: number, contenders: Contender[]): void => {
    rows.push(gbpsRow(contenders, size, options, { section: WASM_SECTION, case: `${kind} ${formatSize(size)}`, bar: SCALAR_ID }));
  };

  for (const size of options.sizes) {
    const a = placedPayload(size);
    const b = placedPayload(size);
    wasmPath.applyMask(a, BENCH_MASK);
    scalarPath.applyMask(b, BENCH_MASK);
    if (!a.equals(b)) throw new Error(`unmask ${formatSize(size)}: the kernel and the scalar loop disagree`);
    row('unmask', size, [
      unmaskContender('ours', size, ourMask, BENCH_MASK),
      unmaskContender(WASM_ID, size, wasmPath.applyMask, BENCH_MASK),
      unmaskContender(SCALAR_ID, size, scalarPath.applyMask, BENCH_MASK),
      storeCeiling(placedPayload(size)),
    ]);
  }

  for (const [kind, make] of [
    ['UTF-8 ASCII', asciiPayload],
    ['UTF-8 mixed', mixedUtf8Payload],
  ] as const) {
    for (const size of options.sizes) {
      const inputs = distinctInputs(size, make);
      for (const [id, validate] of [
        ['ours', ourValidate],
        [WASM_ID, wasmPath.isValidUtf8],
        [SCALAR_ID, scalarPath.isValidUtf8],
      ] as const) {
        for (const input of inputs)
          if (!validate(input)) throw new Error(`${kind} ${formatSize(size)}: ${id} rejected valid input`);
        const broken = Buffer.from(inputs[0]!);
        broken[broken.length >> 1] = 0xff;
        if (validate(broken)) throw new Error(`${kind} ${formatSize(size)}: ${id} accepted a 0xFF byte`);
      }
      row(kind, size, [
        validateContender('ours', inputs, ourValidate),
        validateContender(WASM_ID, inputs, wasmPath.isValidUtf8),
        validateContender(SCALAR_ID, inputs, scalarPath.isValidUtf8),
        loadCeiling(inputs),
      ]);
    }
  }
  return rows;
}
