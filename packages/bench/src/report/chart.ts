import { advantage, type Row } from './row.js';
import { CONTENDER_NAMES, FLOOR } from './table.js';

/** One kind of bar: the contender `of` (ours unless said) against contender `against` (the id, unless said). */
export interface ChartSeries {
  id: string;
  color: string;
  of?: string;
  against?: string;
}

/** The comparisons drawn for each row, in the order of their bars, where the row has both contenders. */
export const CHART_SERIES: readonly ChartSeries[] = [
  { id: 'ws', color: '#3a6ea5' },
  // The client rows: our WHATWG class against ws, beside connect() against ws.
  { id: 'whatwg', color: '#2a9d8f', of: 'whatwg', against: 'ws' },
  { id: 'bun', color: '#d1603d' },
  { id: FLOOR, color: '#5a9a4a' },
  // The cross-process fan-out rows: ours in one process against ours in N processes through Redis.
  { id: 'redis-2', color: '#8a5fb0' },
  { id: 'redis-4', color: '#b08a2e' },
];

/** "ours vs ws", "ours (WHATWG) vs ws". */
export function seriesLabel(s: ChartSeries): string {
  const name = (id: string): string => CONTENDER_NAMES[id] ?? id;
  return `${name(s.of ?? 'ours')} vs ${name(s.against ?? s.id)}`;
}
/** Legend entries per line: a full run has six series. */
const LEGEND_PER_LINE = 3;
const LEGEND_LINE = 14;

/** What the chart's caption says about the run. */
export interface ChartInfo {
  title: string;
  subtitle: string;
}

const WIDTH = 1000;
const LABEL_X = 10;
const PLOT_LEFT = 430;
const PLOT_RIGHT = 900;
const BAR = 7;
const ROW_GAP = 7;
const SECTION_GAP = 30;
/** Ratios beyond these are drawn at the edge, with their figure, so one outlier cannot squash the rest. */
const MIN_RATIO = 1 / 64;
const MAX_RATIO = 64;

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(n: number): string {
  return n.toFixed(1).replace(/\.0$/, '');
}

/**
 * Each charted comparison whose two contenders the row has, oriented like the tables (>= 1: the first
 * as good or better).
 */
export function chartRatios(row: Row): { id: string; ratio: number | null }[] {
  return CHART_SERIES.filter((s) => (s.of ?? 'ours') in row.values && (s.against ?? s.id) in row.values).map((s) => ({
    id: s.id,
    ratio: advantage(row.values[s.of ?? 'ours'], row.values[s.against ?? s.id], row.better),
  }));
}

/**
 * A self-contained SVG (no scripts, fonts or external references) of the ratio columns of every row:
 * one horizontal bar per comparison (ours vs ws, vs Bun, vs the Node floor), on a log scale centred on
 * 1.00x, right of the line meaning ours is as good or better. Log, because the ratios run from a few
 * hundredths (SIMD rows) to tens (deflate): on a linear axis the rows near 1x, the interesting ones,
 * would be indistinguishable. Each bar carries its figure as text and as a tooltip.
 */
export function renderChart(rows: readonly Row[], info: ChartInfo): string {
  const charted = rows.filter((r) => 'ours' in r.values && chartRatios(r).length > 0);
  // Only the series the run has, in the legend; its extra lines push the plot down.
  const series = CHART_SERIES.filter((s) => charted.some((r) => chartRatios(r).some((x) => x.id === s.id)));
  const shift = Math.max(0, Math.ceil(series.length / LEGEND_PER_LINE) - 1) * LEGEND_LINE;
  const finite = charted.flatMap((r) => chartRatios(r).map((x) => x.ratio)).filter((x): x is number => x !== null);
  const lo = Math.max(MIN_RATIO, Math.min(0.5, ...finite));
  const hi = Math.min(MAX_RATIO, Math.max(2, ...finite));
  const lo2 = Math.floor(Math.log2(lo));
  const hi2 = Math.ceil(Math.log2(hi));
  const x = (ratio: number): number => {
    const clamped = Math.min(2 ** hi2, Math.max(2 ** lo2, ratio));
    return PLOT_LEFT + ((Math.log2(clamped) - lo2) / (hi2 - lo2)) * (PLOT_RIGHT - PLOT_LEFT);
  };
  const body: string[] = [];
  let y = 96 + shift;
  let section = '';
  for (const row of charted) {
    if (row.section !== section) {
      section = row.section;
      y += SECTION_GAP - ROW_GAP;
      body.push(`<text x="${LABEL_X}" y="${y - 8}" class="section">${xmlText(section)}</text>`);
    }
    const ratios = chartRatios(row);
    const height = ratios.length * (BAR + 1) - 1;
    body.push(`<text x="${LABEL_X + 10}" y="${fmt(y + height / 2 + 4)}">${xmlText(`${row.case} · ${row.metric}`)}</text>`);
    ratios.forEach(({ id, ratio }, i) => {
      const s = CHART_SERIES.find((c) => c.id === id)!;
      const top = y + i * (BAR + 1);
      const name = seriesLabel(s);
      if (ratio === null) {
        body.push(`<text x="${fmt(x(1) + 4)}" y="${top + BAR}" class="small">${xmlText(`${name}: no figure`)}</text>`);
        return;
      }
      const a = x(Math.min(1, ratio));
      const b = x(Math.max(1, ratio));
      const label = `${ratio.toFixed(2)}x`;
      body.push(
        `<rect x="${fmt(a)}" y="${top}" width="${fmt(Math.max(1, b - a))}" height="${BAR}" fill="${s.color}">` +
          `<title>${xmlText(`${row.section} / ${row.case} / ${row.metric}: ${name} ${label}`)}</title></rect>`,
      );
      const tx = ratio >= 1 ? b + 3 : a - 3;
      body.push(`<text x="${fmt(tx)}" y="${top + BAR}" class="small"${ratio >= 1 ? '' : ' text-anchor="end"'}>${label}</text>`);
    });
    y += height + ROW_GAP;
  }
  const height = y + 20;
  const grid: string[] = [];
  for (let p = lo2; p <= hi2; p++) {
    const gx = fmt(x(2 ** p));
    const label = p >= 0 ? `${2 ** p}x` : `1/${2 ** -p}x`;
    grid.push(
      `<line x1="${gx}" y1="${84 + shift}" x2="${gx}" y2="${height - 14}" class="${p === 0 ? 'one' : 'grid'}"/>`,
      `<text x="${gx}" y="${78 + shift}" text-anchor="middle" class="small">${label}</text>`,
    );
  }
  const legend = series.map((s, i) => {
    const lx = PLOT_LEFT + (i % LEGEND_PER_LINE) * 150;
    const ly = 40 + Math.floor(i / LEGEND_PER_LINE) * LEGEND_LINE;
    return (
      `<rect x="${lx}" y="${ly}" width="12" height="10" fill="${s.color}"/>` +
      `<text x="${lx + 16}" y="${ly + 9}">${xmlText(seriesLabel(s))}</text>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    '<style>text{fill:#222}.small{font-size:9px;fill:#444}.section{font-weight:bold;font-size:12px}' +
      '.grid{stroke:#ddd;stroke-width:1}.one{stroke:#222;stroke-width:1.5}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LABEL_X}" y="20" class="section">${xmlText(info.title)}</text>`,
    `<text x="${LABEL_X}" y="34" class="small">${xmlText(info.subtitle)}</text>`,
    `<text x="${LABEL_X}" y="${62 + shift}" class="small">log scale; right of 1x: ours as good or better; rows without any of these left out</text>`,
    ...legend,
    ...grid,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Title and subtitle of the chart of a run (a results file's header fields). */
export function chartInfo(report: {
  date: string;
  quick: boolean;
  machine: { cpuCount: number; cpuModel: string; node: string; commit?: string | undefined };
}): ChartInfo {
  const m = report.machine;
  return {
    title: 'ours vs ws, Bun and the Node floor (and one process vs several through Redis), per row',
    subtitle:
      `${report.quick ? 'quick run (not for reading)' : 'full run'} of ${report.date} on ${m.cpuCount} x ${m.cpuModel}, ` +
      `Node ${m.node}, commit ${m.commit?.slice(0, 7) ?? '?'}`,
  };
}

/** Where the chart of a results file goes: beside it, same name, `.svg`. */
export function chartPath(jsonPath: string): string {
  return jsonPath.endsWith('.json') ? `${jsonPath.slice(0, -5)}.svg` : `${jsonPath}.svg`;
}
