import { forkWorker, nextMessage, reap } from '../load/fork-worker.js';
import { emptyEchoResult, windowFor, type EchoJob, type EchoResult, type EchoWorkerMessage } from '../load/echo-job.js';
import { PEAK_RSS } from '../report/bar.js';
import { metricRow, type RoundFigures } from '../report/round-figures.js';
import type { Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { peakRss, processCpuSeconds, resetPeakRss, startServer, type RunningServer } from '../servers/server-process.js';
import { checkAddons, serverKinds } from '../servers/server-kinds.js';
import { headerLength } from '../wire/frames.js';

function pct(fraction: number | undefined): string {
  return fraction === undefined ? '?' : `${Math.round(fraction * 100)}%`;
}

/** One echo case: payload size, connections, and text (UTF-8 validated by the server) or binary. */
export interface EchoCase {
  size: number;
  connections: number;
  text?: boolean;
}

export interface EchoSuiteOptions {
  /** The cases, run in this order. */
  cases: readonly EchoCase[];
  warmupMs: number;
  durationMs: number;
  /** Jobs per server per case; figures are the medians over them. */
  rounds: number;
  maxMessages: number;
  deflate: boolean;
  log: (line: string) => void;
}

async function runJob(job: EchoJob, serverPid: number): Promise<EchoResult> {
  const worker = forkWorker('echo-worker');
  const peakWindow = resetPeakRss(serverPid);
  try {
    worker.send(job);
    const budget = job.connectTimeoutMs + job.warmupMs + job.durationMs + 2 * 60_000 + 20_000;
    const what = `echo ${formatSize(job.size)} x ${job.connections}`;
    let cpuStart: number | undefined;
    let cpuEnd: number | undefined;
    for (;;) {
      const message = await nextMessage<EchoWorkerMessage>(worker, budget, what);
      if (message.type === 'phase') {
        if (message.phase === 'start') cpuStart = processCpuSeconds(serverPid);
        else cpuEnd = processCpuSeconds(serverPid);
        continue;
      }
      const result = message.result;
      if (result.ok && cpuStart !== undefined && cpuEnd !== undefined && result.seconds > 0) {
        result.serverCpu = (cpuEnd - cpuStart) / result.seconds;
        if (cpuEnd > cpuStart) result.msgPerServerCpuSec = result.messages / (cpuEnd - cpuStart);
      }
      const peak = peakWindow ? peakRss(serverPid) : undefined;
      if (result.ok && peak !== undefined) result.peakRss = peak;
      return result;
    }
  } finally {
    await reap(worker);
  }
}

/**
 * Echo throughput and latency: every server under test runs in its own process for the whole suite,
 * and for each case the same load generator (a fresh process per job) drives each server in turn, so
 * the servers see the same load under the same machine conditions, one at a time.
 */
export async function runEchoSuite(options: EchoSuiteOptions): Promise<Row[]> {
  const kinds = serverKinds({ deflate: options.deflate, withoutAddons: !options.deflate });
  const section = options.deflate ? 'echo, permessage-deflate (compressible text)' : 'echo (no compression)';
  const servers: RunningServer[] = [];
  const rows: Row[] = [];
  try {
    // Started together (each waits for its own 'listening' line); a failed start stops the others in finally.
    const started = await Promise.allSettled(kinds.map((kind) => startServer(kind)));
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const server of servers) {
      checkAddons(server.kind, server.banner);
      options.log(
        `  ${server.kind.label}: pid ${server.pid}, port ${server.port}${server.banner.length ? `, ${server.banner.join('; ')}` : ''}`,
      );
    }
    const placeholder = servers.some((s) => s.kind.placeholder);
    for (const { size, connections, text = false } of options.cases) {
      const results: Record<string, EchoResult[]> = {};
      for (const server of servers) results[server.kind.id] = [];
      const window = windowFor(size + headerLength(size, true), connections);
      // Rounds alternate the servers (rotating who goes first), so drift in the machine's load is shared.
      for (let round = 0; round < options.rounds; round++) {
        for (let k = 0; k < servers.length; k++) {
          const server = servers[(round + k) % servers.length]!;
          const job: EchoJob = {
            port: server.port,
            size,
            connections,
            window,
            warmupMs: options.warmupMs,
            durationMs: options.durationMs,
            maxMessages: options.maxMessages,
            deflate: options.deflate,
            text,
            connectTimeoutMs: 30_000,
          };
          const result = await runJob(job, server.pid).catch(
            (error: Error): EchoResult => ({ ...emptyEchoResult(window, false), error: error.message }),
          );
          results[server.kind.id]!.push(result);
          options.log(
            `  echo ${formatSize(size)}${text ? ' text' : ''} x ${connections} conns, window ${window}${options.rounds > 1 ? `, round ${round + 1}` : ''}: ${server.kind.label}: ` +
              (result.ok
                ? `${Math.round(result.msgPerSec)} msg/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
                  `server CPU ${pct(result.serverCpu)}, generator CPU ${pct(result.generatorCpu)}` +
                  (connections > 1 && result.fairness
                    ? `, replies per conn ${result.fairness.min}/${result.fairness.median}/${result.fairness.max} (Jain ${result.fairness.jain.toFixed(3)})`
                    : '') +
                  (result.generatorCpu > 0.9 ? ' (WARNING: the load generator was near a full core)' : '')
                : `FAILED ${result.error}`),
          );
        }
      }
      const errors = Object.entries(results).flatMap(([id, list]) => list.filter((r) => !r.ok).map((r) => `${id}: ${r.error}`));
      // The rounds that failed are left out of the samples; their server gets null (the row is then incomplete).
      const figures: RoundFigures<EchoResult> = {
        runs: Object.entries(results).map(([id, list]) => [id, list.filter((r) => r.ok)]),
        failed: (id) => !results[id]!.every((r) => r.ok),
      };
      const common = {
        section,
        case: `${formatSize(size)}${text ? ' text' : ''} x ${connections} conn${connections === 1 ? '' : 's'}`,
        bar: 'ws',
        placeholder,
        ...(errors.length ? { error: errors.join('; ') } : {}),
      };
      const perServerCpu = (r: EchoResult): number => r.msgPerServerCpuSec ?? Number.NaN;
      rows.push(
        metricRow(common, figures, 'msg/s', 'higher', (r) => r.msgPerSec, { details: results }),
        metricRow(common, figures, 'msg/server-CPU-s', 'higher', perServerCpu),
        metricRow(common, figures, 'MB/s', 'higher', (r) => r.mbPerSec),
        metricRow(common, figures, 'p50 ms', 'lower', (r) => r.p50Ms),
        metricRow(common, figures, 'p99 ms', 'lower', (r) => r.p99Ms),
      );
      const peakMb = (r: EchoResult): number => (r.peakRss === undefined ? Number.NaN : r.peakRss / 1e6);
      if (Object.values(results).some((list) => list.some((r) => r.peakRss !== undefined))) {
        rows.push(metricRow(common, figures, PEAK_RSS, 'lower', peakMb));
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return rows;
}
