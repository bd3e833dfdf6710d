import { fileURLToPath } from 'node:url';
import type { FanoutJob, FanoutRequest, FanoutWorkerMessage } from '../load/fanout-job.js';
import { forkWorker, nextMessage, reap } from '../load/fork-worker.js';
import { makeRow, type Row } from '../report/row.js';
import { median } from '../report/stats.js';
import { formatSize } from '../report/units.js';
import { processCpuSeconds, startServer } from '../servers/server-process.js';
import { bunKind, type ServerKind } from '../servers/server-kinds.js';

/** One fan-out case: payload size and subscribers. */
export interface FanoutCase {
  size: number;
  subscribers: number;
}

export interface FanoutSuiteOptions {
  cases: readonly FanoutCase[];
  /** Deliveries (messages x subscribers) per job, before the byte cap below. */
  deliveries: number;
  /** Bytes delivered per job at most: large messages to many subscribers get fewer messages. */
  maxBytes: number;
  /** Jobs per server per case, alternating servers; medians reported. */
  rounds: number;
  log: (line: string) => void;
}

const script = fileURLToPath(new URL('../servers/fanout-server.js', import.meta.url));
const bunScript = fileURLToPath(new URL('../servers/bun-fanout.js', import.meta.url));

/** The contenders: ours publishing to a topic, ws looping over its clients, Bun's `server.publish` when installed. */
function fanoutKinds(): ServerKind[] {
  return [
    { id: 'ours', label: '@wsts/server publish', runtime: 'node', script, args: ['--impl', 'ours'], env: {}, placeholder: false },
    { id: 'ws', label: 'ws clients loop', runtime: 'node', script, args: ['--impl', 'ws'], env: {}, placeholder: false },
    ...bunKind(bunScript, 'Bun server.publish', []),
  ];
}

interface FanoutFigures {
  deliveriesPerSec: number;
  /** Server CPU per delivered message, in microseconds. */
  serverCpuUsPerDelivery: number;
  generatorCpu: number;
}

async function runJob(kind: ServerKind, job: FanoutJob): Promise<FanoutFigures> {
  const server = await startServer(kind);
  const worker = forkWorker('fanout-worker');
  const what = `fanout ${kind.id} ${formatSize(job.size)} x ${job.subscribers}`;
  try {
    worker.send({ ...job, port: server.port } satisfies FanoutRequest);
    const ready = await nextMessage<FanoutWorkerMessage>(worker, job.timeoutMs, what);
    if (ready.type !== 'ready') throw new Error(ready.error ?? 'the load generator failed to connect');
    const cpuBefore = processCpuSeconds(server.pid);
    worker.send({ type: 'run' } satisfies FanoutRequest);
    const done = await nextMessage<FanoutWorkerMessage>(worker, job.timeoutMs + 10_000, what);
    const cpuAfter = processCpuSeconds(server.pid);
    if (done.type !== 'done') throw new Error('unexpected reply');
    if (!done.ok) throw new Error(done.error ?? 'failed');
    const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : Number.NaN;
    return {
      deliveriesPerSec: done.deliveries / done.seconds,
      serverCpuUsPerDelivery: (cpu / done.deliveries) * 1e6,
      generatorCpu: done.generatorCpu,
    };
  } finally {
    if (worker.connected) worker.disconnect();
    await reap(worker);
    await server.stop();
  }
}

/**
 * One publisher, N subscribers: how fast each server delivers one message to many connections, and
 * what each delivery costs the server in CPU. Ours publishes to a topic (framed once); ws's is the loop
 * over `clients` its documentation shows. A fresh server per job, servers alternating per round.
 */
export async function runFanoutSuite(options: FanoutSuiteOptions): Promise<Row[]> {
  const kinds = fanoutKinds();
  const rows: Row[] = [];
  for (const fanoutCase of options.cases) {
    const { size, subscribers } = fanoutCase;
    const messages = Math.max(
      20,
      Math.floor(Math.min(options.deliveries / subscribers, options.maxBytes / (size * subscribers))),
    );
    const job: FanoutJob = { type: 'open', port: 0, size, subscribers, messages, window: 8, timeoutMs: 120_000 };
    const runs: Record<string, FanoutFigures[]> = Object.fromEntries(kinds.map((k) => [k.id, []]));
    const errors: string[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
        if (errors.some((e) => e.startsWith(`${kind.id}:`))) continue;
        try {
          const figures = await runJob(kind, job);
          runs[kind.id]!.push(figures);
          options.log(
            `  fanout ${formatSize(size)} x ${subscribers} ${kind.label}: ${Math.round(figures.deliveriesPerSec)} deliveries/s, ${figures.serverCpuUsPerDelivery.toFixed(2)} µs server CPU each (generator CPU ${Math.round(figures.generatorCpu * 100)}%)`,
          );
        } catch (error) {
          errors.push(`${kind.id}: ${(error as Error).message}`);
          options.log(`  fanout ${formatSize(size)} x ${subscribers} ${kind.label}: FAILED ${(error as Error).message}`);
        }
      }
    }
    const pick = (f: (x: FanoutFigures) => number): Record<string, number | null> =>
      Object.fromEntries(
        Object.entries(runs).map(([id, list]) => [
          id,
          list.length === 0 || errors.some((e) => e.startsWith(`${id}:`)) ? null : median(list.map(f)),
        ]),
      );
    const spread = (f: (x: FanoutFigures) => number): Record<string, number[]> =>
      Object.fromEntries(Object.entries(runs).map(([id, list]) => [id, list.map(f)]));
    const common = {
      section: 'fanout (one publisher)',
      case: `${formatSize(size)} x ${subscribers} subs`,
      bar: 'ws',
      details: { messages },
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
    const rate = (x: FanoutFigures): number => x.deliveriesPerSec;
    const cpu = (x: FanoutFigures): number => x.serverCpuUsPerDelivery;
    rows.push(
      makeRow({ ...common, metric: 'deliveries/s', better: 'higher', values: pick(rate), samples: spread(rate) }),
      makeRow({ ...common, metric: 'server CPU µs/delivery', better: 'lower', values: pick(cpu), samples: spread(cpu) }),
    );
  }
  return rows;
}
