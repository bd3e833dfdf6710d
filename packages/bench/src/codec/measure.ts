/** In-process throughput measurement: calibrated batches, contenders interleaved round by round. */
import { median } from '../report/stats.js';

/** One thing being timed. `run(n)` performs the operation n times and returns something derived from the
 * results, which is folded into a sink so the optimizer cannot drop the work. */
export interface Contender {
  id: string;
  run: (iterations: number) => number;
}

export interface MeasureOptions {
  /** Rounds per contender; the figure reported is the median round. */
  rounds: number;
  /** Target duration of one timed batch. */
  roundMs: number;
  /** What one iteration is worth (payload bytes, messages) for the per-second figure. */
  unitsPerIteration: number;
}

let sink = 0;
/** Read by nobody; exported so the work feeding it stays observable. */
export function sinkValue(): number {
  return sink;
}

/**
 * Milliseconds of CPU (user + system) the batch used. CPU time rather than wall time because the
 * benches share their cores with other work: a wall clock charges the batch for every slice the
 * scheduler gives someone else, which swings figures by 10x on a busy 2-core machine, while the CPU
 * time of a single-threaded loop is what the loop costs. (On an idle machine the two agree.)
 */
function timeBatch(contender: Contender, iterations: number): number {
  const start = process.cpuUsage();
  sink = (sink + contender.run(iterations)) | 0;
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * Warms the contender up and finds how many iterations fill `roundMs`. Batches double until one takes at
 * least a quarter round, and only after at least two rounds' worth of warm-up: a first call that is slow
 * because it compiles must not make the timed batches tiny (a few iterations cannot be timed). Bounded:
 * at most 60 batches.
 */
function calibrate(contender: Contender, roundMs: number): number {
  let n = 1;
  let spent = 0;
  for (let batch = 0; batch < 60; batch++) {
    const ms = timeBatch(contender, n);
    spent += ms;
    if (ms >= roundMs / 4) {
      if (spent >= 2 * roundMs) return Math.max(1, Math.ceil((n * roundMs) / ms));
    } else if (n < 2 ** 30) {
      n *= ms < roundMs / 64 ? 8 : 2;
    }
  }
  return n;
}

/**
 * Units per second of each contender, one figure per round. Rounds interleave the contenders and rotate
 * their order, so a burst of load from elsewhere on the machine hits all of them rather than one.
 * No forced GC between batches: V8 drops optimized code that embeds objects a full GC frees ("weak
 * objects" deopts), so forcing one per batch measured re-optimization instead of the codec.
 */
export function measure(contenders: readonly Contender[], options: MeasureOptions): Record<string, number[]> {
  const iterations = new Map<string, number>();
  for (const c of contenders) iterations.set(c.id, calibrate(c, options.roundMs));
  const result: Record<string, number[]> = {};
  for (const c of contenders) result[c.id] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length]!;
      const n = iterations.get(c.id)!;
      const ms = timeBatch(c, n);
      result[c.id]!.push((n * options.unitsPerIteration) / (ms / 1000));
    }
  }
  return result;
}

/**
 * Per-contender medians and rounds of `measure`'s units per second, scaled to the table's unit
 * (1e6 for MB/s, 1e9 for GB/s): the `values` and `samples` of a throughput row.
 */
export function scaledRates(
  perSecond: Record<string, number[]>,
  divisor: number,
): { values: Record<string, number>; samples: Record<string, number[]> } {
  const values: Record<string, number> = {};
  const samples: Record<string, number[]> = {};
  for (const [id, list] of Object.entries(perSecond)) {
    values[id] = median(list) / divisor;
    samples[id] = list.map((v) => v / divisor);
  }
  return { values, samples };
}
