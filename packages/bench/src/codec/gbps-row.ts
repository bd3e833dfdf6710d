import { makeRow, type Row } from '../report/row.js';
import { type Contender, measure, scaledRates } from './measure.js';

/** What tells one GB/s row from another: where it goes, what it ran, whom it is measured against. */
export interface GbpsRowFields {
  section: string;
  case: string;
  bar: string;
  /** Ours was a stand-in; left out of the row when the bench has no stand-in. */
  placeholder?: boolean;
}

/**
 * Times the contenders on `size` bytes per iteration and makes their GB/s row: the one shape of every
 * unmask, UTF-8 and kernel row, so those tables read alike.
 */
export function gbpsRow(
  contenders: readonly Contender[],
  size: number,
  timing: { rounds: number; roundMs: number },
  fields: GbpsRowFields,
): Row {
  const result = measure(contenders, { rounds: timing.rounds, roundMs: timing.roundMs, unitsPerIteration: size });
  const { values, samples } = scaledRates(result, 1e9);
  const { section, case: caseName, bar, placeholder } = fields;
  return makeRow({
    section,
    case: caseName,
    metric: 'GB/s',
    better: 'higher',
    bar,
    values,
    samples,
    ...(placeholder === undefined ? {} : { placeholder }),
  });
}
