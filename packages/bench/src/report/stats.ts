/** Small order statistics used by every suite. */

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Nearest-rank percentile (p in 0..100) of samples that are already sorted ascending.
 * Nearest-rank rather than interpolation so a p99 is always a latency that was actually observed.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** How evenly some work was shared out: Jain's index and the smallest, median and largest share. */
export interface Fairness {
  /** Jain's fairness index: 1 when every share is equal, 1/n when one got everything. */
  jain: number;
  min: number;
  median: number;
  max: number;
}

/**
 * How evenly the measured replies were spread over the connections. WHY: latency percentiles are taken
 * over messages, so a server that serves a few connections often and the rest rarely shows a *lower*
 * p50 than a fair one at the same throughput (its favourites contribute most samples). This says which
 * kind of server a latency row describes.
 */
export function fairness(counts: readonly number[]): Fairness {
  const n = counts.length;
  let sum = 0;
  let squares = 0;
  for (const c of counts) {
    sum += c;
    squares += c * c;
  }
  const sorted = [...counts].sort((a, b) => a - b);
  return {
    jain: squares === 0 ? 1 : (sum * sum) / (n * squares),
    min: sorted[0] ?? 0,
    median: sorted[n >> 1] ?? 0,
    max: sorted[n - 1] ?? 0,
  };
}
