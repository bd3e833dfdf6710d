/**
 * The TopicBroker contract, exercised with a small in-memory broker: a real implementation of the
 * contract (a bus linking brokers, each delivering only topics it subscribed to and never back to the
 * process that published), linking two WebSocketServers in this process.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BrokerMessage, TopicBroker, WebSocketConnection, WebSocketServer } from '../src/index.js';
import { startServer, within } from './helpers/servers.js';

/** Brokers on one bus see each other's publishes, as processes on one Redis would. */
class Bus {
  readonly brokers = new Set<MemoryBroker>();
}

class MemoryBroker implements TopicBroker {
  /** Every call the server made, in order, for the tests to read. */
  readonly calls: string[] = [];
  private readonly topics = new Set<string>();
  private deliver: ((message: BrokerMessage) => void) | undefined;
  private closed = false;

  constructor(private readonly bus: Bus) {
    bus.brokers.add(this);
  }

  start(deliver: (message: BrokerMessage) => void): void {
    this.calls.push('start');
    if (this.deliver !== undefined) throw new Error('started twice');
    this.deliver = deliver;
  }

  subscribe(topic: string): void {
    this.calls.push(`subscribe ${topic}`);
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.calls.push(`unsubscribe ${topic}`);
    this.topics.delete(topic);
  }

  publish(message: BrokerMessage): void {
    this.calls.push(`publish ${message.topic}`);
    if (this.closed) throw new Error('publish after close');
    // Copied as it would be on a wire, delivered on a later tick, in publish order.
    const copy: BrokerMessage = { topic: message.topic, data: Uint8Array.from(message.data), binary: message.binary };
    for (const other of this.bus.brokers) {
      if (other !== this) setImmediate(() => other.receive(copy));
    }
  }

  async close(): Promise<void> {
    this.calls.push('close');
    this.closed = true;
    this.bus.brokers.delete(this);
  }

  /** A message from another process: delivered only for topics this broker subscribed to. */
  receive(message: BrokerMessage): void {
    if (this.topics.has(message.topic)) this.deliver?.(message);
  }

  /** For tests: delivers as if the bus did, even after close (the server must ignore it then). */
  inject(message: BrokerMessage): void {
    this.deliver?.(message);
  }
}

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await Promise.all(servers.splice(0).map((wss) => wss.close({ timeout: 0 })));
});

async function linkedServer(bus: Bus) {
  const broker = new MemoryBroker(bus);
  const started = await startServer({ heartbeatInterval: 0, broker });
  servers.push(started.wss);
  const opened: WebSocketConnection[] = [];
  started.wss.on('connection', (connection, request) => {
    const topics = new URL(request.url ?? '/', 'http://x').searchParams.get('topics');
    for (const topic of topics ? topics.split(',') : []) connection.subscribe(topic);
    opened.push(connection);
  });
  return { ...started, broker, opened };
}

async function subscriber(url: string, topics: string) {
  const client = new WebSocket(`${url}/?topics=${topics}`);
  clients.push(client);
  const received: string[] = [];
  client.on('message', (data: Buffer, isBinary: boolean) =>
    received.push(isBinary ? `bin:${data.toString('hex')}` : data.toString()),
  );
  await within(once(client, 'open'), 5000, 'open');
  return { client, received };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

describe('topics across servers through a broker', () => {
  it('tells the broker of first and last local subscribers only, reference counted across connections', async () => {
    const bus = new Bus();
    const a = await linkedServer(bus);
    expect(a.broker.calls).toEqual(['start']);
    const one = await subscriber(a.url, 'news,sport');
    const two = await subscriber(a.url, 'news');
    await until(() => a.opened.length === 2, 'connections');
    expect(a.broker.calls).toEqual(['start', 'subscribe news', 'subscribe sport']);
    expect(a.opened[1]!.unsubscribe('news')).toBe(true);
    expect(a.broker.calls).toHaveLength(3); // 'news' still has a subscriber
    expect(a.opened[1]!.subscribe('news')).toBe(true);
    expect(a.broker.calls).toHaveLength(3);
    one.client.close();
    await until(() => a.wss.subscriberCount('sport') === 0, 'first client gone');
    expect(a.broker.calls.slice(3)).toEqual(['unsubscribe sport']);
    two.client.close();
    await until(() => a.wss.topics.length === 0, 'second client gone');
    expect(a.broker.calls.slice(3)).toEqual(['unsubscribe sport', 'unsubscribe news']);
  });

  it('fans a publish out to both servers, once each, never echoed back; connection.publish excludes only its sender', async () => {
    const bus = new Bus();
    const a = await linkedServer(bus);
    const b = await linkedServer(bus);
    const onA = await subscriber(a.url, 'chat');
    const onB1 = await subscriber(b.url, 'chat');
    const onB2 = await subscriber(b.url, 'chat,other');
    const notOnB = await subscriber(b.url, 'other');
    await until(() => a.opened.length === 1 && b.opened.length === 3, 'connections');

    expect(a.wss.publish('chat', 'from server a')).toEqual({ delivered: 1, skipped: 0, closed: 0 });
    expect(b.wss.publish('chat', Uint8Array.of(0xb))).toEqual({ delivered: 2, skipped: 0, closed: 0 });
    // From the client on A: not back to it, but to B's subscribers.
    expect(a.opened[0]!.publish('chat', 'from a client')).toEqual({ delivered: 0, skipped: 0, closed: 0 });
    // From a client on B: the other on B, and A's.
    expect(b.opened[1]!.publish('chat', 'from b2')).toEqual({ delivered: 1, skipped: 0, closed: 0 });

    await until(() => onA.received.length >= 3 && onB1.received.length >= 4 && onB2.received.length >= 3, 'deliveries');
    await settle(); // anything echoed would have arrived by now
    // Order is kept per publishing process; local and remote messages interleave as they arrive.
    const fromA = ['from server a', 'from a client'];
    const fromB = ['bin:0b', 'from b2'];
    const only = (list: string[], of: string[]): string[] => list.filter((m) => of.includes(m));
    expect(onA.received).toEqual(['from server a', ...fromB]);
    expect(only(onB1.received, fromA)).toEqual(fromA);
    expect(only(onB1.received, fromB)).toEqual(fromB);
    expect(onB1.received).toHaveLength(4);
    expect(only(onB2.received, fromA)).toEqual(fromA);
    expect(onB2.received.sort()).toEqual(['bin:0b', 'from a client', 'from server a']);
    expect(notOnB.received).toEqual([]);
    // Every local publish went to the broker once; none that came through it went back.
    expect(a.broker.calls.filter((c) => c.startsWith('publish'))).toHaveLength(2);
    expect(b.broker.calls.filter((c) => c.startsWith('publish'))).toHaveLength(2);
  });

  it("closes the broker from the server's close(), after the last unsubscribe; what arrives later is ignored", async () => {
    const bus = new Bus();
    const a = await linkedServer(bus);
    await subscriber(a.url, 'news');
    await until(() => a.opened.length === 1, 'connection');
    const report = await a.wss.close({ timeout: 1000 });
    servers.splice(servers.indexOf(a.wss), 1);
    expect(report).toEqual({ clean: 1, terminated: 0 });
    expect(a.broker.calls).toEqual(['start', 'subscribe news', 'unsubscribe news', 'close']);
    // A late delivery, and a publish on the closed server, reach no broker and no one.
    a.broker.inject({ topic: 'news', data: Buffer.from('late'), binary: false });
    expect(a.wss.publish('news', 'after close')).toEqual({ delivered: 0, skipped: 0, closed: 0 });
    expect(a.broker.calls.at(-1)).toBe('close');
  });

  it("reports a throwing broker on the server's 'error', never to the publisher", async () => {
    const bus = new Bus();
    const a = await linkedServer(bus);
    const errors: Error[] = [];
    a.wss.on('error', (error) => errors.push(error));
    a.broker.publish = () => {
      throw new Error('transport down');
    };
    const sub = await subscriber(a.url, 'news');
    await until(() => a.opened.length === 1, 'connection');
    expect(a.wss.publish('news', 'still local')).toEqual({ delivered: 1, skipped: 0, closed: 0 });
    expect(errors.map((e) => e.message)).toEqual(['transport down']);
    await until(() => sub.received.length === 1, 'local delivery');
  });
});
