/**
 * Delivery between brokers through a real redis-server: brokers in this process and in child
 * processes, called through the TopicBroker contract as the server will call them.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../src/index.js';
import { type ChildBroker, childBroker, type LocalBroker, localBroker, subscribers, until } from './helpers/brokers.js';
import { type RedisServer, startRedis } from './helpers/redis-server.js';
import { channels, command } from './helpers/resp.js';

let redis: RedisServer;
const open: Array<LocalBroker | ChildBroker> = [];
let prefixCount = 0;
/** A prefix of its own for each test, so that the tests share one Redis without hearing each other. */
let prefix: string;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((broker) => broker.close()));
});

function local(options: { prefix?: string } = {}): LocalBroker {
  const broker = localBroker({ url: redis.url, prefix, ...options });
  open.push(broker);
  return broker;
}

function child(name: string): ChildBroker {
  const broker = childBroker(redis.url, prefix, name);
  open.push(broker);
  return broker;
}

async function connected(...brokers: Array<LocalBroker | ChildBroker>): Promise<void> {
  for (const broker of brokers) await until(async () => (await broker.stats()).connected, 'the broker to connect');
}

describe('delivery between processes', () => {
  it('reaches every other subscribed broker exactly once, in publish order per publisher, never the publisher', async () => {
    prefix = `t${prefixCount++}:`;
    const a = local();
    const b = local();
    const c = child('C');
    await connected(a, b, c);
    for (const broker of [a, b, c]) broker.subscribe('chat');
    await until(async () => (await subscribers(redis.port, `${prefix}chat`)) === 3, 'three subscriptions');

    const count = 300;
    // Interleaved: each publisher in bursts, all three at once.
    for (let from = 0; from < count; from += 50) {
      a.sequence('chat', 'A', from, 50);
      b.sequence('chat', 'B', from, 50);
      c.sequence('chat', 'C', from, 50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // A last message per publisher: once each broker has the others' last ones, everything before
    // them has arrived (order per publisher), duplicates included.
    for (const [broker, name] of [
      [a, 'A'],
      [b, 'B'],
      [c, 'C'],
    ] as const) {
      broker.sequence('chat', name, count, 1);
    }
    const expected = (name: string): string[] => Array.from({ length: count + 1 }, (_, i) => `${name}:${i}`);
    for (const [broker, own] of [
      [a, 'A'],
      [b, 'B'],
      [c, 'C'],
    ] as const) {
      const others = ['A', 'B', 'C'].filter((name) => name !== own);
      await until(
        () => others.every((name) => broker.texts('chat').includes(`${name}:${count}`)),
        `${own} to receive the others' last messages`,
      );
      const texts = broker.texts('chat');
      for (const name of others) expect(texts.filter((text) => text.startsWith(`${name}:`))).toEqual(expected(name));
      expect(texts.filter((text) => text.startsWith(`${own}:`))).toEqual([]);
      expect(texts).toHaveLength(2 * (count + 1));
    }
    const stats = await a.stats();
    expect(stats).toMatchObject({
      published: count + 1,
      delivered: 2 * (count + 1),
      garbled: 0,
      droppedOffline: 0,
      lostInFlight: 0,
    });
  });

  it('delivers only the topics a broker is subscribed to, under the configured prefix', async () => {
    prefix = `t${prefixCount++}:`;
    const a = local();
    const b = local();
    await connected(a, b);
    a.subscribe('news');
    a.subscribe('sport');
    await until(async () => (await channels(redis.port, `${prefix}*`)).length === 2, 'two channels');
    expect(await channels(redis.port, `${prefix}*`)).toEqual([`${prefix}news`, `${prefix}sport`]);
    b.publishText('weather', 'not subscribed');
    b.publishText('sport', 'goal');
    b.publishText('news', 'headline');
    await until(() => a.received.length === 2, 'two messages');
    expect(a.received.map((message) => [message.topic, message.data.toString()])).toEqual([
      ['sport', 'goal'],
      ['news', 'headline'],
    ]);
  });

  it('holds a Redis subscription exactly while the server has the topic subscribed, batching the changes of one tick', async () => {
    prefix = `t${prefixCount++}:`;
    const a = local();
    const b = local();
    await connected(a, b);
    const current = () => channels(redis.port, `${prefix}*`);
    a.subscribe('x');
    a.subscribe('y');
    a.subscribe('z');
    await until(async () => (await current()).length === 3, 'three channels');
    expect(await current()).toEqual([`${prefix}x`, `${prefix}y`, `${prefix}z`]);

    a.unsubscribe('x');
    await until(async () => (await current()).length === 2, 'x unsubscribed');
    expect(await current()).toEqual([`${prefix}y`, `${prefix}z`]);

    // Gone and back within one tick: the subscription stays; back and gone: it never appears.
    a.unsubscribe('y');
    a.subscribe('y');
    a.subscribe('w');
    a.unsubscribe('w');
    a.unsubscribe('z');
    await until(async () => (await current()).length === 1, 'z unsubscribed');
    expect(await current()).toEqual([`${prefix}y`]);

    // No message of an unsubscribed topic reaches the server; the subscribed one still does.
    b.publishText('x', 'late for x');
    b.publishText('z', 'late for z');
    b.publishText('y', 'for y');
    await until(() => a.received.length >= 1, 'the message for y');
    expect(a.received.map((message) => message.topic)).toEqual(['y']);

    a.unsubscribe('y');
    await until(async () => (await current()).length === 0, 'no channels');
    expect((await a.stats()).topics).toBe(0);
  });

  it('carries text and binary payloads byte for byte: empty, non-ASCII, 1 MiB', async () => {
    prefix = `t${prefixCount++}:`;
    const a = local();
    const c = child('C');
    await connected(a, c);
    a.subscribe('bytes');
    c.subscribe('bytes');
    await until(async () => (await subscribers(redis.port, `${prefix}bytes`)) === 2, 'two subscriptions');
    const mebibyte = randomBytes(1024 * 1024);
    const longText = 'ü€𝄞'.repeat(100_000);
    const payloads: Array<{ binary: boolean; data: Buffer }> = [
      { binary: false, data: Buffer.alloc(0) },
      { binary: true, data: Buffer.alloc(0) },
      { binary: false, data: Buffer.from('héllo ✓ 𝄞', 'utf8') },
      // Bytes that look like a header: the payload is opaque after the real one.
      { binary: true, data: Buffer.from([0x77, 0x01, 0x00, 0xff, 0x00]) },
      { binary: true, data: mebibyte },
      { binary: false, data: Buffer.from(longText, 'utf8') },
    ];
    for (const { binary, data } of payloads) {
      if (binary) a.publishBinary('bytes', data);
      else a.publishText('bytes', data.toString('utf8'));
    }
    for (const { binary, data } of payloads) {
      if (binary) c.publishBinary('bytes', data);
      else c.publishText('bytes', data.toString('utf8'));
    }
    await until(() => c.received.length === payloads.length && a.received.length === payloads.length, 'every payload both ways');
    for (const received of [a.received, c.received]) {
      expect(received.map((message) => message.binary)).toEqual(payloads.map((payload) => payload.binary));
      received.forEach((message, i) => {
        expect(message.topic).toBe('bytes');
        expect(message.data.equals(payloads[i]!.data), `payload ${i}`).toBe(true);
      });
    }
  });

  it('counts and drops garbled messages on its channels, and goes on delivering', async () => {
    prefix = `t${prefixCount++}:`;
    const a = local();
    const b = local();
    await connected(a, b);
    a.subscribe('chat');
    await until(async () => (await subscribers(redis.port, `${prefix}chat`)) === 1, 'the subscription');
    const origin = randomBytes(8);
    const valid = encodeMessage(origin, Buffer.from('fine'), false);
    const garbled = [
      Buffer.alloc(0),
      Buffer.from('plain text someone published'),
      Buffer.from([0x77, 0x01]),
      Buffer.concat([Buffer.from([0x77, 0x02, 0x00]), origin, Buffer.from('from a future version')]),
      Buffer.concat([Buffer.from([0x77, 0x01, 0x80]), origin, Buffer.from('reserved flag')]),
      Buffer.concat([Buffer.from([0x77, 0x01, 0x00]), origin, Buffer.from([0xc3, 0x28])]),
    ];
    for (const payload of garbled) await command(redis.port, ['PUBLISH', `${prefix}chat`, payload]);
    await command(redis.port, ['PUBLISH', `${prefix}chat`, valid]);
    await until(() => a.received.length === 1, 'the valid message');
    expect(a.received[0]).toEqual({ topic: 'chat', binary: false, data: Buffer.from('fine') });
    expect((await a.stats()).garbled).toBe(garbled.length);
    b.publishText('chat', 'still working');
    await until(() => a.received.length === 2, 'a message after the garbled ones');
    expect(a.texts('chat')).toEqual(['fine', 'still working']);
  });

  it('catches what deliver and onEvent throw, and counts it', async () => {
    prefix = `t${prefixCount++}:`;
    const { redisBroker } = await import('../src/index.js');
    const throwing = redisBroker({
      url: redis.url,
      prefix,
      onEvent: () => {
        throw new Error('onEvent bug');
      },
    });
    let calls = 0;
    throwing.start(() => {
      calls++;
      throw new Error('deliver bug');
    });
    try {
      const b = local();
      await connected(b);
      await until(() => throwing.stats.connected, 'the throwing broker to connect');
      throwing.subscribe('chat');
      await until(async () => (await subscribers(redis.port, `${prefix}chat`)) === 1, 'the subscription');
      b.publishText('chat', 'one');
      b.publishText('chat', 'two');
      await until(() => throwing.stats.deliverErrors === 2, 'two deliver errors');
      expect(calls).toBe(2);
      expect(throwing.stats.delivered).toBe(0);
    } finally {
      await throwing.close();
    }
  });
});
