/**
 * WebSocketServer and redisBroker together, for real: server processes on one Redis, hundreds of
 * clients of two implementations spread across them, Redis killed mid-run, a subscriber that never
 * reads, and the two-servers example.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subscribers, until } from './helpers/brokers.js';
import { type RedisServer, startRedis } from './helpers/redis-server.js';
import {
  byPublisher,
  connectClient,
  killServers,
  range,
  startTopicServer,
  type TopicClient,
  type TopicServer,
  within,
} from './helpers/topic-servers.js';

let redis: RedisServer;
let servers: TopicServer[] = [];
let clients: TopicClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  if (!redis.running) await redis.start();
  await Promise.all(clients.map((client) => client.close()));
  clients = [];
  const codes = await Promise.all(servers.map((server) => server.close()));
  servers = [];
  // Each server process exits by itself once closed: nothing of it (sockets, broker, timers) stays open.
  expect(codes.every((code) => code === 0)).toBe(true);
});
afterAll(async () => {
  killServers();
  await redis?.dispose();
});

async function start(prefix: string, names: readonly string[], highWaterMark?: number): Promise<TopicServer[]> {
  const started = await Promise.all(names.map((name) => startTopicServer(redis.url, prefix, name, highWaterMark)));
  servers.push(...started);
  await until(
    async () => (await Promise.all(started.map((s) => s.stats()))).every((s) => s.broker.connected),
    'brokers connected',
  );
  return started;
}

/** Waits until every server with subscribers of `topic` has it subscribed in Redis. */
async function subscribedInRedis(prefix: string, topic: string, processes: number): Promise<void> {
  await until(async () => (await subscribers(redis.port, prefix + topic)) === processes, `${processes} subscribers of ${topic}`);
}

describe('servers on one Redis', { timeout: 120_000 }, () => {
  it('300 clients on 3 processes: every publish reaches every subscriber once, in order per publisher, not the sender', async () => {
    const prefix = 'fanout:';
    const topics = ['t0', 't1', 't2'];
    const processes = await start(prefix, ['A', 'B', 'C']);
    // Client i is on process i % 3, subscribed to topic i % 3, every fifth also to the next topic;
    // half are `ws` clients, half @wsts/server's own.
    for (let i = 0; i < 300; i++) {
      const subscribed = i % 5 === 0 ? [topics[i % 3]!, topics[(i + 1) % 3]!] : [topics[i % 3]!];
      clients.push(await connectClient(`c${i}`, i % 2 === 0 ? 'ws' : 'wsts', processes[i % 3]!, subscribed));
    }
    // Each process has subscribers to two of the three topics (so a topic no local client wants is not
    // subscribed there): two Redis subscribers per topic.
    for (const topic of topics) await subscribedInRedis(prefix, topic, 2);

    const COUNT = 40;
    // Publishers through connection.publish: some subscribe to the topic they publish on (so the
    // exclusion of the sender is tested), some do not.
    const publishers = [
      { client: clients[0]!, topic: 't0' }, // subscribes to t0 and t1
      { client: clients[4]!, topic: 't1' }, // subscribes to t1
      { client: clients[7]!, topic: 't2' }, // on B, subscribes to t1 only
      { client: clients[11]!, topic: 't2' }, // on C, subscribes to t2
      { client: clients[13]!, topic: 't0' }, // on B, subscribes to t1 only
    ];
    const sending = publishers.map(async ({ client, topic }) => {
      for (let i = 0; i < COUNT; i++) client.send(topic, `${client.id}:${i}`);
    });
    await Promise.all([...processes.flatMap((server) => topics.map((topic) => server.publish(topic, 0, COUNT))), ...sending]);

    const expected = (client: TopicClient): Map<string, number> => {
      const from = new Map<string, number>();
      for (const topic of client.topics) {
        for (const server of processes) from.set(server.name, (from.get(server.name) ?? 0) + COUNT);
        for (const publisher of publishers) {
          if (publisher.topic === topic && publisher.client !== client) from.set(publisher.client.id, COUNT);
        }
      }
      return from;
    };
    const total = (client: TopicClient): number => [...expected(client).values()].reduce((a, b) => a + b, 0);
    await until(
      () => clients.every((client) => client.received.length >= total(client)),
      'every message at every client',
      30_000,
    );
    // Anything delivered twice would arrive by now.
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (const client of clients) {
      const groups = byPublisher(client.received);
      const want = expected(client);
      expect([...groups.keys()].sort(), client.id).toEqual([...want.keys()].sort());
      for (const [publisher, count] of want) {
        // A client with two topics gets each server's two sequences interleaved; each is in order.
        const sequences = groups.get(publisher)!;
        if (count === COUNT) expect(sequences, `${client.id} from ${publisher}`).toEqual(range(COUNT));
        else
          expect(
            [...sequences].sort((a, b) => a - b),
            `${client.id} from ${publisher}`,
          ).toEqual(range(COUNT).flatMap((i) => [i, i]));
      }
    }
    // The sender is excluded: a publisher subscribed to its own topic got nothing of its own.
    expect(byPublisher(clients[0]!.received).has('c0')).toBe(false);

    const stats = await Promise.all(processes.map((server) => server.stats()));
    for (const s of stats) {
      expect(s.broker).toMatchObject({
        droppedOffline: 0,
        droppedBackpressure: 0,
        lostInFlight: 0,
        garbled: 0,
        deliverErrors: 0,
      });
      expect(s.skipped).toBe(0);
    }
  });

  it('Redis killed and restarted mid-run: local delivery goes on, cross-process delivery resumes, the counters account for the loss', async () => {
    const prefix = 'outage:';
    const [a, b] = await start(prefix, ['A', 'B']);
    for (let i = 0; i < 20; i++)
      clients.push(await connectClient(`c${i}`, i % 2 === 0 ? 'ws' : 'wsts', i < 10 ? a! : b!, ['live']));
    await subscribedInRedis(prefix, 'live', 2);
    const onA = clients.slice(0, 10);
    const onB = clients.slice(10);
    const from = (client: TopicClient, publisher: string): number[] => byPublisher(client.received).get(publisher) ?? [];

    const COUNT = 300;
    const ticking = Promise.all([a!.tick('live', COUNT, 10), b!.tick('live', COUNT, 10)]);
    await until(
      () => from(onB[0]!, 'A').length >= 30 && from(onA[0]!, 'B').length >= 30,
      'cross-process delivery before the outage',
    );

    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 150)); // what was in flight lands or is lost
    const remoteBefore = from(onB[0]!, 'A').length;
    const localBefore = from(onB[0]!, 'B').length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Local delivery went on without Redis; nothing crossed.
    expect(from(onB[0]!, 'B').length).toBeGreaterThan(localBefore + 20);
    expect(from(onB[0]!, 'A').length).toBe(remoteBefore);
    await redis.start();

    await ticking;
    // Cross-process delivery resumes by itself: the last message of each side arrives on the other.
    await until(
      () => onB.every((c) => from(c, 'A').at(-1) === COUNT - 1) && onA.every((c) => from(c, 'B').at(-1) === COUNT - 1),
      'the last message of each process on the other',
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const [statsA, statsB] = await Promise.all([a!.stats(), b!.stats()]);
    for (const [server, stats, local, remote] of [
      ['A', statsA, onA, onB],
      ['B', statsB, onB, onA],
    ] as const) {
      // Local subscribers got everything, in order.
      for (const client of local) expect(from(client, server), client.id).toEqual(range(COUNT));
      // Every publish is accounted for: acknowledged by Redis, dropped while offline, or lost in flight.
      const { published, droppedOffline, droppedBackpressure, lostInFlight, pendingBytes, disconnects } = stats.broker;
      expect(published + droppedOffline + droppedBackpressure + lostInFlight, server).toBe(COUNT);
      expect(pendingBytes).toBe(0);
      expect(droppedOffline, `${server} dropped publishes while Redis was down`).toBeGreaterThan(0);
      expect(disconnects).toBeGreaterThanOrEqual(2);
      // The other process's subscribers got a gap, never a duplicate or a reordering; they all got the
      // same messages (the loss is per process, not per client); what was dropped never arrived.
      const seen = from(remote[0]!, server);
      for (const client of remote) expect(from(client, server), client.id).toEqual(seen);
      expect(seen).toEqual([...new Set(seen)].sort((x, y) => x - y));
      expect(COUNT - seen.length).toBeGreaterThanOrEqual(droppedOffline);
      expect(seen.length).toBeLessThanOrEqual(published + lostInFlight);
    }
    // What each broker says it delivered is exactly what its subscribers got from the other process.
    expect(statsB.broker.delivered).toBe(from(onB[0]!, 'A').length);
    expect(statsA.broker.delivered).toBe(from(onA[0]!, 'B').length);
  });

  it('a subscriber that never reads neither slows the others nor grows the server memory past its bound', async () => {
    const prefix = 'slow:';
    const HIGH_WATER_MARK = 256 * 1024;
    const SIZE = 8 * 1024;
    const [a, b] = await start(prefix, ['A', 'B'], HIGH_WATER_MARK);
    // The slow one: a raw TCP client that completes the handshake on A, then reads nothing more.
    const raw = tcpConnect(a!.port, '127.0.0.1');
    raw.on('error', () => {});
    await within(once(raw, 'connect'), 5_000, 'raw connect');
    raw.write(
      'GET /?topics=big HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [head] = (await within(once(raw, 'data'), 5_000, 'raw 101')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    raw.pause();
    for (let i = 0; i < 8; i++) clients.push(await connectClient(`c${i}`, i % 2 === 0 ? 'ws' : 'wsts', i < 4 ? a! : b!, ['big']));
    await subscribedInRedis(prefix, 'big', 2);

    // 20 MiB from B, in batches the readers keep up with: far more than the kernel buffers of the raw
    // socket hold, so A has to skip it instead of queueing. A batch is published in one tick, and what
    // a tick queues counts against the high-water mark, so a batch stays well below it.
    const BATCH = 16;
    const BATCHES = 160;
    let maxUsed = 0;
    for (let batch = 0; batch < BATCHES; batch++) {
      await b!.publish('big', batch * BATCH, BATCH, SIZE);
      const want = (batch + 1) * BATCH;
      await until(() => clients.every((client) => client.received.length >= want), `batch ${batch} at every reader`, 10_000);
      if (batch % 10 === 9) maxUsed = Math.max(maxUsed, (await a!.stats()).memory.used);
    }
    const stats = await a!.stats();
    maxUsed = Math.max(maxUsed, stats.memory.used);
    raw.destroy();

    for (const client of clients) expect(byPublisher(client.received).get('B'), client.id).toEqual(range(BATCH * BATCHES));
    expect(stats.skipped, 'messages the raw subscriber missed').toBeGreaterThan(0);
    // Per subscriber at most the high-water mark plus one message (and its frame header) is queued.
    const FRAME = SIZE + 14;
    expect(maxUsed).toBeLessThanOrEqual(5 * (HIGH_WATER_MARK + FRAME));
    expect(stats.broker.droppedBackpressure + stats.broker.deliverErrors).toBe(0);
  });
});

describe('examples/two-servers.ts', { timeout: 60_000 }, () => {
  it('runs against a real Redis: a client of the first server receives what the second publishes', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', 'tsconfig.examples.json'], {
      cwd: dir,
      timeout: 45_000,
    });
    const output = execFileSync(process.execPath, ['dist-examples/two-servers.js', redis.url], {
      cwd: dir,
      timeout: 15_000,
      encoding: 'utf8',
    });
    expect(output).toContain('client of the first server received: published by the second server');
    expect(output).not.toContain('skipped');
  });
});
