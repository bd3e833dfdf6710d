import { fileURLToPath } from 'node:url';
import { forkWorker, nextMessage, reap } from '../load/fork-worker.js';
import { cpuMicrosPerMessage, h2Window, kibPerSocket, type H2Mode, type H2Reply, type H2Request } from '../load/h2-job.js';
import { metricRow, type RoundFigures } from '../report/round-figures.js';
import type { Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { processCpuSeconds, startServer } from '../servers/server-process.js';
import type { ServerKind } from '../servers/server-kinds.js';

export const H2_SECTION = 'h2 (WebSockets over one HTTP/2 connection vs HTTP/1.1, h2c)';

export interface H2SuiteOptions {
  /** WebSockets opened in each run (1,000 in the full run). */
  sockets: number;
  /** Payload bytes of the echo phase. */
  size: number;
  warmupMs: number;
  durationMs: number;
  /** Fresh-server runs per transport, alternating which goes first; figures are the medians. */
  rounds: number;
  log: (line: string) => void;
}

interface H2Figures {
  setupMs: number;
  serverKiB: number;
  clientKiB: number;
  msgPerSec: number;
  cpuMicros: number;
}

const script = fileURLToPath(new URL('../servers/h2-echo.js', import.meta.url));

/** Our echo server in the given transport, allowing every WebSocket of the run on one HTTP/2 connection. */
function kindFor(mode: H2Mode, sockets: number): ServerKind {
  return {
    id: mode,
    label: mode === 'h2' ? 'ours, h2c (one HTTP/2 connection)' : 'ours, HTTP/1.1 (a TCP connection each)',
    runtime: 'node',
    script,
    args: ['--port', '0', ...(mode === 'h2' ? ['--http2', '--max-per-session', String(sockets)] : [])],
    env: {},
    placeholder: false,
  };
}

async function ask<T extends H2Reply['type']>(
  worker: ReturnType<typeof forkWorker>,
  ms: number,
  what: string,
  type: T,
): Promise<Extract<H2Reply, { type: T }>> {
  const message = await nextMessage<H2Reply>(worker, ms, what);
  if (message.type !== type) throw new Error(`${what}: expected "${type}", got "${message.type}"`);
  return message as Extract<H2Reply, { type: T }>;
}

/** One transport on a fresh server: open the WebSockets, measure memory both sides, echo, tear down. */
async function measure(mode: H2Mode, options: H2SuiteOptions, round: string): Promise<H2Figures> {
  const kind = kindFor(mode, options.sockets);
  const server = await startServer(kind);
  const worker = forkWorker('h2-worker', ['--expose-gc']);
  try {
    const before = await server.collectAndMeasure();
    const openTimeoutMs = 60_000;
    worker.send({
      type: 'open',
      port: server.port,
      mode,
      count: options.sockets,
      concurrency: 100,
      timeoutMs: 30_000,
    } satisfies H2Request);
    const opened = await ask(worker, openTimeoutMs + 30_000, `h2 ${mode} open`, 'opened');
    if (!opened.ok) throw new Error(opened.error);
    if (opened.http2Used !== (mode === 'h2')) throw new Error(`${kind.label}: the client did not use the transport asked for`);
    if (opened.clientBytesPerSocket === undefined) throw new Error('the load generator has no gc()');
    // Let the server finish any work it defers past the handshakes, then collect.
    await new Promise((r) => setTimeout(r, 300));
    const after = await server.collectAndMeasure();
    const window = h2Window(options.size, options.sockets);
    worker.send({
      type: 'echo',
      size: options.size,
      window,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
    } satisfies H2Request);
    const budget = options.warmupMs + options.durationMs + 30_000;
    let cpuStart: number | undefined;
    let cpuEnd: number | undefined;
    let echoed: Extract<H2Reply, { type: 'echoed' }>;
    for (;;) {
      const message = await nextMessage<H2Reply>(worker, budget, `h2 ${mode} echo`);
      if (message.type === 'phase') {
        if (message.phase === 'start') cpuStart = processCpuSeconds(server.pid);
        else cpuEnd = processCpuSeconds(server.pid);
      } else if (message.type === 'echoed') {
        echoed = message;
        break;
      } else throw new Error(`h2 ${mode} echo: unexpected "${message.type}"`);
    }
    if (!echoed.ok) throw new Error(echoed.error);
    const cpu = cpuStart !== undefined && cpuEnd !== undefined ? cpuEnd - cpuStart : undefined;
    const figures: H2Figures = {
      setupMs: opened.ms,
      serverKiB: kibPerSocket(before, after, opened.count),
      clientKiB: opened.clientBytesPerSocket / 1024,
      msgPerSec: echoed.messages / echoed.seconds,
      cpuMicros: cpuMicrosPerMessage(cpu, echoed.messages) ?? Number.NaN,
    };
    options.log(
      `  h2${round} ${kind.label}: ${opened.count} WebSockets open in ${Math.round(figures.setupMs)} ms, server ` +
        `+${figures.serverKiB.toFixed(1)} KiB/ws, client +${figures.clientKiB.toFixed(1)} KiB/ws; echo ${formatSize(options.size)} ` +
        `window ${window}: ${Math.round(figures.msgPerSec)} msg/s, ${figures.cpuMicros.toFixed(1)} server-CPU µs/msg, ` +
        `${echoed.busySockets} of ${opened.count} WebSockets answered`,
    );
    if (echoed.busySockets < opened.count) {
      throw new Error(
        `${kind.label}: only ${echoed.busySockets} of ${opened.count} WebSockets got replies in the measured phase`,
      );
    }
    return figures;
  } finally {
    if (worker.connected) {
      worker.send({ type: 'close' } satisfies H2Request);
      await nextMessage<H2Reply>(worker, 30_000, `h2 ${mode} close`).catch(() => undefined);
    }
    await reap(worker);
    await server.stop();
  }
}

/**
 * N WebSockets as streams of one HTTP/2 connection against N over HTTP/1.1 (a TCP connection each),
 * both on our own server (h2c on 127.0.0.1) and our own client: set-up time, memory per WebSocket on
 * each side, and echo throughput and server CPU with every WebSocket busy. The ratio column is HTTP/2
 * against HTTP/1.1 (>= 1: HTTP/2 as good or better).
 */
export async function runH2Suite(options: H2SuiteOptions): Promise<Row[]> {
  const modes: H2Mode[] = ['h2', 'http1'];
  const runs: Record<H2Mode, H2Figures[]> = { h2: [], http1: [] };
  const errors: string[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      if (errors.some((e) => e.startsWith(`${mode}:`))) continue;
      const label = options.rounds > 1 ? ` round ${round + 1}` : '';
      try {
        runs[mode].push(await measure(mode, options, label));
      } catch (error) {
        errors.push(`${mode}: ${(error as Error).message}`);
        options.log(`  h2${label} ${mode}: FAILED ${(error as Error).message}`);
      }
    }
  }
  const failed = (mode: H2Mode): boolean => errors.some((e) => e.startsWith(`${mode}:`));
  const figures: RoundFigures<H2Figures, H2Mode> = { runs: modes.map((m) => [m, runs[m]]), failed };
  const sockets = `${options.sockets.toLocaleString('en-US')} WebSockets`;
  const common = { section: H2_SECTION, bar: 'http1', subject: 'h2', ...(errors.length ? { error: errors.join('; ') } : {}) };
  const row = (caseName: string, metric: string, better: 'higher' | 'lower', f: (x: H2Figures) => number): Row =>
    metricRow({ ...common, case: caseName }, figures, metric, better, f);
  const echo = `${formatSize(options.size)} echo x ${sockets}`;
  return [
    row(sockets, 'set-up ms (all open)', 'lower', (x) => x.setupMs),
    row(sockets, 'server ΔRSS/WebSocket KiB', 'lower', (x) => x.serverKiB),
    row(sockets, 'client ΔRSS/WebSocket KiB', 'lower', (x) => x.clientKiB),
    row(echo, 'msg/s', 'higher', (x) => x.msgPerSec),
    row(echo, 'server CPU µs/msg', 'lower', (x) => x.cpuMicros),
  ];
}
