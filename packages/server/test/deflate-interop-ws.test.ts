/**
 * permessage-deflate against the `ws` package, both ways: our server with ws clients, our client with
 * ws servers, over every parameter combination ws can be configured with.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer, type PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import { WebSocketServer, type WebSocketConnection } from '../src/index.js';
import { connect } from '../src/client/index.js';
import {
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  type PerMessageDeflateOptions,
} from '../src/permessage-deflate/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Messages that exercise the paths: big repetitive text, binary, under the threshold, empty, unicode. */
const MESSAGES: { data: string | Buffer; binary: boolean }[] = [
  { data: 'The quick brown fox jumps over the lazy dog. '.repeat(400), binary: false },
  { data: Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 13) % 7)), binary: true },
  { data: 'short', binary: false },
  { data: '', binary: false },
  { data: 'héllo wörld ✓ '.repeat(300), binary: false },
  { data: 'The quick brown fox jumps over the lazy dog. '.repeat(400), binary: false },
  { data: Buffer.alloc(300_000, 0x61), binary: true },
];
const totalPayload = MESSAGES.reduce((n, m) => n + Buffer.byteLength(m.data), 0);

async function ourEchoServer(options: PerMessageDeflateOptions = {}): Promise<{ url: string }> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    extensions: [new PerMessageDeflateServer({ threshold: 64, ...options })],
  });
  server.on('connection', (conn: WebSocketConnection) => {
    conn.on('message', (data, isBinary) => conn.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  cleanups.push(async () => void (await server.close()));
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/` };
}

/** Connects a ws client, echoes MESSAGES through the server, returns the negotiated header. */
async function wsClientRoundTrip(url: string, options: WsDeflateOptions): Promise<{ header: string; bytesRead: number }> {
  const client = new WebSocket(url, { perMessageDeflate: { threshold: 0, ...options } });
  cleanups.push(() => client.terminate());
  let header = '';
  client.on('upgrade', (response) => (header = String(response.headers['sec-websocket-extensions'] ?? '')));
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const received: { data: Buffer; binary: boolean }[] = [];
  const done = new Promise<void>((resolve) => {
    client.on('message', (data, isBinary) => {
      received.push({ data: data as Buffer, binary: isBinary });
      if (received.length === MESSAGES.length) resolve();
    });
  });
  for (const m of MESSAGES) client.send(m.data, { binary: m.binary });
  await done;
  received.forEach((r, i) => {
    expect(r.binary).toBe(MESSAGES[i]!.binary);
    expect(r.data.equals(Buffer.from(MESSAGES[i]!.data))).toBe(true);
  });
  const socket = (client as unknown as { _socket: { bytesRead: number } })._socket;
  const bytesRead = socket.bytesRead;
  client.close(1000);
  await new Promise<void>((resolve) => client.once('close', () => resolve()));
  return { header, bytesRead };
}

describe('our server, ws client', () => {
  const cases: [string, WsDeflateOptions, PerMessageDeflateOptions, string][] = [
    ['ws defaults', {}, {}, 'permessage-deflate'],
    ['server_no_context_takeover', { serverNoContextTakeover: true }, {}, 'permessage-deflate; server_no_context_takeover'],
    ['client_no_context_takeover', { clientNoContextTakeover: true }, {}, 'permessage-deflate; client_no_context_takeover'],
    ['server_max_window_bits=10', { serverMaxWindowBits: 10 }, {}, 'permessage-deflate; server_max_window_bits=10'],
    ['server_max_window_bits=8', { serverMaxWindowBits: 8 }, {}, 'permessage-deflate; server_max_window_bits=8'],
    ['client_max_window_bits=9', { clientMaxWindowBits: 9 }, {}, 'permessage-deflate; client_max_window_bits=9'],
    [
      'all four',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 11 },
      {},
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11',
    ],
    [
      'server imposes no takeover and small windows',
      {},
      { serverNoContextTakeover: 'request', clientNoContextTakeover: 'request', serverMaxWindowBits: 10, clientMaxWindowBits: 8 },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    ],
  ];
  it.each(cases)(
    '%s',
    async (_name, wsOptions, ourOptions, expected) => {
      const { url } = await ourEchoServer(ourOptions);
      const { header, bytesRead } = await wsClientRoundTrip(url, wsOptions);
      expect(header).toBe(expected);
      // Compressed: the echoes took far fewer bytes than the payloads.
      expect(bytesRead).toBeLessThan(totalPayload / 4);
    },
    20_000,
  );

  it('declines when ws is told nothing', async () => {
    const { url } = await ourEchoServer();
    const client = new WebSocket(url, { perMessageDeflate: false });
    cleanups.push(() => client.terminate());
    const header = await new Promise<string | undefined>((resolve, reject) => {
      client.on('upgrade', (response) => resolve(response.headers['sec-websocket-extensions'] as string | undefined));
      client.once('error', reject);
    });
    expect(header).toBeUndefined();
  });
});

async function wsEchoServer(options: WsDeflateOptions): Promise<{ url: string; offers: string[] }> {
  const server = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...options } });
  const offers: string[] = [];
  server.on('connection', (socket, request) => {
    offers.push(String(request.headers['sec-websocket-extensions'] ?? ''));
    socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/`, offers };
}

async function ourClientRoundTrip(url: string, options: PerMessageDeflateOptions): Promise<{ header: string }> {
  const conn = await connect(url, {
    perMessageDeflate: false,
    extensions: [new PerMessageDeflateClient({ threshold: 0, ...options })],
  });
  cleanups.push(() => conn.terminate());
  const received: { data: Buffer; binary: boolean }[] = [];
  const done = new Promise<void>((resolve) => {
    conn.on('message', (data, isBinary) => {
      received.push({ data: Buffer.from(data), binary: isBinary });
      if (received.length === MESSAGES.length) resolve();
    });
  });
  for (const m of MESSAGES) conn.send(m.data, { binary: m.binary });
  await done;
  received.forEach((r, i) => {
    expect(r.binary).toBe(MESSAGES[i]!.binary);
    expect(r.data.equals(Buffer.from(MESSAGES[i]!.data))).toBe(true);
  });
  const header = conn.extensions;
  conn.close(1000);
  await new Promise<void>((resolve) => conn.once('close', () => resolve()));
  return { header };
}

describe('our client, ws server', () => {
  const cases: [string, WsDeflateOptions, PerMessageDeflateOptions, string, string][] = [
    ['defaults', {}, {}, 'permessage-deflate; client_max_window_bits', 'permessage-deflate'],
    [
      'ws server_no_context_takeover',
      { serverNoContextTakeover: true },
      {},
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover',
    ],
    [
      'ws client_no_context_takeover',
      { clientNoContextTakeover: true },
      {},
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; client_no_context_takeover',
    ],
    [
      'ws serverMaxWindowBits 10',
      { serverMaxWindowBits: 10 },
      {},
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits=10',
    ],
    [
      'ws clientMaxWindowBits 9',
      { clientMaxWindowBits: 9 },
      {},
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; client_max_window_bits=9',
    ],
    [
      'we request every parameter',
      {},
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
    ],
  ];
  it.each(cases)(
    '%s',
    async (_name, wsOptions, ourOptions, offer, response) => {
      const { url, offers } = await wsEchoServer(wsOptions);
      const { header } = await ourClientRoundTrip(url, ourOptions);
      expect(offers).toEqual([offer]);
      expect(header).toBe(response);
    },
    20_000,
  );
});

/** A small seeded generator so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Messages of random size (0..20 KB) and compressibility, empty ones included, text and binary. */
function randomMessages(seed: number, count: number): { data: string | Buffer; binary: boolean }[] {
  const random = prng(seed);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'ε', '✓', '{"k":1}', ' ', '\n'];
  return Array.from({ length: count }, () => {
    const size = random() < 0.15 ? 0 : Math.floor(random() ** 3 * 20_000);
    if (random() < 0.5) {
      let text = '';
      while (text.length < size) text += words[Math.floor(random() * words.length)];
      return { data: text, binary: false };
    }
    const noisy = random() < 0.5;
    return {
      data: Buffer.from(Array.from({ length: size }, (_, i) => (noisy ? Math.floor(random() * 256) : i % 7))),
      binary: true,
    };
  });
}

describe('long random sequences with context takeover (window state must stay in step)', () => {
  it.each([1, 2, 3])(
    'seed %i: ws client -> our server -> ws client, 150 messages',
    async (seed) => {
      const messages = randomMessages(seed, 150);
      const { url } = await ourEchoServer({ threshold: seed * 50 });
      const client = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
      cleanups.push(() => client.terminate());
      await new Promise<void>((resolve, reject) => {
        client.once('open', () => resolve());
        client.once('error', reject);
      });
      const received: Buffer[] = [];
      const done = new Promise<void>((resolve) =>
        client.on('message', (data) => {
          received.push(data as Buffer);
          if (received.length === messages.length) resolve();
        }),
      );
      for (const m of messages) client.send(m.data, { binary: m.binary });
      await done;
      expect(received.map((r) => r.toString('hex'))).toEqual(messages.map((m) => Buffer.from(m.data).toString('hex')));
    },
    30_000,
  );

  it.each([4, 5])(
    'seed %i: our client -> ws server -> our client, 150 messages',
    async (seed) => {
      const messages = randomMessages(seed, 150);
      const { url } = await wsEchoServer({});
      const conn = await connect(url, { perMessageDeflate: { threshold: seed * 20 } });
      cleanups.push(() => conn.terminate());
      const received: Buffer[] = [];
      const done = new Promise<void>((resolve) =>
        conn.on('message', (data) => {
          received.push(Buffer.from(data));
          if (received.length === messages.length) resolve();
        }),
      );
      for (const m of messages) conn.send(m.data, { binary: m.binary });
      await done;
      expect(received.map((r) => r.toString('hex'))).toEqual(messages.map((m) => Buffer.from(m.data).toString('hex')));
    },
    30_000,
  );
});
