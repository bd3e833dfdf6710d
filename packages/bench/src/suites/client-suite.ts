import { fileURLToPath } from 'node:url';
import { forkWorker, nextMessage, reap } from '../load/fork-worker.js';
import {
  clientsFor,
  clientCaseName,
  cpuMicrosPer,
  type ClientCase,
  type ClientId,
  type ClientJob,
  type ClientReply,
} from '../load/client-job.js';
import { medians, metricRow, type RoundFigures } from '../report/round-figures.js';
import type { Row } from '../report/row.js';
import { CLIENT_SECTION } from '../report/sections.js';
import { formatNumber } from '../report/units.js';
import { startServer } from '../servers/server-process.js';
import type { ServerKind } from '../servers/server-kinds.js';

export interface ClientSuiteOptions {
  cases: ClientCase[];
  warmupMs: number;
  durationMs: number;
  /** Jobs per contender per case, rotating which contender goes first; figures are the medians. */
  rounds: number;
  /** Sends in flight, or messages' worth of `bufferedAmount`, per client (see `ClientJob.window`). */
  window: number;
  /** The firehose's bound on messages per connection. */
  maxMessages: number;
  log: (line: string) => void;
}

interface ClientFigures {
  cpuMicros: number;
  msgPerSec: number;
  /** Client CPU over wall time in the measured phase: under 1 means it waited on the peer or the kernel. */
  busy: number;
}

const peer: ServerKind = {
  id: 'client-peer',
  label: 'the client peer (raw net firehose and sink)',
  runtime: 'node',
  script: fileURLToPath(new URL('../servers/client-peer-server.js', import.meta.url)),
  args: ['--port', '0'],
  env: {},
  placeholder: false,
};

/** One job: a fresh worker process runs one contender on one case and reports its figures. */
async function runJob(job: ClientJob): Promise<ClientFigures> {
  const worker = forkWorker('client-worker');
  try {
    worker.send(job);
    const reply = await nextMessage<ClientReply>(worker, job.timeoutMs + 15_000, `client ${job.client}`);
    if (!reply.ok) throw new Error(reply.error);
    const perMessage = cpuMicrosPer(reply.cpuMicros, reply.messages);
    if (perMessage === undefined) throw new Error(`${job.client}: no messages or no CPU time in the measured phase`);
    return {
      cpuMicros: perMessage,
      msgPerSec: reply.messages / reply.seconds,
      busy: reply.cpuMicros / 1e6 / reply.seconds,
    };
  } finally {
    await reap(worker);
  }
}

/**
 * Each client alone in its own process on one connection, against peers that cost next to nothing
 * (client-peer.ts): receiving from the firehose and sending into the sink, binary messages of each
 * case's size. Figures: the client's own CPU per message and messages per second; every contender is
 * read against ws with its add-ons.
 */
export async function runClientSuite(options: ClientSuiteOptions): Promise<Row[]> {
  const server = await startServer(peer);
  const runs = new Map<string, Record<ClientId, ClientFigures[]>>();
  const errors = new Map<string, Partial<Record<ClientId, string>>>();
  try {
    for (let round = 0; round < options.rounds; round++) {
      // Rotate who goes first, so a slow start of the machine does not always land on one contender.
      for (const c of options.cases) {
        const contenders = clientsFor(c.direction);
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
        const name = clientCaseName(c);
        const figures = runs.get(name) ?? { ours: [], whatwg: [], ws: [], undici: [], 'ws-arraybuffer': [] };
        runs.set(name, figures);
        const failed = errors.get(name) ?? {};
        errors.set(name, failed);
        for (const client of order) {
          if (failed[client] !== undefined) continue;
          const label = options.rounds > 1 ? ` round ${round + 1}` : '';
          try {
            const f = await runJob({
              client,
              direction: c.direction,
              size: c.size,
              port: server.port,
              warmupMs: options.warmupMs,
              durationMs: options.durationMs,
              maxMessages: options.maxMessages,
              window: options.window,
              timeoutMs: options.warmupMs + options.durationMs + 30_000,
            });
            figures[client].push(f);
            options.log(
              `  client${label} ${name} ${client}: ${formatNumber(f.msgPerSec)} msg/s, ${formatNumber(f.cpuMicros)} client-CPU µs/msg, ` +
                `client busy ${Math.round(f.busy * 100)}% of a core`,
            );
          } catch (error) {
            failed[client] = (error as Error).message;
            options.log(`  client${label} ${name} ${client}: FAILED ${(error as Error).message}`);
          }
        }
      }
    }
  } finally {
    await server.stop();
  }
  const rows: Row[] = [];
  for (const c of options.cases) {
    const name = clientCaseName(c);
    const byClient = runs.get(name)!;
    const failed = errors.get(name)!;
    const error = Object.entries(failed)
      .map(([id, e]) => `${id}: ${e}`)
      .join('; ');
    const figures: RoundFigures<ClientFigures, ClientId> = {
      runs: clientsFor(c.direction).map((id) => [id, byClient[id]]),
      failed: (id) => failed[id] !== undefined,
    };
    const common = {
      section: CLIENT_SECTION,
      case: name,
      bar: 'ws',
      ratiosAgainstBar: true,
      details: { busy: medians(figures, (x) => x.busy), window: options.window },
      ...(error ? { error } : {}),
    };
    rows.push(
      metricRow(common, figures, 'client CPU µs/msg', 'lower', (x) => x.cpuMicros),
      metricRow(common, figures, 'msg/s', 'higher', (x) => x.msgPerSec),
    );
  }
  return rows;
}
