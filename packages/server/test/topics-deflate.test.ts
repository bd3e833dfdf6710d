/**
 * Topics with permessage-deflate: subscribers that negotiated server_no_context_takeover share one
 * compression per publish (the same compressed bytes on every socket); those whose compressor keeps its
 * window get the uncompressed frame (RSV1 clear, legal under RFC 7692); small messages are never
 * compressed. Each subscriber keeps publish order (and order with its own sends) while compressions run
 * on the thread pool.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { constants, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, type WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { parseServerFrames, rawRequest, upgradeRequest } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

const servers: WebSocketServer[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(servers.splice(0).map((wss) => wss.close({ timeout: 0 })));
});

async function topicServer() {
  const started = await startServer({ heartbeatInterval: 0 });
  servers.push(started.wss);
  const opened: WebSocketConnection[] = [];
  started.wss.on('connection', (connection) => {
    connection.subscribe('t');
    opened.push(connection);
  });
  return { ...started, opened };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A raw subscriber offering `extensions`; its bytes after the 101 are collected. */
async function rawSubscriber(port: number, extensions: string) {
  const response = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Extensions': extensions }));
  expect(response.status).toBe(101);
  const socket: Socket = response.socket;
  cleanups.push(() => socket.destroy());
  const chunks: Buffer[] = [response.rest];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { socket, agreed: response.headers['sec-websocket-extensions'], bytes: () => Buffer.concat(chunks) };
}

/** Compressible text of `size` bytes, different for each `seed`. */
function text(seed: number, size: number): string {
  const words = ['topic', 'publish', 'subscriber', 'window', 'deflate', `n${seed}`];
  let out = `${seed}:`;
  for (let i = 0; out.length < size; i++) out += `${words[(i * 7 + seed) % words.length]} `;
  return out.slice(0, size);
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** RFC 7692 section 7.2.2: a message's payload with the tail appended, inflated on its own. */
function inflate(payload: Buffer): string {
  return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
}

describe('topics with permessage-deflate', () => {
  it('compresses once for no-context-takeover subscribers, sends the others the plain frame, small ones plain', async () => {
    const { wss, port, opened } = await topicServer();
    const shared1 = await rawSubscriber(port, 'permessage-deflate; server_no_context_takeover');
    const shared2 = await rawSubscriber(port, 'permessage-deflate; server_no_context_takeover');
    const takeover = await rawSubscriber(port, 'permessage-deflate');
    await until(() => opened.length === 3, 'subscribers');
    expect(shared1.agreed).toContain('server_no_context_takeover');
    expect(takeover.agreed).toBe('permessage-deflate');

    const big = text(1, 3000); // inline compression (under inlineDeflateLimit)
    const large = text(2, 40_000); // on the thread pool
    const small = 'under the threshold';
    for (const message of [big, large, small]) expect(wss.publish('t', message)).toMatchObject({ delivered: 3 });

    const wire = (bytes: Buffer): number => bytes.length;
    await until(() => [shared1, shared2, takeover].every((s) => wire(s.bytes()) > 0), 'frames');
    await until(() => parseServerFrames(shared1.bytes()).frames.length === 3, 'three frames');
    await until(() => parseServerFrames(shared2.bytes()).frames.length === 3, 'three frames');
    await until(() => parseServerFrames(takeover.bytes()).frames.length === 3, 'three frames');

    // The same compressed bytes on both shared sockets.
    expect(shared1.bytes().equals(shared2.bytes())).toBe(true);
    const firstBytes = (bytes: Buffer): number[] => {
      const out: number[] = [];
      let offset = 0;
      for (const frame of parseServerFrames(bytes).frames) {
        out.push(bytes[offset]!);
        offset += bytes.indexOf(frame.payload, offset) - offset + frame.payload.length;
      }
      return out;
    };
    // FIN + RSV1 + text for the two compressed, FIN + text for the small one.
    expect(firstBytes(shared1.bytes())).toEqual([0xc1, 0xc1, 0x81]);
    expect(firstBytes(takeover.bytes())).toEqual([0x81, 0x81, 0x81]);
    const sharedFrames = parseServerFrames(shared1.bytes()).frames;
    // Each compressed message inflates on its own (no context carried between them).
    expect(inflate(sharedFrames[0]!.payload)).toBe(big);
    expect(inflate(sharedFrames[1]!.payload)).toBe(large);
    expect(sharedFrames[1]!.payload.length).toBeLessThan(large.length / 4);
    expect(sharedFrames[2]!.payload.toString()).toBe(small);
    expect(parseServerFrames(takeover.bytes()).frames.map((f) => f.payload.toString())).toEqual([big, large, small]);
  });

  it('ws clients and ours of both kinds decode every message, in publish order, across async compressions and sends', async () => {
    const { wss, url, opened } = await topicServer();
    const received = new Map<string, string[]>();
    const wsKinds: [string, WebSocket.ClientOptions][] = [
      ['ws no-context-takeover', { perMessageDeflate: { serverNoContextTakeover: true } }],
      ['ws context-takeover', {}],
      ['ws without deflate', { perMessageDeflate: false }],
    ];
    for (const [name, options] of wsKinds) {
      const client = new WebSocket(url, options);
      cleanups.push(() => client.terminate());
      const list: string[] = [];
      received.set(name, list);
      client.on('message', (data: Buffer) => list.push(data.toString()));
      await within(once(client, 'open'), 5000, `${name} open`);
    }
    for (const [name, setting] of [
      ['ours no-context-takeover', { serverNoContextTakeover: 'request' as const }],
      ['ours context-takeover', {}],
    ] as const) {
      const connection = await connect(url, { perMessageDeflate: setting });
      cleanups.push(() => connection.terminate());
      const list: string[] = [];
      received.set(name, list);
      connection.on('message', (data) => list.push(data.toString()));
    }
    await until(() => opened.length === 5, 'subscribers');
    expect(opened[0]!.extensions).toContain('server_no_context_takeover');
    expect(opened[3]!.extensions).toContain('server_no_context_takeover');

    // Per round: a large message (compressed on the thread pool), a small one (never compressed), a
    // medium one (compressed inline), and a send of the connection's own right behind them.
    const expected: string[] = [];
    for (let round = 0; round < 30; round++) {
      const messages = [text(round * 3, 20_000 + round * 100), `${round * 3 + 1}:small`, text(round * 3 + 2, 2000)];
      for (const message of messages) {
        expect(wss.publish('t', message).delivered).toBe(5);
        expected.push(message);
      }
      for (const connection of opened) void connection.send(`direct ${round}`);
      expected.push(`direct ${round}`);
      if (round % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const [name, list] of received) {
      await until(() => list.length === expected.length, `${name}: all messages`);
      expect(list, name).toEqual(expected);
    }
  });
});
