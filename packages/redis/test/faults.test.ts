/**
 * Redis down at start, killed and restarted, stopped answering; close() with and without Redis. Each
 * test has a redis-server of its own, since the tests stop it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { redisBroker } from '../src/index.js';
import { type ChildBroker, childBroker, type LocalBroker, localBroker, subscribers, until } from './helpers/brokers.js';
import { type RedisServer, startRedis } from './helpers/redis-server.js';
import { channels } from './helpers/resp.js';

const prefix = 'wsts:';
const open: Array<LocalBroker | ChildBroker> = [];
let redis: RedisServer | undefined;

afterEach(async () => {
  await Promise.all(open.splice(0).map((broker) => broker.close()));
  await redis?.dispose();
  redis = undefined;
});

function local(url: string, options: { maxPendingBytes?: number } = {}): LocalBroker {
  const broker = localBroker({ url, ...options });
  open.push(broker);
  return broker;
}

async function connected(...brokers: Array<LocalBroker | ChildBroker>): Promise<void> {
  for (const broker of brokers) await until(async () => (await broker.stats()).connected, 'the broker to connect');
}

describe('faults', () => {
  it('starts without Redis, drops and counts publishes meanwhile, and begins delivering once Redis is up', async () => {
    redis = await startRedis({ start: false });
    const a = local(redis.url);
    const c = childBroker(redis.url, prefix, 'C');
    open.push(c);
    a.subscribe('chat');
    c.subscribe('chat');
    // Neither throws nor waits: the calls return, the publishes are counted as dropped.
    a.sequence('chat', 'A', 0, 5);
    c.sequence('chat', 'C', 0, 5);
    await until(() => a.events.some((event) => event.type === 'error'), 'a refused connection reported');
    expect(a.broker.stats).toMatchObject({ connected: false, droppedOffline: 5, published: 0 });
    expect((await c.stats()).droppedOffline).toBe(5);

    await redis.start();
    await connected(a, c);
    expect(a.events.filter((event) => event.type === 'connect').map((event) => event.connection)).toEqual(
      expect.arrayContaining(['publisher', 'subscriber']),
    );
    // The topics subscribed before Redis was up are subscribed now.
    await until(async () => (await subscribers(redis!.port, 'wsts:chat')) === 2, 'both subscriptions');
    a.sequence('chat', 'A', 5, 3);
    c.sequence('chat', 'C', 5, 3);
    await until(() => a.received.length === 3 && c.received.length === 3, 'the messages after the start');
    expect(a.texts('chat')).toEqual(['C:5', 'C:6', 'C:7']);
    expect(c.texts('chat')).toEqual(['A:5', 'A:6', 'A:7']);
  });

  it('survives Redis killed and restarted: counts what it dropped, resubscribes the current topics, delivers again', async () => {
    redis = await startRedis();
    const a = local(redis.url);
    const b = local(redis.url);
    const c = childBroker(redis.url, prefix, 'C');
    open.push(c);
    await connected(a, b, c);
    for (const broker of [a, b, c]) broker.subscribe('chat');
    b.subscribe('gone');
    await until(async () => (await subscribers(redis!.port, 'wsts:chat')) === 3, 'three subscriptions');
    a.sequence('chat', 'A', 0, 10);
    await until(() => b.received.length === 10 && c.received.length === 10, 'the messages before the crash');

    await redis.kill();
    await until(() => !a.broker.stats.connected && !b.broker.stats.connected, 'the brokers to notice');
    await until(async () => !(await c.stats()).connected, 'the child broker to notice');
    expect(a.events.map((event) => event.type)).toContain('disconnect');
    // During the outage: publishes are dropped and counted; topic changes are remembered.
    a.sequence('chat', 'A', 10, 7);
    b.subscribe('new');
    b.unsubscribe('gone');
    expect(a.broker.stats.droppedOffline).toBe(7);

    await redis.start();
    await connected(a, b, c);
    await until(async () => (await subscribers(redis!.port, 'wsts:chat')) === 3, 'the three subscriptions again');
    await until(async () => (await channels(redis!.port)).includes('wsts:new'), 'the topic subscribed during the outage');
    expect(await channels(redis.port)).toEqual(['wsts:chat', 'wsts:new']);

    a.sequence('chat', 'A', 17, 10);
    c.sequence('chat', 'C', 0, 5);
    b.publishText('new', 'to nobody else');
    await until(() => b.received.length === 25 && c.received.length === 20, 'the messages after the restart');
    const aTexts = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `A:${from + i}`);
    // A:10..16 were dropped (at most once): the rest arrives, in order, once.
    expect(b.texts('chat').filter((text) => text.startsWith('A:'))).toEqual([...aTexts(0, 10), ...aTexts(17, 27)]);
    expect(c.texts('chat')).toEqual([...aTexts(0, 10), ...aTexts(17, 27)]);
    await until(() => a.received.length === 5, "C's messages at A");
    expect(a.texts('chat')).toEqual(['C:0', 'C:1', 'C:2', 'C:3', 'C:4']);
    expect(a.broker.stats).toMatchObject({ published: 20, droppedOffline: 7, garbled: 0 });
    expect(a.broker.stats.disconnects).toBeGreaterThanOrEqual(2);
  });

  it('bounds what waits for a Redis that stopped answering, drops and counts the rest, and resumes', async () => {
    redis = await startRedis();
    const maxPendingBytes = 256 * 1024;
    const a = local(redis.url, { maxPendingBytes });
    const b = local(redis.url);
    await connected(a, b);
    b.subscribe('big');
    await until(async () => (await subscribers(redis!.port, 'wsts:big')) === 1, 'the subscription');

    redis.pause();
    const chunk = Buffer.alloc(32 * 1024, 0x62);
    for (let i = 0; i < 40; i++) a.publishBinary('big', Buffer.concat([Buffer.from(`${i};`), chunk]));
    const paused = a.broker.stats;
    // 7 messages fit in 256 KiB of 32 KiB payloads plus headers; the other 33 are dropped at once.
    expect(paused.droppedBackpressure).toBe(33);
    expect(paused.pendingBytes).toBeLessThanOrEqual(maxPendingBytes);
    expect(paused.pendingBytes).toBeGreaterThan(0);
    expect(paused.published).toBe(0);

    redis.resume();
    await until(() => a.broker.stats.pendingBytes === 0, 'the acknowledgements');
    await until(() => b.received.length === 7, 'the accepted messages');
    expect(b.received.map((message) => message.data.subarray(0, 3).toString())).toEqual([
      '0;b',
      '1;b',
      '2;b',
      '3;b',
      '4;b',
      '5;b',
      '6;b',
    ]);
    a.publishText('big', 'after');
    await until(() => b.received.length === 8, 'a message after the pause');
    expect(a.broker.stats).toMatchObject({ published: 8, droppedBackpressure: 33, lostInFlight: 0 });
  });

  it('close() releases everything: a child process exits by itself, with Redis up or down', async () => {
    redis = await startRedis();
    const up = childBroker(redis.url, prefix, 'up');
    await until(async () => (await up.stats()).connected, 'the child broker to connect');
    up.subscribe('chat');
    up.publishText('chat', 'bye');
    await until(async () => (await subscribers(redis!.port, 'wsts:chat')) === 1, 'the subscription');
    await up.close();
    expect(await up.exited).toBe(0);
    await until(async () => (await subscribers(redis!.port, 'wsts:chat')) === 0, 'the subscription to end');

    // Redis down: closing stops the reconnection attempts as well.
    await redis.stop();
    const down = childBroker(redis.url, prefix, 'down');
    await until(() => down.events.some((event) => event.type === 'error'), 'a refused connection');
    down.subscribe('chat');
    await down.close();
    expect(await down.exited).toBe(0);
  });

  it('after close(): publish, subscribe and a second close() are harmless; start() is refused', async () => {
    redis = await startRedis();
    const broker = redisBroker({ url: redis.url });
    broker.start(() => undefined);
    await until(() => broker.stats.connected, 'the broker to connect');
    await broker.close();
    expect(broker.stats.connected).toBe(false);
    broker.subscribe('late');
    broker.publish({ topic: 'late', data: new Uint8Array([1]), binary: true });
    expect(broker.stats.droppedOffline).toBe(1);
    expect(await channels(redis.port)).toEqual([]);
    await broker.close();
    expect(() => broker.start(() => undefined)).toThrow(/start\(\) was already called/);
    const closedFirst = redisBroker({ url: redis.url });
    await closedFirst.close();
    expect(() => closedFirst.start(() => undefined)).toThrow(/after close\(\)/);
  });
});
