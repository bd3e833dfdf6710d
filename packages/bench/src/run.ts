/**
 * `pnpm bench [--quick]`: runs the suites, prints one table per section, writes every row as JSON under
 * results/, and exits non-zero if any row did not complete (speed never fails a run: only missing figures).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killChildrenOnSignals } from './children.js';
import { parseArgs, USAGE, type BenchConfig } from './config.js';
import { loadKernelPaths, loadOurProtocol } from './ours.js';
import { cpuBusy, machineInfo } from './report/machine.js';
import { failedRow, type Row } from './report/row.js';
import { checkBar, checkGoals, renderBar } from './report/bar.js';
import { chartInfo, chartPath, renderChart } from './report/chart.js';
import { renderTables } from './report/table.js';
import { runClientSuite } from './suites/client-suite.js';
import { runCodecSuite } from './suites/codec-suite.js';
import { runEchoSuite } from './suites/echo-suite.js';
import { runFanoutSuite } from './suites/fanout-suite.js';
import { runH2Suite } from './suites/h2-suite.js';
import { runScaleSuite } from './suites/scale-suite.js';
import { bunBinary } from './servers/bun-binary.js';

killChildrenOnSignals();

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
/** Progress on stderr, stamped with seconds since the start so slow suites are easy to spot. */
const log = (line: string): void => {
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
};

/** A failed suite becomes one incomplete row, with the stack to find where, so the rest of the run still reports. */
function failedSuite(section: string, error: unknown): Row {
  return failedRow(section, 'suite', (error as Error).stack ?? String(error));
}

async function main(config: BenchConfig): Promise<number> {
  const started = new Date();
  const machine = machineInfo();
  machine.cpuBusyAtStart = await cpuBusy();
  log(
    `bench ${config.quick ? '(quick) ' : ''}on ${machine.cpuCount} x ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverage}, CPU busy ${Math.round(machine.cpuBusyAtStart * 100)}% over the last second`,
  );
  if (process.env['WS_NO_BUFFER_UTIL'] || process.env['WS_NO_UTF_8_VALIDATE']) {
    // In-process ws (the codec rows' baseline) read these at load time; servers get a cleaned env.
    log('WARNING: WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE are set: the codec rows compare against ws without its add-ons');
  }
  if (bunBinary() === undefined) {
    log('Bun is not installed (@oven/bun-linux-x64 exists for linux x64 only): its columns are left out');
  }
  const protocol = await loadOurProtocol();
  const rows: Row[] = [];
  if (config.suites.has('codec')) {
    log('codec micro-benchmarks');
    try {
      rows.push(...runCodecSuite(protocol, { ...config.codec, kernelPaths: await loadKernelPaths(), log }));
    } catch (error) {
      rows.push(failedSuite('codec', error));
    }
  }
  if (config.suites.has('echo')) {
    log('echo throughput');
    rows.push(...(await runEchoSuite({ ...config.echo, deflate: false, log }).catch((e: unknown) => [failedSuite('echo', e)])));
  }
  if (config.suites.has('scale')) {
    log(`scale: ${config.scale.connections} idle connections`);
    rows.push(
      ...(await runScaleSuite({ ...config.scale, deflate: false, log }).catch((e: unknown) => [failedSuite('scale', e)])),
    );
  }
  if (config.suites.has('deflate')) {
    log('echo and scale with permessage-deflate');
    rows.push(
      ...(await runEchoSuite({ ...config.echo, ...config.deflateEcho, deflate: true, log }).catch((e: unknown) => [
        failedSuite('echo deflate', e),
      ])),
    );
    rows.push(
      ...(await runScaleSuite({ connections: config.scale.connections, rounds: config.scale.rounds, deflate: true, log }).catch(
        (e: unknown) => [failedSuite('scale deflate', e)],
      )),
    );
  }
  if (config.suites.has('fanout')) {
    log('fan-out: one publisher, many subscribers');
    rows.push(...(await runFanoutSuite({ ...config.fanout, log }).catch((e: unknown) => [failedSuite('fanout', e)])));
  }
  if (config.suites.has('h2')) {
    log(`h2: ${config.h2.sockets} WebSockets over one HTTP/2 connection vs over HTTP/1.1`);
    rows.push(...(await runH2Suite({ ...config.h2, log }).catch((e: unknown) => [failedSuite('h2', e)])));
  }
  if (config.suites.has('client')) {
    log('client: each client alone in its process, receiving from a raw firehose and sending into a raw sink');
    rows.push(...(await runClientSuite({ ...config.client, log }).catch((e: unknown) => [failedSuite('client', e)])));
  }
  const finished = new Date();
  const report = {
    date: started.toISOString(),
    seconds: (finished.getTime() - started.getTime()) / 1000,
    quick: config.quick,
    machine,
    settings: {
      suites: [...config.suites],
      codec: config.codec,
      echo: config.echo,
      deflateEcho: config.deflateEcho,
      scale: config.scale,
      fanout: config.fanout,
      h2: config.h2,
      client: config.client,
    },
    ratioNote: 'ratio = ours/bar when higher is better, bar/ours when lower is better; >= 1 means ours is as good or better',
    rows,
  };
  const out = config.out
    ? resolve(config.out)
    : resolve(packageDir, 'results', `${started.toISOString().replace(/[:.]/g, '-')}${config.quick ? '-quick' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const chart = chartPath(out);
  writeFileSync(chart, renderChart(rows, chartInfo(report)));
  process.stdout.write(`\n${renderTables(rows)}\n${renderBar([...checkBar(rows), ...checkGoals(rows)])}\n\n`);
  process.stdout.write(
    `machine: ${machine.cpuCount} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform} ${machine.kernel}, Node ${machine.node}; ${report.date}; ${report.seconds.toFixed(0)} s\n`,
  );
  process.stdout.write(`results: ${out}\nchart: ${chart}\n`);
  const incomplete = rows.filter((r) => !r.completed);
  if (incomplete.length > 0) {
    process.stderr.write(`${incomplete.length} row(s) did not complete\n`);
    return 1;
  }
  return 0;
}

let config: BenchConfig;
try {
  config = parseArgs(process.argv.slice(2));
} catch (error) {
  const message = (error as Error).message;
  process.stderr.write(`${message}\n`);
  process.exit(message === USAGE ? 0 : 2);
}
main(config).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
