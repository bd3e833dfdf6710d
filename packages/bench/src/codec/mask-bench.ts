import type { OurProtocol } from '../ours.js';
import { makeRow, type Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { asciiPayload, BENCH_MASK, headerLength } from '../wire/frames.js';
import { storeCeiling } from './ceiling.js';
import { measure, type Contender, scaledRates } from './measure.js';
import { bufferutil, wsPureJsUnmask } from './vendors.js';

/**
 * A payload placed where it sits in a real masked frame: right after its header, so at an offset that is
 * usually not a multiple of 4. Word-at-a-time unmasking has to cope with that, and so does this bench.
 */
function placedPayload(size: number): Buffer {
  const offset = headerLength(size, true);
  const backing = Buffer.alloc(offset + size);
  backing.set(asciiPayload(size), offset);
  return backing.subarray(offset);
}

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
    // Unmasking twice restores the input, so the same buffer serves every iteration.
    const contenders: Contender[] = [
      {
        id: 'ours',
        run: (() => {
          const data = placedPayload(size);
          if (ourMask) {
            return (n: number) => {
              for (let i = 0; i < n; i++) ourMask(data, mask);
              return data[0]!;
            };
          }
          return (n: number) => {
            for (let i = 0; i < n; i++) bufferutil.unmask(data, mask);
            return data[0]!;
          };
        })(),
      },
      {
        id: 'bufferutil',
        run: (() => {
          const data = placedPayload(size);
          return (n: number) => {
            for (let i = 0; i < n; i++) bufferutil.unmask(data, mask);
            return data[0]!;
          };
        })(),
      },
      {
        id: 'ws-js-unmask',
        run: (() => {
          const data = placedPayload(size);
          return (n: number) => {
            for (let i = 0; i < n; i++) wsPureJsUnmask(data, mask);
            return data[0]!;
          };
        })(),
      },
      storeCeiling(placedPayload(size)),
    ];
    if (ourMask) checkSameResult(ourMask, size, mask);
    const result = measure(contenders, { rounds: options.rounds, roundMs: options.roundMs, unitsPerIteration: size });
    const { values, samples } = scaledRates(result, 1e9);
    rows.push(
      makeRow({
        section: 'codec: unmask (payload at its real, unaligned offset)',
        case: formatSize(size),
        metric: 'GB/s',
        better: 'higher',
        bar: 'bufferutil',
        values,
        samples,
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
