/**
 * Topics on real sockets: subscriptions and their end, publish from the server and from a connection
 * (which excludes itself) to `ws` clients, our own clients and hand-read raw sockets, the same bytes for
 * every subscriber, and a subscriber that never reads: skipped or closed, never slowing the others, with
 * what it holds counted by the memory budget.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerExtensionNegotiator } from '@wsts/protocol';
import WebSocket from 'ws';
import {
  ConnectionError,
  connect,
  type PublishReport,
  type WebSocketConnection,
  WebSocketServer,
  type WebSocketServerOptions,
} from '../src/index.js';
import { parseServerFrames, rawRequest, upgradeRequest } from './helpers/raw.js';
import { closeOf, startServer, within } from './helpers/servers.js';
import { recordWrites } from './helpers/socket-writes.js';

const servers: WebSocketServer[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(servers.splice(0).map((wss) => wss.close({ timeout: 0 })));
});

/**
 * A server whose connections subscribe to the topics named in their URL's query (`?topics=a,b`), and
 * which hands out its server-side connections in arrival order.
 */
async function topicServer(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {}) {
  const started = await startServer({ heartbeatInterval: 0, ...options });
  servers.push(started.wss);
  const opened: WebSocketConnection[] = [];
  const waiting: ((connection: WebSocketConnection) => void)[] = [];
  started.wss.on('connection', (connection, request) => {
    const topics = new URL(request.url ?? '/', 'http://x').searchParams.get('topics');
    for (const topic of topics ? topics.split(',') : []) connection.subscribe(topic);
    const next = waiting.shift();
    if (next) next(connection);
    else opened.push(connection);
  });
  /** The server side of the next connection to open. */
  const serverSide = (): Promise<WebSocketConnection> => {
    const ready = opened.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  return { ...started, serverSide };
}

/** A `ws` client that records what it receives. */
async function wsClient(url: string, options: WebSocket.ClientOptions = {}) {
  const client = new WebSocket(url, options);
  const received: string[] = [];
  client.on('message', (data: Buffer, isBinary: boolean) =>
    received.push(isBinary ? `bin:${data.toString('hex')}` : data.toString()),
  );
  await within(once(client, 'open'), 5000, 'ws open');
  cleanups.push(() => client.terminate());
  return { client, received };
}

/** Our own client, recording what it receives. */
async function ourClient(url: string) {
  const connection = await connect(url, { perMessageDeflate: false });
  const received: string[] = [];
  connection.on('message', (data, isBinary) => received.push(isBinary ? `bin:${data.toString('hex')}` : data.toString()));
  cleanups.push(() => connection.terminate());
  return { connection, received };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An upgraded raw socket (no extensions) whose bytes after the 101 are collected. */
async function rawSubscriber(port: number, topics: string) {
  const response = await rawRequest(port, upgradeRequest(port, {}, 'GET', `/?topics=${topics}`));
  expect(response.status).toBe(101);
  const socket: Socket = response.socket;
  cleanups.push(() => socket.destroy());
  const chunks: Buffer[] = [response.rest];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { socket, bytes: () => Buffer.concat(chunks) };
}

describe('topics: the write per subscriber', () => {
  it('subscribers that took the same publishes in a tick are written the same buffer, once each; a send of its own keeps its place', async () => {
    const { wss, url, serverSide } = await topicServer();
    const clients: Awaited<ReturnType<typeof wsClient>>[] = [];
    const sides: WebSocketConnection[] = [];
    for (let i = 0; i < 3; i++) {
      clients.push(await wsClient(`${url}?topics=room`));
      sides.push(await serverSide());
    }
    // What each server-side socket is asked to write (the socket still writes it).
    const written = sides.map(recordWrites);
    wss.publish('room', 'one');
    void sides[1]!.send('own');
    wss.publish('room', 'two');
    wss.publish('room', 'three');
    await until(() => clients.every((c) => c.received.length >= 3) && clients[1]!.received.length === 4, 'deliveries');
    expect(clients[0]!.received).toEqual(['one', 'two', 'three']);
    expect(clients[1]!.received).toEqual(['one', 'own', 'two', 'three']);
    expect(clients[2]!.received).toEqual(['one', 'two', 'three']);
    // One write per subscriber for the whole tick; the first and the third share the very same buffer.
    expect(written.map((w) => w.length)).toEqual([1, 1, 1]);
    expect(written[2]![0]).toBe(written[0]![0]);
    expect(written[1]![0]).not.toBe(written[0]![0]);
    expect(written[0]![0]!.length).toBe(3 * 2 + 'onetwothree'.length);
  });
});

describe('topics: the API', () => {
  it('subscribe, unsubscribe, isSubscribed, topics and subscriberCount; leaving ends every subscription', async () => {
    const { wss, url, serverSide } = await topicServer();
    const { client } = await wsClient(url);
    const connection = await serverSide();
    expect(connection.topics).toEqual([]);
    expect(connection.subscribe('news')).toBe(true);
    expect(connection.subscribe('news')).toBe(false);
    expect(connection.subscribe('sport')).toBe(true);
    expect(connection.isSubscribed('news')).toBe(true);
    expect(connection.isSubscribed('weather')).toBe(false);
    expect([...connection.topics].sort()).toEqual(['news', 'sport']);
    expect(Object.isFrozen(connection.topics)).toBe(true);
    expect(wss.subscriberCount('news')).toBe(1);
    expect(wss.topics.sort()).toEqual(['news', 'sport']);
    expect(connection.unsubscribe('sport')).toBe(true);
    expect(connection.unsubscribe('sport')).toBe(false);
    expect(wss.topics).toEqual(['news']);

    const closed = closeOf(connection);
    client.close(1000);
    await within(closed, 5000, 'close');
    expect(wss.subscriberCount('news')).toBe(0);
    expect(wss.topics).toEqual([]);
    expect(connection.topics).toEqual([]);
    // A closed connection subscribes to nothing (nothing would ever remove it).
    expect(connection.subscribe('news')).toBe(false);
    expect(wss.subscriberCount('news')).toBe(0);
    expect(wss.publish('news', 'anyone?')).toEqual({ delivered: 0, skipped: 0, closed: 0 });
  });

  it('refuses what is not a topic, not data, not an option, and connections without a server', async () => {
    const { wss, url, serverSide } = await topicServer({ maxTopicLength: 8 });
    const client = await ourClient(url);
    const connection = await serverSide();
    expect(() => connection.subscribe(42 as unknown as string)).toThrow(TypeError);
    expect(() => connection.subscribe(undefined as unknown as string)).toThrow(/a topic is a string/);
    expect(() => connection.subscribe('123456789')).toThrow(RangeError);
    expect(connection.subscribe('12345678')).toBe(true);
    expect(() => wss.publish('t', null as unknown as string)).toThrow(/publish\(\) takes a string/);
    expect(() => wss.publish('t', {} as unknown as string)).toThrow(TypeError);
    expect(() => wss.publish('t', 'x', { compress: true } as object)).toThrow(/unknown publish\(\) option "compress"/);
    expect(() => connection.publish('t', 'x', { fin: true } as object)).toThrow(TypeError);
    expect(() => wss.subscriberCount(7 as unknown as string)).toThrow(TypeError);
    // A client's connection has no server, so no topics.
    expect(() => client.connection.subscribe('news')).toThrow(/only connections opened by a WebSocketServer/);
    expect(() => client.connection.publish('news', 'x')).toThrow(TypeError);
    expect(client.connection.topics).toEqual([]);
  });

  it('checks the topic options', () => {
    expect(() => new WebSocketServer({ noServer: true, publishOverflow: 'drop' as 'skip' })).toThrow(/publishOverflow/);
    expect(() => new WebSocketServer({ noServer: true, publishHighWaterMark: -1 })).toThrow(RangeError);
    expect(() => new WebSocketServer({ noServer: true, maxTopicLength: 0 })).toThrow(RangeError);
    expect(() => new WebSocketServer({ noServer: true, broker: {} as never })).toThrow(/broker must implement TopicBroker/);
    expect(() => new WebSocketServer({ noServer: true, topics: true } as never)).toThrow(/unknown option "topics"/);
  });
});

describe('topics: fan-out', () => {
  it('reaches every subscriber of a topic, ws clients and ours, text and binary; connection.publish skips its sender', async () => {
    const { wss, url, serverSide } = await topicServer();
    const a1 = await wsClient(`${url}/?topics=a`);
    const a1Side = await serverSide();
    const a2 = await wsClient(`${url}/?topics=a,b`, { perMessageDeflate: false });
    await serverSide();
    const b1 = await wsClient(`${url}/?topics=b`);
    await serverSide();
    const ours: Awaited<ReturnType<typeof ourClient>>[] = [];
    for (const topics of ['a', 'a', 'b', 'a,b']) {
      ours.push(await ourClient(`${url}/?topics=${topics}`));
      await serverSide();
    }
    const none = await wsClient(`${url}/?topics=`);
    await serverSide();
    expect(wss.subscriberCount('a')).toBe(5);
    expect(wss.subscriberCount('b')).toBe(4);

    expect(wss.publish('a', 'to a')).toEqual({ delivered: 5, skipped: 0, closed: 0 });
    expect(wss.publish('b', Uint8Array.of(1, 2, 3))).toEqual({ delivered: 4, skipped: 0, closed: 0 });
    expect(wss.publish('b', 'bytes as text', { binary: false })).toMatchObject({ delivered: 4 });
    expect(wss.publish('a', Buffer.from('text as binary'), { binary: true })).toMatchObject({ delivered: 5 });
    // From a subscriber of 'a': everyone on 'a' but itself.
    expect(a1Side.publish('a', 'from a1')).toEqual({ delivered: 4, skipped: 0, closed: 0 });
    expect(wss.publish('nobody', 'lost')).toEqual({ delivered: 0, skipped: 0, closed: 0 });

    const onA = ['to a', `bin:${Buffer.from('text as binary').toString('hex')}`];
    const onB = ['bin:010203', 'bytes as text'];
    await until(() => ours.every((c) => c.received.length >= 2) && a2.received.length === 5, 'deliveries');
    await until(() => a1.received.length === 2 && b1.received.length === 2, 'deliveries');
    expect(a1.received).toEqual(onA); // not its own
    expect(a2.received).toEqual(['to a', ...onB, onA[1], 'from a1']);
    expect(b1.received).toEqual(onB);
    expect(ours[0]!.received).toEqual([...onA, 'from a1']);
    expect(ours[1]!.received).toEqual([...onA, 'from a1']);
    expect(ours[2]!.received).toEqual(onB);
    expect(ours[3]!.received).toEqual(['to a', ...onB, onA[1], 'from a1']);
    expect(none.received).toEqual([]);
  });

  it('copies the published bytes: changing them after publish changes nothing on the wire', async () => {
    const { wss, url, serverSide } = await topicServer();
    const sub = await wsClient(`${url}/?topics=t`, { perMessageDeflate: false });
    await serverSide();
    const data = Buffer.from('original');
    wss.publish('t', data);
    data.write('CHANGED!');
    await until(() => sub.received.length === 1, 'delivery');
    expect(sub.received).toEqual([`bin:${Buffer.from('original').toString('hex')}`]);
  });

  it('writes the same frame bytes to every raw subscriber, split once by fragmentSize', async () => {
    const { wss, port, serverSide } = await topicServer({ fragmentSize: 4 });
    const subscribers: Awaited<ReturnType<typeof rawSubscriber>>[] = [];
    for (let i = 0; i < 3; i++) {
      subscribers.push(await rawSubscriber(port, 'raw'));
      await serverSide();
    }
    const whole = await rawSubscriber(port, 'short');
    await serverSide();
    expect(wss.publish('raw', 'abcdefghij')).toMatchObject({ delivered: 3 });
    expect(wss.publish('short', 'abc')).toMatchObject({ delivered: 1 });
    // Text "abcd" not final, "efgh" continuation, "ij" final continuation: unmasked, RSV clear.
    const expected = Buffer.concat([
      Buffer.from([0x01, 4]),
      Buffer.from('abcd'),
      Buffer.from([0x00, 4]),
      Buffer.from('efgh'),
      Buffer.from([0x80, 2]),
      Buffer.from('ij'),
    ]);
    await until(() => subscribers.every((s) => s.bytes().length >= expected.length), 'frames');
    for (const subscriber of subscribers) expect(subscriber.bytes().equals(expected)).toBe(true);
    await until(() => whole.bytes().length >= 5, 'frame');
    expect(whole.bytes().equals(Buffer.concat([Buffer.from([0x81, 3]), Buffer.from('abc')]))).toBe(true);
    expect(parseServerFrames(subscribers[0]!.bytes()).frames.map((f) => f.payload.toString())).toEqual(['abcd', 'efgh', 'ij']);
  });
});

describe('topics: a subscriber with an extension of another kind', () => {
  it('gets the message through its own send, so the extension sees it', async () => {
    const seen: string[] = [];
    // A real (if trivial) extension: it tags every outgoing message, which a shared frame would skip.
    const tagging: ServerExtensionNegotiator = {
      name: 'x-tag',
      accept: (offers) =>
        offers.length === 0
          ? undefined
          : {
              response: { name: 'x-tag', params: [] },
              extension: {
                name: 'x-tag',
                rsv1: false,
                encode: (data) => {
                  seen.push(Buffer.from(data).toString());
                  return { data: Buffer.concat([Buffer.from('tagged:'), data]), rsv1: false };
                },
                decode: (fragments) => Buffer.concat(fragments),
                dispose: () => {},
              },
            },
    };
    const { wss, port, serverSide } = await topicServer({ perMessageDeflate: false, extensions: [tagging] });
    const response = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Extensions': 'x-tag' }, 'GET', '/?topics=t'));
    expect(response.headers['sec-websocket-extensions']).toBe('x-tag');
    cleanups.push(() => response.socket.destroy());
    const chunks: Buffer[] = [response.rest];
    response.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await serverSide();
    expect(wss.publish('t', 'hello')).toEqual({ delivered: 1, skipped: 0, closed: 0 });
    await until(() => parseServerFrames(Buffer.concat(chunks)).frames.length === 1, 'frame');
    expect(parseServerFrames(Buffer.concat(chunks)).frames[0]!.payload.toString()).toBe('tagged:hello');
    expect(seen).toEqual(['hello']);
  });
});

describe('topics: a subscriber that does not read', () => {
  const PAYLOAD = 16 * 1024;
  const LIMIT = 64 * 1024;

  /** Publishes one message per turn of the event loop until `stop()` or `max` messages. */
  async function publishUntil(wss: WebSocketServer, stop: (reports: PublishReport[]) => boolean, max: number) {
    const reports: PublishReport[] = [];
    const payload = Buffer.alloc(PAYLOAD, 0x61);
    while (reports.length < max && !stop(reports)) {
      reports.push(wss.publish('feed', payload, { binary: true }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return reports;
  }

  it("'skip': the stalled subscriber misses messages, the reading one gets them all, memory stays bounded", async () => {
    const { wss, port, url, serverSide } = await topicServer({ publishHighWaterMark: LIMIT });
    const stalled = await rawSubscriber(port, 'feed');
    stalled.socket.pause(); // never reads: the kernel buffers fill, then ours
    const stalledSide = await serverSide();
    const reader = await wsClient(`${url}/?topics=feed`, { perMessageDeflate: false });
    await serverSide();
    let maxOutgoing = 0;
    const reports = await publishUntil(
      wss,
      (so) => {
        maxOutgoing = Math.max(maxOutgoing, wss.memory.outgoing);
        // Well past the first skip, so skipping is shown to go on.
        return so.filter((r) => r.skipped > 0).length >= 20;
      },
      4000,
    );
    const skipped = reports.reduce((n, r) => n + r.skipped, 0);
    expect(skipped).toBe(20);
    expect(stalledSide.skippedMessages).toBe(skipped);
    expect(reports.every((r) => r.delivered + r.skipped === 2 && r.closed === 0)).toBe(true);
    await until(() => reader.received.length === reports.length, 'every message at the reader', 10_000);
    // The stalled subscriber is still open, and what it holds stays near the limit: it was counted by the
    // memory budget (which saw it) and never grew past the limit plus one message and write costs.
    expect(stalledSide.state).toBe('open');
    expect(maxOutgoing).toBeGreaterThan(0);
    expect(maxOutgoing).toBeLessThan(LIMIT + 2 * PAYLOAD + 64 * 1024);
  });

  it("'close': the stalled subscriber is closed with 1013 and leaves its topics; the others go on", async () => {
    const { wss, port, url, serverSide } = await topicServer({
      publishHighWaterMark: LIMIT,
      publishOverflow: 'close',
      closeTimeout: 200,
    });
    const stalled = await rawSubscriber(port, 'feed');
    stalled.socket.pause();
    const stalledSide = await serverSide();
    const errors: Error[] = [];
    stalledSide.on('error', (error) => errors.push(error));
    const gone = closeOf(stalledSide);
    const reader = await wsClient(`${url}/?topics=feed`, { perMessageDeflate: false });
    await serverSide();
    const reports = await publishUntil(wss, (so) => so.some((r) => r.closed > 0), 4000);
    expect(reports.at(-1)).toEqual({ delivered: 1, skipped: 1, closed: 1 });
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect((errors[0] as ConnectionError).code).toBe('ERR_PUBLISH_OVERFLOW');
    // It never reads its close frame: closeTimeout destroys it, and it leaves the topic.
    await within(gone, 5000, 'stalled subscriber gone');
    expect(wss.subscriberCount('feed')).toBe(1);
    expect(wss.publish('feed', 'after')).toEqual({ delivered: 1, skipped: 0, closed: 0 });
    await until(() => reader.received.length === reports.length + 1, 'every message at the reader', 10_000);
    expect(reader.received.at(-1)).toBe('after');
  });
});
