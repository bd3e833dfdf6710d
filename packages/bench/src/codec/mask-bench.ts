import type { OurProtocol } from '../ours.js';
import type { Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { BENCH_MASK } from '../wire/frames.js';
import { storeCeiling } from './ceiling.js';
import { gbpsRow } from './gbps-row.js';
import { placedPayload } from './inputs.js';
import { unmaskContender } from './loop-contenders.js';
import { bufferutil, wsPureJsUnmask } from './vendors.js';

export interface MaskBenchOptions {
  sizes: readonly number[];
  rounds: number;
  roundMs: number;
}

/**
 * Unmasking throughput in GB/s: ours against bufferutil (the bar) and against ws's pure-JS loop, with the
 * scalar-JS ceiling beside them (a loop that only loads and stores every word).
 */
export function runMaskBenches(protocol: Partial<OurProtocol>, options: MaskBenchOptions): Row[] {
  const rows: Row[] = [];
  const mask = Buffer.from(BENCH_MASK);
  const ourMask = protocol.applyMask;
  for (const size of options.sizes) {
    // Without our codec built, bufferutil stands in for ours (the row is then marked a placeholder).
    const contenders = [
      unmaskContender('ours', size, ourMask ?? bufferutil.unmask, mask),
      unmaskContender('bufferutil', size, bufferutil.unmask, mask),
      unmaskContender('ws-js-unmask', size, wsPureJsUnmask, mask),
      storeCeiling(placedPayload(size)),
    ];
    if (ourMask) checkSameResult(ourMask, size, mask);
    rows.push(
      gbpsRow(contenders, size, options, {
        section: 'codec: unmask (payload at its real, unaligned offset)',
        case: formatSize(size),
        bar: 'bufferutil',
        placeholder: !ourMask,
      }),
    );
  }
  return rows;
}

/** Ours must produce exactly what ws's reference loop produces before its speed means anything. */
function checkSameResult(ourMask: NonNullable<OurProtocol['applyMask']>, size: number, mask: Buffer): void {
  const a = placedPayload(size);
  const b = placedPayload(size);
  ourMask(a, mask);
  wsPureJsUnmask(b, mask);
  if (!a.equals(b)) throw new Error(`applyMask ${formatSize(size)}: output differs from the reference unmask`);
}
