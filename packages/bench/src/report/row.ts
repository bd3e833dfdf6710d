/** One line of the results: one case, one metric, the figure of every contender measured on it. */
export interface Row {
  /** Section of the table, e.g. "codec: frame decode" or "echo". */
  section: string;
  /** What was run, e.g. "1 KiB" or "16 B x 64 conns". */
  case: string;
  /** What was measured, e.g. "MB/s" or "p99 ms". */
  metric: string;
  /** Whether a larger figure is the better one (throughput) or a smaller one (latency, memory). */
  better: 'higher' | 'lower';
  /** Contender id -> median figure; null when that contender could not run this case. */
  values: Record<string, number | null>;
  /** Contender the bar is measured against (the README's "ws with native add-ons"). */
  bar: string;
  /**
   * Contender the ratios are of, when not "ours" (the h2 rows compare two transports of ours: HTTP/2
   * against HTTP/1.1). Its rows stay out of the bar, which reads "ours" only.
   */
  subject?: string;
  /**
   * The ratio columns read every contender against the bar (the client rows: each client, ours and
   * others, against ws), instead of the subject against every other contender. `ratio` stays ours
   * against the bar.
   */
  ratiosAgainstBar?: boolean;
  /** Ours against the bar: ours/bar when higher is better, bar/ours when lower is better (>= 1 is as good or better). */
  ratio: number | null;
  /** Every contender produced a figure. */
  completed: boolean;
  /** Why a contender did not complete, when it did not. */
  error?: string;
  /** "ours" was a stand-in (ws in our slot) because our package had not landed yet. */
  placeholder?: boolean;
  /** Per-contender raw samples (rounds), kept in the JSON for whoever wants to look at the spread. */
  samples?: Record<string, number[]>;
  /** Per-contender raw measurements behind the figures (echo: counts, window, CPU use), JSON only. */
  details?: Record<string, unknown>;
}

/** Ours against another contender, oriented so that >= 1 means ours is at least as good. */
export function advantage(
  ours: number | null | undefined,
  other: number | null | undefined,
  better: 'higher' | 'lower',
): number | null {
  if (ours === null || ours === undefined || other === null || other === undefined) return null;
  if (!Number.isFinite(ours) || !Number.isFinite(other) || ours <= 0 || other <= 0) return null;
  return better === 'higher' ? ours / other : other / ours;
}

/** Builds a row, computing completion and the ratio against the bar. */
export function makeRow(fields: Omit<Row, 'ratio' | 'completed'> & { completed?: boolean }): Row {
  const values = Object.values(fields.values);
  const completed = (fields.completed ?? true) && values.length > 0 && values.every((v) => v !== null && Number.isFinite(v));
  return {
    ...fields,
    completed,
    ratio: advantage(fields.values[fields.subject ?? 'ours'], fields.values[fields.bar], fields.better),
  };
}

/** The one incomplete row that stands for a suite or bench that threw, so the rest of the run still reports. */
export function failedRow(section: string, caseName: string, error: string): Row {
  return {
    section,
    case: caseName,
    metric: '-',
    better: 'higher',
    values: {},
    bar: 'ws',
    ratio: null,
    completed: false,
    error,
  };
}

/**
 * Ours against the bar contender round by round: one ratio per round, oriented like {@link Row.ratio}.
 * Rounds are paired (every suite interleaves the contenders within a round), so a round's ratio compares
 * figures taken under the same machine conditions. Empty without samples for both.
 */
export function roundRatios(row: Row): number[] {
  const ours = row.samples?.['ours'];
  const theirs = row.samples?.[row.bar];
  if (ours === undefined || theirs === undefined) return [];
  const out: number[] = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const r = advantage(ours[i], theirs[i], row.better);
    if (r !== null) out.push(r);
  }
  return out;
}
