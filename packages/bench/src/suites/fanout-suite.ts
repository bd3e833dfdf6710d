import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { FanoutJob } from '../load/fanout-job.js';
import { FanoutGenerators } from '../load/fanout-generators.js';
import { filesNeeded, generatorCount, lastArrivalLatencies, parseOpenFileLimit, shardSubscribers } from '../load/fanout-plan.js';
import { metricRow, type RoundFigures } from '../report/round-figures.js';
import type { Row } from '../report/row.js';
import { FANOUT_REDIS_SECTION, FANOUT_SECTION, redisContender } from '../report/sections.js';
import { median, percentileSorted } from '../report/stats.js';
import { formatSize } from '../report/units.js';
import { haveRedisServer, type RunningRedis, startRedis } from '../servers/redis-process.js';
import { processCpuSeconds, type RunningServer, startServer } from '../servers/server-process.js';
import { baselineCheckout, bunKind, type ServerKind } from '../servers/server-kinds.js';
import { nextAddressBlock } from '../wire/handshake.js';
import { parseInfoCpu, type RespConnection } from '../wire/resp.js';

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
  /** Jobs per contender per case, alternating contenders; medians reported. */
  rounds: number;
  /** Messages of each job's latency phase (one in flight at a time), at most... */
  latencyMessages: number;
  /** ...and for at most this long. */
  latencyMs: number;
  /** Cases of the cross-process rows (through Redis); none: no such rows. */
  redisCases: readonly FanoutCase[];
  /** Server process counts of the cross-process rows, each against one process without Redis. */
  redisProcesses: readonly number[];
  /** Load-generator processes per job; default {@link generatorCount} of the subscribers. */
  generators?: number;
  log: (line: string) => void;
}

const script = fileURLToPath(new URL('../servers/fanout-server.js', import.meta.url));
const bunScript = fileURLToPath(new URL('../servers/bun-fanout.js', import.meta.url));
const floorScript = fileURLToPath(new URL('../servers/node-floor.js', import.meta.url));
/** Messages in flight in the throughput phase. */
const WINDOW = 8;
/** Handshakes in flight per generator process while the subscribers connect (the scale rows use 128 in one). */
const CONCURRENCY = 64;
const TIMEOUT_MS = 120_000;
/** PINGs per Redis job, one at a time, after the latency phase. */
const PINGS = 50;

/** What a job runs: one or more server processes, and whether they publish through Redis. */
interface Deployment {
  id: string;
  label: string;
  servers: ServerKind[];
  redis: boolean;
}

function ours(label: string, args: string[] = []): ServerKind {
  return { id: 'ours', label, runtime: 'node', script, args: ['--impl', 'ours', ...args], env: {}, placeholder: false };
}

/**
 * The contenders: ours publishing to a topic, ws looping over its clients, Bun's `server.publish` when
 * installed, and the Node floor (each publisher read written as is to every subscriber socket).
 */
function singleProcessDeployments(): Deployment[] {
  const baseline = baselineCheckout();
  const kinds: ServerKind[] = [
    ours('@wsts/server publish'),
    ...(baseline === undefined
      ? []
      : [
          {
            ...ours(`baseline (${baseline})`),
            id: 'baseline',
            script: join(baseline, 'packages/bench/dist/servers/fanout-server.js'),
          },
        ]),
    { id: 'ws', label: 'ws clients loop', runtime: 'node', script, args: ['--impl', 'ws'], env: {}, placeholder: false },
    ...bunKind(bunScript, 'Bun server.publish', []),
    {
      id: 'node-floor',
      label: 'Node floor (raw net, one write per subscriber)',
      runtime: 'node',
      script: floorScript,
      args: ['--port', '0', '--fanout'],
      env: {},
      placeholder: false,
    },
  ];
  return kinds.map((k) => ({ id: k.id, label: k.label, servers: [k], redis: false }));
}

/** Ours in one process without Redis, then in N processes sharing the subscribers through Redis. */
function redisDeployments(url: string, processes: readonly number[]): Deployment[] {
  return [
    { id: 'ours', label: '1 process, no Redis', servers: [ours('@wsts/server publish')], redis: false },
    ...processes.map((n) => ({
      id: redisContender(n),
      label: `${n} processes + Redis`,
      servers: Array.from({ length: n }, () => ours(`@wsts/server publish + @wsts/redis (${n} processes)`, ['--redis', url])),
      redis: true,
    })),
  ];
}

interface FanoutFigures {
  deliveriesPerSec: number;
  /** CPU of every server process together per delivered message, in microseconds. */
  serverCpuUsPerDelivery: number;
  /** Redis's own CPU per delivered message, in microseconds (Redis rows only). */
  redisCpuUsPerDelivery: number | undefined;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Median round trip of a PING to the same Redis, in milliseconds (Redis rows only). */
  pingMs: number | undefined;
  /** The busiest generator's CPU share during the throughput phase. */
  generatorCpu: number;
  latencySamples: number;
}

/** Fails early, and says what to do, when a process of the job could not hold its sockets. */
function checkOpenFiles(subscribers: number, generators: number, servers: number): void {
  let limit: number | undefined;
  try {
    limit = parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return; // No /proc: nothing to check against; a failing connect will say what went wrong.
  }
  const needed = filesNeeded(subscribers, generators, servers);
  if (limit !== undefined && limit < needed) {
    throw new Error(
      `${subscribers} subscribers need about ${needed} open files in one process; the limit is ${limit} ` +
        '(bin/bench.sh raises the soft limit to the hard one: raise the hard limit, e.g. `ulimit -Hn`, limits.conf)',
    );
  }
}

/** Starts every server of a deployment; on any failure stops the ones that started. */
async function startAll(kinds: readonly ServerKind[]): Promise<RunningServer[]> {
  const settled = await Promise.allSettled(kinds.map((k) => startServer(k)));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
}

/** Waits until `processes` brokers are subscribed to the bench's topic in Redis (bounded). */
async function waitSubscribed(control: RespConnection, processes: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await control.command(['PUBSUB', 'NUMSUB', 'wsts:room']);
    const count = Array.isArray(reply) ? Number(reply[1]) : 0;
    if (count >= processes) return;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${processes} servers subscribed in Redis after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Median round trip of `count` PINGs, one at a time, in milliseconds. */
async function pingMs(control: RespConnection, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await control.command(['PING']);
    times.push(performance.now() - start);
  }
  return median(times);
}

async function redisCpuSeconds(redis: RunningRedis): Promise<number> {
  const info = await redis.control.command(['INFO', 'cpu']);
  if (typeof info !== 'string') throw new Error('redis INFO cpu: unexpected reply');
  return parseInfoCpu(info);
}

/** Sum of the servers' CPU seconds; NaN where /proc cannot tell. */
function serversCpu(servers: readonly RunningServer[]): number {
  let sum = 0;
  for (const s of servers) sum += processCpuSeconds(s.pid) ?? Number.NaN;
  return sum;
}

async function runJob(
  deployment: Deployment,
  fanoutCase: FanoutCase,
  messages: number,
  options: FanoutSuiteOptions,
  redis: RunningRedis | undefined,
): Promise<FanoutFigures> {
  const { size, subscribers } = fanoutCase;
  const what = `fanout ${deployment.id} ${formatSize(size)} x ${subscribers}`;
  const shards = shardSubscribers(subscribers, options.generators ?? generatorCount(subscribers));
  checkOpenFiles(subscribers, shards.length, deployment.servers.length);
  if (deployment.redis && redis === undefined) throw new Error(`${what}: no Redis running`);
  const servers = await startAll(deployment.servers);
  let generators: FanoutGenerators | undefined;
  try {
    const ports = servers.map((s) => s.port);
    const addressBlock = nextAddressBlock();
    const jobs: FanoutJob[] = shards.map((shard, i) => ({
      type: 'open',
      ports,
      size,
      subscribers,
      first: shard.first,
      count: shard.count,
      publisher: i === 0,
      others: shards.length > 1,
      messages,
      window: WINDOW,
      latencyMessages: options.latencyMessages,
      latencyMs: options.latencyMs,
      concurrency: CONCURRENCY,
      addressBlock,
      timeoutMs: TIMEOUT_MS,
    }));
    generators = new FanoutGenerators(jobs, what);
    await generators.ready(TIMEOUT_MS + 10_000);
    // Give the servers a moment to finish what follows each 101 (subscribing), before anything is published.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (deployment.redis) await waitSubscribed(redis!.control, servers.length, 10_000);
    const redisBefore = deployment.redis ? await redisCpuSeconds(redis!) : 0;
    const cpuBefore = serversCpu(servers);
    const throughput = await generators.run('throughput', TIMEOUT_MS + 10_000);
    const cpu = serversCpu(servers) - cpuBefore;
    const redisCpu = deployment.redis ? (await redisCpuSeconds(redis!)) - redisBefore : undefined;
    const latency = await generators.run('latency', options.latencyMs + TIMEOUT_MS);
    const ping = deployment.redis ? await pingMs(redis!.control, PINGS) : undefined;
    const reports = await generators.report(10_000);
    const counted = reports.reduce((n, r) => n + r.deliveries, 0);
    if (counted !== latency.sent * subscribers) {
      throw new Error(`${what}: subscribers counted ${counted} messages, expected ${latency.sent * subscribers}`);
    }
    const latencies = lastArrivalLatencies(
      reports[0]!.sentAt,
      reports.map((r) => r.doneAt),
    ).sort((a, b) => a - b);
    if (latencies.length !== latency.sent - messages || latencies.length === 0) {
      throw new Error(`${what}: ${latencies.length} latency samples for ${latency.sent - messages} messages`);
    }
    const deliveries = messages * subscribers;
    return {
      deliveriesPerSec: deliveries / throughput.seconds,
      serverCpuUsPerDelivery: (cpu / deliveries) * 1e6,
      redisCpuUsPerDelivery: redisCpu === undefined ? undefined : (redisCpu / deliveries) * 1e6,
      latencyP50Ms: percentileSorted(latencies, 50) / 1000,
      latencyP99Ms: percentileSorted(latencies, 99) / 1000,
      pingMs: ping,
      generatorCpu: Math.max(...reports.map((r) => r.generatorCpu)),
      latencySamples: latencies.length,
    };
  } finally {
    await generators?.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Messages of a case's throughput phase: the delivery budget, capped by bytes, at least 20. */
export function fanoutMessages(fanoutCase: FanoutCase, deliveries: number, maxBytes: number): number {
  const { size, subscribers } = fanoutCase;
  return Math.max(20, Math.floor(Math.min(deliveries / subscribers, maxBytes / (size * subscribers))));
}

interface Metric {
  metric: string;
  better: 'higher' | 'lower';
  figure: (x: FanoutFigures) => number | undefined;
  /** Only deployments publishing through Redis have this figure. */
  redisOnly?: boolean;
}

const COMMON_METRICS: Metric[] = [
  { metric: 'deliveries/s', better: 'higher', figure: (x) => x.deliveriesPerSec },
  { metric: 'server CPU µs/delivery', better: 'lower', figure: (x) => x.serverCpuUsPerDelivery },
  { metric: 'latency p50 ms', better: 'lower', figure: (x) => x.latencyP50Ms },
  { metric: 'latency p99 ms', better: 'lower', figure: (x) => x.latencyP99Ms },
];
const REDIS_METRICS: Metric[] = [
  COMMON_METRICS[0]!,
  COMMON_METRICS[1]!,
  { metric: 'Redis CPU µs/delivery', better: 'lower', figure: (x) => x.redisCpuUsPerDelivery, redisOnly: true },
  COMMON_METRICS[2]!,
  COMMON_METRICS[3]!,
  { metric: 'Redis PING ms', better: 'lower', figure: (x) => x.pingMs, redisOnly: true },
];

/**
 * Every case: a job per deployment per round, deployments alternating (and who goes first), then one
 * row per metric with the median over the rounds. A metric a deployment has no figure for (Redis's
 * CPU for the process without Redis) leaves that deployment out of the row.
 */
async function runSection(
  section: string,
  deployments: readonly Deployment[],
  cases: readonly FanoutCase[],
  bar: string,
  metrics: readonly Metric[],
  options: FanoutSuiteOptions,
  redis: RunningRedis | undefined,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const fanoutCase of cases) {
    const { size, subscribers } = fanoutCase;
    const messages = fanoutMessages(fanoutCase, options.deliveries, options.maxBytes);
    const runs: Record<string, FanoutFigures[]> = Object.fromEntries(deployments.map((d) => [d.id, []]));
    const errors: string[] = [];
    const failed = (id: string): boolean => errors.some((e) => e.startsWith(`${id}:`));
    for (let round = 0; round < options.rounds; round++) {
      for (const d of round % 2 === 0 ? deployments : [...deployments].reverse()) {
        if (failed(d.id)) continue;
        const name = `fanout ${formatSize(size)} x ${subscribers} ${d.label}`;
        try {
          const f = await runJob(d, fanoutCase, messages, options, redis);
          runs[d.id]!.push(f);
          const extra =
            f.pingMs === undefined
              ? ''
              : `, Redis ${f.redisCpuUsPerDelivery!.toFixed(2)} µs/delivery, PING ${f.pingMs.toFixed(3)} ms`;
          options.log(
            `  ${name}: ${Math.round(f.deliveriesPerSec)} deliveries/s, ${f.serverCpuUsPerDelivery.toFixed(2)} µs server CPU each${extra}, ` +
              `latency p50 ${f.latencyP50Ms.toFixed(2)} p99 ${f.latencyP99Ms.toFixed(2)} ms over ${f.latencySamples} (generator CPU ${Math.round(f.generatorCpu * 100)}%)`,
          );
        } catch (error) {
          errors.push(`${d.id}: ${(error as Error).message}`);
          options.log(`  ${name}: FAILED ${(error as Error).message}`);
        }
      }
    }
    const common = {
      section,
      case: `${formatSize(size)} x ${subscribers.toLocaleString('en-US')} subs`,
      bar,
      details: {
        messages,
        latencyMessages: options.latencyMessages,
        generators: options.generators ?? generatorCount(subscribers),
      },
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
    for (const m of metrics) {
      const measured = deployments.filter((d) => !m.redisOnly || d.redis);
      const figures: RoundFigures<FanoutFigures> = { runs: measured.map((d) => [d.id, runs[d.id]!]), failed };
      rows.push(metricRow(common, figures, m.metric, m.better, (x) => m.figure(x) ?? Number.NaN));
    }
  }
  return rows;
}

/**
 * One publisher, N subscribers: how fast each server delivers one message to many connections, what
 * each delivery costs the servers in CPU, and how long one message takes to reach the last subscriber.
 * Ours publishes to a topic (framed once); ws's is the loop over `clients` its documentation shows; Bun
 * publishes with uWebSockets. Then ours alone, in one process against several processes sharing the
 * subscribers and publishing through `@wsts/redis` on a redis-server the suite starts (skipped, with a
 * log line, where `redis-server` is not installed). A fresh set of servers per job.
 */
export async function runFanoutSuite(options: FanoutSuiteOptions): Promise<Row[]> {
  const rows = await runSection(
    FANOUT_SECTION,
    singleProcessDeployments(),
    options.cases,
    'ws',
    COMMON_METRICS,
    options,
    undefined,
  );
  if (options.redisCases.length === 0 || options.redisProcesses.length === 0) return rows;
  if (!haveRedisServer()) {
    options.log(
      'redis-server is not installed (scripts/setup-system.sh installs it): the cross-process fan-out rows are left out',
    );
    return rows;
  }
  const redis = await startRedis();
  try {
    options.log(`fan-out across processes through Redis (redis-server on port ${redis.port})`);
    rows.push(
      ...(await runSection(
        FANOUT_REDIS_SECTION,
        redisDeployments(redis.url, options.redisProcesses),
        options.redisCases,
        redisContender(options.redisProcesses[0]!),
        REDIS_METRICS,
        options,
        redis,
      )),
    );
  } finally {
    await redis.stop();
  }
  return rows;
}
