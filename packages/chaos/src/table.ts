import type { CaseResult } from './runner.js';
import { releaseBoundMs, type Settings } from './settings.js';
import { formatBytes, formatCount, formatMs } from './units.js';
import { verdictText } from './verdict.js';

/** "10 conns, 1,398,101 frames, 8.0 MiB". */
export function sentText(result: CaseResult): string {
  const { connections, frames, bytes } = result.sent;
  const parts = [`${formatCount(connections)} conn${connections === 1 ? '' : 's'}`];
  if (frames > 0) parts.push(`${formatCount(frames)} frames`);
  parts.push(formatBytes(bytes));
  return parts.join(', ');
}

/** "crashed: ..." or the outcome labels with their counts: "1008 x3, terminated x7". */
export function outcomeText(result: CaseResult): string {
  if (result.crashed !== undefined) return `CRASHED (${result.crashed.slice(0, 60)})`;
  if (result.outcomes.length === 0) return '-';
  return result.outcomes.map(([label, count]) => (count === 1 ? label : `${label} x${formatCount(count)}`)).join(', ');
}

/** Left-aligned text columns, right-aligned figures, a Markdown-compatible layout. */
function render(header: readonly string[], rows: readonly string[][], right: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The results table, then one line per failure. */
export function resultsTable(results: readonly CaseResult[]): string {
  const header = ['case', 'target', 'sent', 'outcome', 'peak RSS Δ', 'settled Δ', 'CPU ms', 'verdict'];
  const rows = results.map((r) => [
    r.caseName,
    r.target,
    sentText(r),
    outcomeText(r),
    formatBytes(r.rssDelta),
    r.settledRssDelta === undefined ? '-' : formatBytes(r.settledRssDelta),
    formatCount(r.cpuMs),
    verdictText(r.failures),
  ]);
  const details = results.flatMap((r) => r.failures.map((f) => `- ${r.caseName} / ${r.target}: [${f.tag}] ${f.detail}`));
  const table = render(header, rows, new Set([4, 5, 6]));
  return details.length === 0 ? table : `${table}\n\nFailures:\n${details.join('\n')}`;
}

/** The settings block printed above the table: knobs, slack, guard and bounds. */
export function settingsText(settings: Settings, applied: ReadonlyMap<string, readonly string[]>): string {
  const { slack } = settings;
  const lines = [
    `chaos suite, ${settings.form} form, seed ${settings.seed}`,
    `growth check: peak RSS - baseline <= memoryBudget ${formatBytes(settings.knobs.memoryBudget)} + slack ${formatBytes(slack.fixed)} + ${formatBytes(slack.perConnection)} per attacker connection open at the peak`,
    `RSS guard: a target past ${formatBytes(settings.rssGuard)} is killed (the case fails as a crash)`,
    `canary: must echo every message intact and in order, never waiting more than ${formatMs(settings.canaryStallMs)} for a reply`,
    `release: every connection gone within ${formatMs(releaseBoundMs(settings))} of the attackers leaving (2 heartbeats + closeTimeout + ${formatMs(settings.releaseMarginMs)})`,
  ];
  for (const [id, knobs] of applied) lines.push(`target ${id}: ${knobs.join('; ')}`);
  return lines.join('\n');
}
