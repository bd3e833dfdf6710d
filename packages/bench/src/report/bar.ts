import type { Row } from './row.js';

/** One criterion of the README's bar and whether the run met it. */
export interface BarCheck {
  criterion: string;
  met: boolean;
  /** Rows that fall short, as "section / case / metric: ratio". */
  shortfalls: string[];
}

function label(r: Row): string {
  return `${r.section} / ${r.case} / ${r.metric}: ${r.ratio === null ? 'no figure' : `${r.ratio.toFixed(2)}x`}`;
}

/**
 * The bar from issue 7: at least 1.0x ws (with native add-ons) on every row, at least 1.5x on 16 B and
 * 1 KiB echo throughput, memory per idle connection no more than ws's.
 */
export function checkBar(rows: readonly Row[]): BarCheck[] {
  const measured = rows.filter((r) => r.values['ours'] !== undefined);
  const everyRow = measured.filter((r) => r.ratio === null || r.ratio < 1);
  const smallEcho = measured.filter(
    (r) => r.section.startsWith('echo') && /^(16 B|1 KiB)( text)? x/.test(r.case) && (r.metric === 'msg/s' || r.metric === 'MB/s'),
  );
  const memory = measured.filter((r) => r.section.startsWith('scale') && r.metric.includes('RSS/conn'));
  const short = (list: Row[], min: number): Row[] => list.filter((r) => r.ratio === null || r.ratio < min);
  return [
    { criterion: '>= 1.0x ws (native add-ons) on every row', met: everyRow.length === 0, shortfalls: everyRow.map(label) },
    { criterion: '>= 1.5x ws on 16 B and 1 KiB echo throughput', met: smallEcho.length > 0 && short(smallEcho, 1.5).length === 0, shortfalls: short(smallEcho, 1.5).map(label) },
    { criterion: 'memory per idle connection <= ws', met: memory.length > 0 && short(memory, 1).length === 0, shortfalls: short(memory, 1).map(label) },
  ];
}

/** The bar as Markdown: one line per criterion, failing rows listed under it. */
export function renderBar(checks: readonly BarCheck[]): string {
  const out = ['### the bar', ''];
  for (const c of checks) {
    out.push(`- ${c.met ? 'MET' : 'NOT MET'}: ${c.criterion}${c.shortfalls.length ? ` (${c.shortfalls.length} row(s) short)` : ''}`);
    for (const s of c.shortfalls) out.push(`  - ${s}`);
  }
  return out.join('\n');
}
