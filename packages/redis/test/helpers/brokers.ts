/**
 * Brokers as the tests drive them: in this process (the test is the server, collecting what the
 * broker delivers) and in a child process (test/fixtures/broker-child.mjs, over JSON lines).
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BrokerMessage } from '@wsts/server';
import {
  type RedisBroker,
  type RedisBrokerEvent,
  type RedisBrokerOptions,
  type RedisBrokerStats,
  redisBroker,
} from '../../src/index.js';
import { command } from './resp.js';

/** Polls `check` until it is true; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many connections subscribe to `channel` now (`PUBSUB NUMSUB`). */
export async function subscribers(port: number, channel: string): Promise<number> {
  const reply = (await command(port, ['PUBSUB', 'NUMSUB', channel])) as [Buffer, number];
  return reply[1];
}

/** A delivered message in a comparable shape. */
export interface Received {
  topic: string;
  binary: boolean;
  data: Buffer;
}

export interface LocalBroker {
  readonly broker: RedisBroker;
  readonly received: Received[];
  readonly events: RedisBrokerEvent[];
  /** The texts received on `topic`, in order. */
  texts(topic: string): string[];
  stats(): Promise<RedisBrokerStats>;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publishText(topic: string, text: string): void;
  publishBinary(topic: string, data: Uint8Array): void;
  /** Publishes `${name}:${i}` for i in [from, from + count). */
  sequence(topic: string, name: string, from: number, count: number): void;
  close(): Promise<void>;
}

/** Fast reconnection, so that the fault tests do not wait on the production defaults. */
export const TEST_TIMING = { reconnectDelay: 20, maxReconnectDelay: 200 } as const;

/** A started broker in this process. */
export function localBroker(options: RedisBrokerOptions): LocalBroker {
  const received: Received[] = [];
  const events: RedisBrokerEvent[] = [];
  const broker = redisBroker({ ...TEST_TIMING, onEvent: (event) => events.push(event), ...options });
  broker.start((message: BrokerMessage) => {
    // Copy: the broker hands out a view into the bytes Redis delivered.
    received.push({ topic: message.topic, binary: message.binary, data: Buffer.from(message.data) });
  });
  return {
    broker,
    received,
    events,
    texts: (topic) => received.filter((message) => message.topic === topic).map((message) => message.data.toString('utf8')),
    stats: async () => broker.stats,
    subscribe: (topic) => broker.subscribe(topic),
    unsubscribe: (topic) => broker.unsubscribe(topic),
    publishText: (topic, text) => broker.publish({ topic, data: Buffer.from(text, 'utf8'), binary: false }),
    publishBinary: (topic, data) => broker.publish({ topic, data, binary: true }),
    sequence(topic, name, from, count) {
      for (let i = from; i < from + count; i++) broker.publish({ topic, data: Buffer.from(`${name}:${i}`), binary: false });
    },
    close: () => broker.close(),
  };
}

export interface ChildBroker extends Omit<LocalBroker, 'broker' | 'events'> {
  readonly process: ChildProcess;
  readonly events: { type: string; connection: string }[];
  /** Resolves with the exit code once the process has exited (by itself, after close()). */
  readonly exited: Promise<number | null>;
}

const CHILD = fileURLToPath(new URL('../fixtures/broker-child.mjs', import.meta.url));

/** A started broker in a child process, named `name` in the sequences it publishes. */
export function childBroker(url: string, prefix: string, name: string): ChildBroker {
  const child = spawn(process.execPath, [CHILD, url, prefix, name], { stdio: ['pipe', 'pipe', 'inherit'] });
  const received: Received[] = [];
  const events: { type: string; connection: string }[] = [];
  let statsWaiter: ((stats: RedisBrokerStats) => void) | undefined;
  let closedWaiter: (() => void) | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    if (message['ev'] === 'deliver') {
      received.push({
        topic: message['topic'] as string,
        binary: message['binary'] as boolean,
        data: Buffer.from(message['base64'] as string, 'base64'),
      });
    } else if (message['ev'] === 'event')
      events.push({ type: message['type'] as string, connection: message['connection'] as string });
    else if (message['ev'] === 'stats') statsWaiter?.(message['stats'] as RedisBrokerStats);
    else if (message['ev'] === 'closed') closedWaiter?.();
  });
  const send = (object: object): void => {
    child.stdin!.write(`${JSON.stringify(object)}\n`);
  };
  send({ op: 'start' });
  return {
    process: child,
    received,
    events,
    exited,
    texts: (topic) => received.filter((message) => message.topic === topic).map((message) => message.data.toString('utf8')),
    stats: () =>
      new Promise((resolve) => {
        statsWaiter = resolve;
        send({ op: 'stats' });
      }),
    subscribe: (topic) => send({ op: 'subscribe', topic }),
    unsubscribe: (topic) => send({ op: 'unsubscribe', topic }),
    publishText: (topic, text) => send({ op: 'publish', topic, text }),
    publishBinary: (topic, data) => send({ op: 'publish', topic, base64: Buffer.from(data).toString('base64') }),
    sequence: (topic, _name, from, count) => send({ op: 'sequence', topic, from, count }),
    close: () =>
      new Promise((resolve) => {
        closedWaiter = resolve;
        send({ op: 'close' });
      }),
  };
}
