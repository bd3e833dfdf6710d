/**
 * `pnpm --filter @wsts/bench readme [results/FILE.json]`: puts the tables of a run (the newest full run
 * under results/ by default) into this package's README between the bench markers, with the machine it
 * ran on and the bar check, so the README always shows a table the JSON beside it backs up; and its chart
 * into the repository's README (between the bench-chart markers).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MachineInfo, wasBusy } from './report/machine.js';
import { checkBar, checkGoals, renderBar } from './report/bar.js';
import { chartInfo, chartPath, renderChart } from './report/chart.js';
import type { Row } from './report/row.js';
import { renderTables } from './report/table.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = resolve(packageDir, 'README.md');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const CHART_START = '<!-- bench-chart:start -->';
const CHART_END = '<!-- bench-chart:end -->';

interface Report {
  date: string;
  seconds: number;
  quick: boolean;
  machine: MachineInfo;
  rows: Row[];
}

function newestResult(allowQuick: boolean): string {
  const dir = join(packageDir, 'results');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && (allowQuick || !f.includes('-quick')))
    .sort();
  const last = files[files.length - 1];
  if (!last) throw new Error(`no ${allowQuick ? '' : 'full '}results in ${dir}: run pnpm bench first`);
  return join(dir, last);
}

const arg = process.argv.slice(2).find((a) => a !== '--' && !a.startsWith('--'));
let file: string;
try {
  file = arg ? resolve(arg) : newestResult(process.argv.includes('--allow-quick'));
} catch (error) {
  process.stderr.write(`${(error as Error).message} (or pass --allow-quick, or a results file)\n`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
const m = report.machine;
// The chart is drawn again from the JSON, so a results file from before charts existed gets one too.
const chart = chartPath(file);
writeFileSync(chart, renderChart(report.rows, chartInfo(report)));
const body = [
  START,
  '',
  `Run of ${report.date} (${report.quick ? '`--quick`, reduced set' : 'full set'}, ${Math.round(report.seconds)} s) on ${m.cpuCount} x ${m.cpuModel}, ` +
    `${m.memoryGiB} GiB, ${m.platform} ${m.kernel}, Node ${m.node}, load average ${m.loadAverage}${m.cpuBusyAtStart !== undefined ? ` and ${Math.round(m.cpuBusyAtStart * 100)}% of the CPU busy` : ''} at start, commit ${m.commit?.slice(0, 7) ?? '?'}${m.dirty ? ' (with local changes)' : ''}. ` +
    `Figures: \`packages/bench/results/${file.split('/').pop()}\`.`,
  ...(report.quick || wasBusy(m)
    ? [
        '',
        `> **Not final figures.** ${report.quick ? 'A `--quick` run (short phases, reduced set). ' : ''}` +
          `${wasBusy(m) ? `The machine was busy (${m.cpuBusyAtStart !== undefined ? `${Math.round(m.cpuBusyAtStart * 100)}% of the CPU in the second before the run` : `load average ${m.loadAverage} on ${m.cpuCount} cores`}), so the servers got a fraction of a core. ` : ''}` +
          'Rerun `pnpm bench` on an otherwise idle machine, then `pnpm --filter @wsts/bench readme`.',
      ]
    : []),
  '',
  renderBar([...checkBar(report.rows), ...checkGoals(report.rows)]),
  '',
  `The ratio columns of every row as a chart (ours vs ws, vs Bun, vs the Node floor where measured; log scale), ` +
    `drawn from the same JSON: \`packages/bench/results/${chart.split('/').pop()}\`.`,
  '',
  `![ours vs ws, Bun and the Node floor, per row](results/${chart.split('/').pop()})`,
  '',
  renderTables(report.rows).trim(),
  '',
  END,
].join('\n');
replaceSection(readme, START, END, body);
console.log(`${readme}: benchmark section updated from ${file}`);

// The repository's README shows the same chart, so a reader sees the ratios without opening this package.
const rootReadme = resolve(packageDir, '..', '..', 'README.md');
const chartName = chart.split('/').pop();
replaceSection(
  rootReadme,
  CHART_START,
  CHART_END,
  [CHART_START, `![ours vs ws, Bun and the Node floor, per row](packages/bench/results/${chartName})`, CHART_END].join('\n'),
);
console.log(`${rootReadme}: chart updated`);

/** Replaces `start` ... `end` (markers included) in `path` with `body`, which carries the markers again. */
function replaceSection(path: string, start: string, end: string, body: string): void {
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path} has no ${start} ... ${end} section`);
  writeFileSync(path, text.slice(0, a) + body + text.slice(b + end.length));
}
