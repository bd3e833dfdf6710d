/**
 * WebSocket servers with a Redis broker, each in a child process (test/fixtures/topic-server.mjs),
 * and clients of two kinds (`ws` and @wsts/server's own) that record what they receive.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RedisBrokerStats } from '../../src/index.js';
import { connect } from '@wsts/server';
import WebSocket from 'ws';

const FIXTURE = fileURLToPath(new URL('../fixtures/topic-server.mjs', import.meta.url));

/** What a server process reports about itself. */
export interface ServerStats {
  broker: RedisBrokerStats;
  /** The server's `memory` report (bytes). */
  memory: { used: number; outgoing: number; incoming: number; connections: number };
  subscribers: Record<string, number>;
  /** Published messages its subscribers missed for being past publishHighWaterMark. */
  skipped: number;
  clients: number;
}

export interface TopicServer {
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** server.publish of `${name}:${i}` for i in [from, from + count), padded to `size` bytes; resolves once done. */
  publish(topic: string, from: number, count: number, size?: number): Promise<void>;
  /** One server.publish every `interval` ms, `count` in all; resolves after the last. */
  tick(topic: string, count: number, interval: number): Promise<void>;
  stats(): Promise<ServerStats>;
  /** server.close(), then waits for the process to exit by itself; resolves with its exit code. */
  close(): Promise<number | null>;
}

const live = new Set<ChildProcess>();
/** Kills any server process a failed test left behind. */
export function killServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Starts a server process named `name` on Redis `url` with channel prefix `prefix`. */
export async function startTopicServer(
  url: string,
  prefix: string,
  name: string,
  highWaterMark = 1024 * 1024,
): Promise<TopicServer> {
  const child = spawn(process.execPath, [FIXTURE, url, prefix, name, String(highWaterMark)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  // Replies of one kind come in the order of the requests: a queue of waiters per kind.
  const waiters = new Map<string, ((message: Record<string, unknown>) => void)[]>();
  const next = (ev: string, timeoutMs = 20_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no "${ev}" within ${timeoutMs} ms`)), timeoutMs);
      let queue = waiters.get(ev);
      if (queue === undefined) waiters.set(ev, (queue = []));
      queue.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    waiters.get(message['ev'] as string)?.shift()?.(message);
  });
  const listening = await next('listening', 10_000);
  const send = (object: object): void => void child.stdin!.write(`${JSON.stringify(object)}\n`);
  return {
    name,
    port: listening['port'] as number,
    process: child,
    async publish(topic, from, count, size) {
      const done = next('published');
      send({ op: 'publish', topic, from, count, size });
      await done;
    },
    async tick(topic, count, interval) {
      const done = next('ticked', count * interval + 20_000);
      send({ op: 'tick', topic, count, interval });
      await done;
    },
    async stats() {
      const reply = next('stats');
      send({ op: 'stats' });
      return (await reply) as unknown as ServerStats;
    },
    async close() {
      const closed = next('closed');
      send({ op: 'close' });
      await closed;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A client subscribed to some topics of one server, recording every text message it receives. */
export interface TopicClient {
  readonly id: string;
  readonly kind: 'ws' | 'wsts';
  readonly server: TopicServer;
  readonly topics: readonly string[];
  /** Every message received, as `[topic-independent text]`, in arrival order. */
  readonly received: string[];
  /** Publishes `text` on `topic` through the server's connection.publish. */
  send(topic: string, text: string): void;
  close(): Promise<void>;
}

/** Connects a client of `kind` to `server`, subscribed to `topics`. */
export async function connectClient(
  id: string,
  kind: 'ws' | 'wsts',
  server: TopicServer,
  topics: readonly string[],
): Promise<TopicClient> {
  const url = `ws://127.0.0.1:${server.port}/?topics=${topics.join(',')}`;
  const received: string[] = [];
  if (kind === 'ws') {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('message', (data: Buffer) => received.push(data.toString()));
    await within(once(socket, 'open'), 10_000, `${id} open`);
    return {
      id,
      kind,
      server,
      topics,
      received,
      send: (topic, text) => socket.send(JSON.stringify({ topic, text })),
      async close() {
        if (socket.readyState === WebSocket.CLOSED) return;
        const closed = once(socket, 'close');
        socket.close(1000);
        await within(closed, 5_000, `${id} close`).catch(() => socket.terminate());
      },
    };
  }
  const connection = await connect(url, { handshakeTimeout: 10_000, perMessageDeflate: false });
  connection.on('message', (data: Buffer) => received.push(data.toString()));
  return {
    id,
    kind,
    server,
    topics,
    received,
    send: (topic, text) => void connection.send(JSON.stringify({ topic, text })),
    async close() {
      if (connection.state === 'closed') return;
      const closed = once(connection, 'close');
      connection.close(1000);
      await within(closed, 5_000, `${id} close`).catch(() => connection.terminate());
    },
  };
}

/** Rejects after `ms` with `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `received` grouped by publisher (the part before the first ":"), each list of sequence numbers in arrival order. */
export function byPublisher(received: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const text of received) {
    const colon = text.indexOf(':');
    const publisher = text.slice(0, colon);
    const sequence = Number.parseInt(text.slice(colon + 1), 10);
    let list = groups.get(publisher);
    if (list === undefined) groups.set(publisher, (list = []));
    list.push(sequence);
  }
  return groups;
}

/** [0, 1, ..., count - 1] */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
