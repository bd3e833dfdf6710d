/** Why a case failed, with a short tag for the table and the full story for the lines under it. */
export interface Failure {
  tag: 'crash' | 'growth' | 'canary' | 'release' | 'expect' | 'harness';
  detail: string;
}

/** "pass", or "FAIL" with the distinct tags in the order they were found. */
export function verdictText(failures: readonly Failure[]): string {
  if (failures.length === 0) return 'pass';
  return `FAIL ${[...new Set(failures.map((f) => f.tag))].join(',')}`;
}
