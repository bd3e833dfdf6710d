import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/config.js';
import {
  filesNeeded,
  generatorCount,
  lastArrivalLatencies,
  parseOpenFileLimit,
  serverFor,
  shardSubscribers,
} from '../src/load/fanout-plan.js';
import { checkBar, checkGoals, redisLatencyGoal, renderBar } from '../src/report/bar.js';
import { renderChart } from '../src/report/chart.js';
import { makeRow, type Row } from '../src/report/row.js';
import { FANOUT_REDIS_SECTION, FANOUT_SECTION } from '../src/report/sections.js';
import { renderTables } from '../src/report/table.js';
import { haveRedisServer, startRedis } from '../src/servers/redis-process.js';
import { fanoutMessages } from '../src/suites/fanout-suite.js';
import { encodeCommand, parseInfoCpu, parseReply } from '../src/wire/resp.js';
import { buildBench, packageDir } from './helpers/built-bench.js';

describe('spreading a fan-out job', () => {
  it('uses one generator per 2,500 subscribers, four at most', () => {
    expect([1, 100, 1000, 2500, 2501, 5000, 10_000, 1_000_000].map(generatorCount)).toEqual([1, 1, 1, 1, 2, 2, 4, 4]);
  });

  it('splits subscribers into contiguous shards differing by one at most', () => {
    expect(shardSubscribers(10, 3)).toEqual([
      { first: 0, count: 4 },
      { first: 4, count: 3 },
      { first: 7, count: 3 },
    ]);
    const shards = shardSubscribers(10_000, 4);
    expect(shards.map((s) => s.count)).toEqual([2500, 2500, 2500, 2500]);
    expect(shards.map((s) => s.first)).toEqual([0, 2500, 5000, 7500]);
    expect(() => shardSubscribers(2, 3)).toThrow(RangeError);
    expect(() => shardSubscribers(0, 1)).toThrow(/cannot split 0 subscribers/);
  });

  it('connects subscribers to the servers round robin', () => {
    expect([0, 1, 2, 3, 4, 5].map((i) => serverFor(i, 4))).toEqual([0, 1, 2, 3, 0, 1]);
    expect([0, 1, 2].map((i) => serverFor(i, 1))).toEqual([0, 0, 0]);
  });

  it('counts the open files of the busiest process and reads the soft limit', () => {
    // One server holds every subscriber and the publisher; four generators 2,500 sockets each (+ publisher).
    expect(filesNeeded(10_000, 4, 1)).toBe(10_001 + 100);
    expect(filesNeeded(10_000, 4, 4)).toBe(2501 + 100);
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max processes             127698               127698               processes \n' +
      'Max open files            20000                524288               files     \n';
    expect(parseOpenFileLimit(limits)).toBe(20_000);
    expect(parseOpenFileLimit(limits.replace('20000 ', 'unlimited'))).toBeUndefined();
    expect(parseOpenFileLimit('nothing here')).toBeUndefined();
    if (process.platform === 'linux') {
      expect(parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'))).toBeGreaterThan(0);
    }
  });

  it('sizes the throughput phase by deliveries, capped by bytes, at least 20 messages', () => {
    expect(fanoutMessages({ size: 16, subscribers: 1000 }, 2_000_000, 2 * 1024 ** 3)).toBe(2000);
    expect(fanoutMessages({ size: 16, subscribers: 10_000 }, 2_000_000, 2 * 1024 ** 3)).toBe(200);
    expect(fanoutMessages({ size: 64 * 1024, subscribers: 1000 }, 2_000_000, 2 * 1024 ** 3)).toBe(32);
    expect(fanoutMessages({ size: 1024 * 1024, subscribers: 10_000 }, 2_000_000, 2 * 1024 ** 3)).toBe(20);
  });
});

describe('publish-to-last-subscriber latency', () => {
  it('is the latest shard stamp minus the send stamp, per message', () => {
    const sentAt = [100, 200, 300];
    const shards = [
      [150, 260, 310],
      [170, 230, 390],
    ];
    expect(lastArrivalLatencies(sentAt, shards)).toEqual([70, 60, 90]);
    expect(lastArrivalLatencies(sentAt, [shards[0]!])).toEqual([50, 60, 10]);
  });

  it('leaves out a message some shard never completed (NaN, or null after IPC)', () => {
    const shards: number[][] = [
      [150, Number.NaN, 310],
      [170, 230, null as unknown as number],
    ];
    expect(lastArrivalLatencies([100, 200, 300], shards)).toEqual([70]);
    expect(lastArrivalLatencies([100], [[]])).toEqual([]);
  });
});

describe('command line', () => {
  it("runs the issue's fan-out cases in the full set, and a tiny one with a 2-process Redis row in --quick", () => {
    const full = parseArgs([]).fanout;
    expect(full.cases.map((c) => `${c.size}x${c.subscribers}`)).toEqual([
      '16x1000',
      '16x10000',
      '1024x1000',
      '1024x10000',
      '65536x1000',
    ]);
    expect(full.redisCases.map((c) => `${c.size}x${c.subscribers}`)).toEqual(['1024x1000', '1024x10000']);
    expect(full.redisProcesses).toEqual([2, 4]);
    const quick = parseArgs(['--quick']).fanout;
    expect(quick.cases).toEqual([{ size: 1024, subscribers: 100 }]);
    expect(quick.redisProcesses).toEqual([2]);
    expect(quick.latencyMessages).toBeLessThanOrEqual(20);
  });
});

describe('RESP, the little of it the bench speaks', () => {
  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['PUBSUB', 'NUMSUB', 'wsts:room']).toString()).toBe(
      '*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$9\r\nwsts:room\r\n',
    );
    expect(encodeCommand(['ECHO', 'é']).toString()).toBe('*2\r\n$4\r\nECHO\r\n$2\r\né\r\n');
  });

  it('parses each reply type, and waits for a reply cut anywhere', () => {
    const reply = Buffer.from('*3\r\n+OK\r\n:42\r\n*2\r\n$5\r\nhello\r\n$-1\r\n');
    expect(parseReply(reply)).toEqual({ value: ['OK', 42, ['hello', null]], end: reply.length });
    for (let cut = 0; cut < reply.length; cut++) expect(parseReply(reply.subarray(0, cut))).toBeUndefined();
    expect(parseReply(Buffer.from('+PONG\r\n+PONG\r\n'), 7)).toEqual({ value: 'PONG', end: 14 });
    expect(() => parseReply(Buffer.from('-ERR unknown command\r\n'))).toThrow('redis: ERR unknown command');
    expect(() => parseReply(Buffer.from('?\r\n'))).toThrow(/unexpected reply type/);
  });

  it("reads Redis's own CPU seconds from INFO cpu", () => {
    const info = '# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:0.500000\r\nused_cpu_sys_children:9.000000\r\n';
    expect(parseInfoCpu(info)).toBeCloseTo(1.75, 9);
    expect(() => parseInfoCpu('# CPU\r\n')).toThrow(/no used_cpu_sys/);
  });

  it.skipIf(!haveRedisServer())('talks to a real redis-server started on a free port, and stops it', async () => {
    const redis = await startRedis();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redis.control.command(['PING'])).toBe('PONG');
      expect(await redis.control.command(['PUBSUB', 'NUMSUB', 'wsts:room'])).toEqual(['wsts:room', 0]);
      const info = await redis.control.command(['INFO', 'cpu']);
      expect(parseInfoCpu(info as string)).toBeGreaterThanOrEqual(0);
      await expect(redis.control.command(['NOSUCHCOMMAND'])).rejects.toThrow(/redis: ERR unknown command/);
    } finally {
      await redis.stop();
    }
    expect(() => process.kill(redis.pid, 0)).toThrow();
  });
});

describe('the fan-out rows in the reports', () => {
  const row = (section: string, metric: string, better: 'higher' | 'lower', bar: string, values: Record<string, number | null>) =>
    makeRow({ section, case: '1 KiB x 1,000 subs', metric, better, bar, values });
  const redisRows = (p50: Record<string, number>, ping: Record<string, number>): Row[] => [
    row(FANOUT_REDIS_SECTION, 'deliveries/s', 'higher', 'redis-2', { ours: 100, 'redis-2': 150, 'redis-4': 200 }),
    row(FANOUT_REDIS_SECTION, 'Redis CPU µs/delivery', 'lower', 'redis-2', { 'redis-2': 0.5, 'redis-4': 0.6 }),
    row(FANOUT_REDIS_SECTION, 'latency p50 ms', 'lower', 'redis-2', p50),
    row(FANOUT_REDIS_SECTION, 'Redis PING ms', 'lower', 'redis-2', ping),
  ];

  it('checks the Redis latency goal against one PING round trip per process count', () => {
    const met = redisLatencyGoal(redisRows({ ours: 1, 'redis-2': 1.2, 'redis-4': 0.9 }, { 'redis-2': 0.25, 'redis-4': 0.3 }));
    expect(met).toMatchObject({ met: true, shortfalls: [], informational: true });
    const short = redisLatencyGoal(redisRows({ ours: 1, 'redis-2': 1.2, 'redis-4': 1.5 }, { 'redis-2': 0.25, 'redis-4': 0.3 }));
    expect(short!.met).toBe(false);
    expect(short!.shortfalls).toEqual([
      'fanout across processes (Redis) / 1 KiB x 1,000 subs / 4 procs + Redis: p50 +0.500 ms over 1 process, PING 0.300 ms',
    ]);
    const missing = redisLatencyGoal(redisRows({ ours: 1, 'redis-2': 1.2 }, {}));
    expect(missing!.shortfalls).toEqual(['fanout across processes (Redis) / 1 KiB x 1,000 subs / 2 procs + Redis: no figure']);
    expect(redisLatencyGoal([row(FANOUT_SECTION, 'latency p50 ms', 'lower', 'ws', { ours: 1, ws: 2 })])).toBeUndefined();
  });

  it('keeps the Redis rows out of the bar (they are not measured against ws) and reports the goal beside it', () => {
    const rows = [
      row(FANOUT_SECTION, 'latency p99 ms', 'lower', 'ws', { ours: 1, ws: 2, bun: 1 }),
      ...redisRows({ ours: 1, 'redis-2': 2, 'redis-4': 2 }, { 'redis-2': 0.25, 'redis-4': 0.3 }),
    ];
    expect(checkBar(rows)[0]).toMatchObject({ met: true, shortfalls: [] });
    const text = renderBar([...checkBar(rows), ...checkGoals(rows)]);
    expect(text).toContain('- not met: fanout through Redis: p50 latency over 1 process <= one Redis round trip (PING p50)');
    expect(text).toContain('4 procs + Redis: p50 +1.000 ms over 1 process, PING 0.300 ms');
  });

  it('prints the Redis section with its contenders by name, blank where a deployment has no such figure, and a note', () => {
    const table = renderTables(redisRows({ ours: 1, 'redis-2': 2, 'redis-4': 2 }, { 'redis-2': 0.25, 'redis-4': 0.3 }));
    expect(table).toContain('### fanout across processes (Redis)');
    const header = table.split('\n').find((l) => l.startsWith('| case'))!;
    expect(header.split('|').map((c) => c.trim())).toEqual([
      '',
      'case',
      'metric',
      'ours',
      '2 procs + Redis',
      '4 procs + Redis',
      'vs 2 procs + Redis',
      'vs 4 procs + Redis',
      '',
    ]);
    const cpu = table.split('\n').find((l) => l.includes('Redis CPU'))!;
    expect(cpu.split('|').map((c) => c.trim())[3]).toBe('');
    expect(table).toContain('"ours" here is one @wsts/server process without Redis');
  });

  it('charts one process against each process count, with a legend line for the extra series', () => {
    const rows = [
      row(FANOUT_SECTION, 'deliveries/s', 'higher', 'ws', { ours: 3, ws: 1 }),
      ...redisRows({ ours: 1, 'redis-2': 2, 'redis-4': 2 }, { 'redis-2': 0.25, 'redis-4': 0.3 }),
    ];
    const svg = renderChart(rows, { title: 't', subtitle: 's' });
    const out = execFileSync(
      'python3',
      [
        '-c',
        [
          'import sys, xml.etree.ElementTree as E',
          'root = E.fromstring(sys.stdin.read())',
          'ns = "{http://www.w3.org/2000/svg}"',
          'print(sum(1 for r in root.iter(ns + "rect") if r.find(ns + "title") is not None))',
          'print("|".join(t.text for t in root.iter(ns + "text") if (t.text or "").startswith("ours vs")))',
        ].join('\n'),
      ],
      { input: svg, encoding: 'utf8' },
    ).split('\n');
    // ws on the first row; 2 and 4 processes on deliveries/s and p50 (the CPU and PING rows have no "ours").
    expect(Number(out[0])).toBe(5);
    expect(out[1]).toBe('ours vs ws|ours vs 2 procs + Redis|ours vs 4 procs + Redis');
    // Without Redis rows the legend has only what was measured, on one line.
    expect(renderChart([rows[0]!], { title: 't', subtitle: 's' })).not.toContain('Redis');
  });
});

/**
 * The whole suite on tiny numbers against the real servers: 30 subscribers over three generator
 * processes (so the progress relay and the cross-process latency stamps are exercised), and, where
 * redis-server is installed, one process against two through Redis. It asserts that every row
 * completed, never how fast.
 */
describe('the fan-out suite, end to end on tiny numbers', () => {
  let rows: Row[];
  const log: string[] = [];
  beforeAll(async () => {
    buildBench();
    const { runFanoutSuite } = (await import(
      join(packageDir, 'dist/suites/fanout-suite.js')
    )) as typeof import('../src/suites/fanout-suite.js');
    rows = await runFanoutSuite({
      cases: [{ size: 100, subscribers: 30 }],
      deliveries: 600,
      maxBytes: 1024 * 1024,
      rounds: 1,
      latencyMessages: 5,
      latencyMs: 2000,
      redisCases: [{ size: 100, subscribers: 30 }],
      redisProcesses: [2],
      generators: 3,
      log: (line) => log.push(line),
    });
  }, 120_000);

  /**
   * A figure was measured. Server CPU comes from /proc in 10 ms clock ticks, so a run this tiny may
   * spend less than one tick: zero is a measurement there; everything else must be positive.
   */
  function expectMeasured(value: number | null | undefined, metric: string): void {
    if (metric.startsWith('server CPU')) expect(value, metric).toBeGreaterThanOrEqual(0);
    else expect(value, metric).toBeGreaterThan(0);
  }

  it('completes every row, with a latency for every message of the latency phase', () => {
    const incomplete = rows.filter((r) => !r.completed).map((r) => `${r.section} ${r.metric}: ${r.error ?? ''}`);
    expect(incomplete, log.join('\n')).toEqual([]);
    const single = rows.filter((r) => r.section === FANOUT_SECTION);
    expect(single.map((r) => r.metric)).toEqual(['deliveries/s', 'server CPU µs/delivery', 'latency p50 ms', 'latency p99 ms']);
    for (const r of single) {
      for (const id of ['ours', 'ws']) expectMeasured(r.values[id], `${r.metric} ${id}`);
    }
    expect(single[0]!.details).toMatchObject({ messages: 20, latencyMessages: 5, generators: 3 });
    const p50 = single.find((r) => r.metric === 'latency p50 ms')!;
    const p99 = single.find((r) => r.metric === 'latency p99 ms')!;
    for (const id of Object.keys(p50.values)) expect(p99.values[id]!).toBeGreaterThanOrEqual(p50.values[id]!);
    expect(log.filter((l) => l.includes(' over 5 '))).toHaveLength(Object.keys(p50.values).length + (haveRedisServer() ? 2 : 0));
  });

  it.skipIf(!haveRedisServer())('measures one process against two through Redis, with Redis CPU and PING apart', () => {
    const redis = rows.filter((r) => r.section === FANOUT_REDIS_SECTION);
    expect(redis.map((r) => r.metric)).toEqual([
      'deliveries/s',
      'server CPU µs/delivery',
      'Redis CPU µs/delivery',
      'latency p50 ms',
      'latency p99 ms',
      'Redis PING ms',
    ]);
    for (const r of redis) {
      expectMeasured(r.values['redis-2'], r.metric);
      if (r.metric.startsWith('Redis')) expect(Object.keys(r.values)).toEqual(['redis-2']);
      else expectMeasured(r.values['ours'], r.metric);
    }
  });
});
