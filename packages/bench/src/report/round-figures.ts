/**
 * The figures of a row measured over several rounds: every contender's median over its rounds and its
 * per-round list. Shared by the suites so that every table treats a failed contender the same way.
 */
import { makeRow, type Row } from './row.js';
import { median } from './stats.js';

/** Every contender's figures, one per round, in the order its values appear in a row. */
export interface RoundFigures<F, Id extends string = string> {
  runs: readonly (readonly [id: Id, figures: readonly F[]])[];
  /** A contender that failed a round gets null in the row (which is then incomplete), not a median of the rest. */
  failed: (id: Id) => boolean;
}

/** Median over the rounds of `f` per contender; null where the contender failed or has no round. */
export function medians<F, Id extends string>(figures: RoundFigures<F, Id>, f: (x: F) => number): Record<string, number | null> {
  return Object.fromEntries(
    figures.runs.map(([id, list]) => [id, figures.failed(id) || list.length === 0 ? null : median(list.map(f))]),
  );
}

/** `f` of every round per contender: the row's samples, kept for whoever wants to see the spread. */
export function perRound<F, Id extends string>(figures: RoundFigures<F, Id>, f: (x: F) => number): Record<string, number[]> {
  return Object.fromEntries(figures.runs.map(([id, list]) => [id, list.map(f)]));
}

/** What every row of one case shares: all of a row but what one metric fills in. */
export type CaseFields = Omit<Parameters<typeof makeRow>[0], 'metric' | 'better' | 'values' | 'samples'>;

/** One metric's row of a case: the medians of `f` as values, its rounds as samples, then `extra`. */
export function metricRow<F, Id extends string>(
  common: CaseFields,
  figures: RoundFigures<F, Id>,
  metric: string,
  better: Row['better'],
  f: (x: F) => number,
  extra: Pick<Row, 'details'> = {},
): Row {
  return makeRow({ ...common, metric, better, values: medians(figures, f), samples: perRound(figures, f), ...extra });
}
