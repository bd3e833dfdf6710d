/**
 * The adapter example (examples/web-streams-adapter.ts) over real TCP: Node sockets seen as WHATWG
 * stream pairs through `Duplex.toWeb`, the shape Deno and Cloudflare sockets have. Its peers are the
 * `ws` package and raw sockets driven byte by byte, never another copy of our codec.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  acceptWebSocket,
  type CloseInfo,
  connectWebSocket,
  type ServerOptions,
  type StreamWebSocket,
} from '../examples/web-streams-adapter.js';
import { describeWritten, frame } from './helpers.js';
import { cleanups, readHead } from './tcp-helpers.js';

/** A TCP server whose every connection goes through the example's `acceptWebSocket`, echoing messages. */
async function startEchoServer(
  options: ServerOptions = {},
): Promise<{ port: number; accepted: Promise<StreamWebSocket | undefined>[] }> {
  const accepted: Promise<StreamWebSocket | undefined>[] = [];
  const server = createServer((socket) => {
    const opening = acceptWebSocket(Duplex.toWeb(socket), options).then((ws) => {
      if (ws !== undefined)
        ws.onmessage = (data, binary) => void ws.send(binary ? data : new TextDecoder().decode(data)).catch(() => {});
      return ws;
    });
    accepted.push(opening);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, accepted };
}

/** A raw TCP client that completes the opening handshake by hand and then records every byte it receives. */
async function rawClient(port: number): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  const ended = once(socket, 'close');
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const { lines, rest } = await readHead(socket);
  expect(lines[0]).toBe('HTTP/1.1 101 Switching Protocols');
  expect(lines).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  let received = rest;
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  return { socket, received: () => received, ended };
}

describe('the web-streams adapter example', () => {
  it('serves a ws client: text and binary echoed, pings answered, the client closing with its code', async () => {
    const { port, accepted } = await startEchoServer({ selectProtocol: (offered) => offered[0] });
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, ['chat']);
    cleanups.push(() => client.terminate());
    await once(client, 'open');
    expect(client.protocol).toBe('chat');

    const replies: string[] = [];
    client.on('message', (data: Buffer, isBinary: boolean) =>
      replies.push(isBinary ? `binary ${data.toString('hex')}` : `text ${data.toString()}`),
    );
    client.send('héllo');
    client.send(Buffer.from([1, 2, 3]));
    client.send(Buffer.alloc(200_000, 7));
    client.ping('are you there');
    const [pong] = (await once(client, 'pong')) as [Buffer];
    expect(pong.toString()).toBe('are you there');
    await vi.waitFor(() => expect(replies).toHaveLength(3), { timeout: 10_000 });
    expect(replies.slice(0, 2)).toEqual(['text héllo', 'binary 010203']);
    expect(replies[2]).toBe(`binary ${'07'.repeat(200_000)}`);

    client.close(4000, 'bye');
    const [code, reason] = (await once(client, 'close')) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([4000, '']); // the codec's reply echoes the code, not the reason
    const server = (await accepted[0])!;
    await expect(server.closed).resolves.toEqual({ code: 4000, reason: 'bye', wasClean: true });
  });

  it('connects to a ws server as a client: masked frames, echo, a clean close started by us', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => wss.close());
    await once(wss, 'listening');
    const serverSide = new Promise<[number, string]>((resolve) =>
      wss.on('connection', (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        ws.on('close', (code, reason) => resolve([code, reason.toString()]));
      }),
    );
    const port = (wss.address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');

    const ws = await connectWebSocket(Duplex.toWeb(socket), { host: `127.0.0.1:${port}`, path: '/chat?room=1' });
    const messages: string[] = [];
    ws.onmessage = (data, binary) => messages.push(binary ? `binary ${data.length}` : `text ${new TextDecoder().decode(data)}`);
    await ws.send('hello');
    await ws.send(new Uint8Array(70_000));
    await vi.waitFor(() => expect(messages).toEqual(['text hello', 'binary 70000']), { timeout: 10_000 });

    ws.close(1000, 'done');
    expect(await serverSide).toEqual([1000, 'done']);
    // The client waits for the server to end TCP after the closing handshake, then reports.
    await expect(ws.closed).resolves.toEqual({ code: 1000, reason: 'done', wasClean: true });
  });

  it('fails a connection on a protocol error: close 1002 on the wire, then the transport ends', async () => {
    const { port, accepted } = await startEchoServer();
    const raw = await rawClient(port);
    raw.socket.write(frame({ opcode: 0x1, payload: 'not masked', mask: null })); // clients must mask (RFC 6455 section 5.1)
    await raw.ended;
    expect(describeWritten(new Uint8Array(raw.received()), 'server')).toEqual(['close:1002']);
    const closed = await (await accepted[0])!.closed;
    expect(closed).toMatchObject({ code: 1006, wasClean: false });
    expect(closed.error).toMatchObject({ name: 'ProtocolError', code: 1002 });
  });

  it('aborts the transport when the peer never answers our close (close timeout)', async () => {
    const { port, accepted } = await startEchoServer({ closeTimeout: 300 });
    const raw = await rawClient(port);
    const server = (await accepted[0])!;
    const started = Date.now();
    server.close(1001, 'going away');
    const closed: CloseInfo = await server.closed;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    expect(closed).toMatchObject({ code: 1006, wasClean: false });
    expect(closed.error?.message).toMatch(/timed out/);
    await raw.ended;
    expect(describeWritten(new Uint8Array(raw.received()), 'server')).toEqual(['close:1001']);
  });

  it('pings a silent peer and drops it one heartbeat interval later', async () => {
    const { port, accepted } = await startEchoServer({ heartbeatInterval: 150 });
    const raw = await rawClient(port);
    const closed = await (await accepted[0])!.closed;
    expect(closed).toMatchObject({ code: 1006, wasClean: false });
    expect(closed.error?.message).toMatch(/heartbeat/);
    await raw.ended;
    expect(describeWritten(new Uint8Array(raw.received()), 'server')).toEqual(['ping:']); // one empty ping, no answer, dropped
  });

  it('refuses a request that is not a WebSocket handshake with the status the codec chose', async () => {
    const { port, accepted } = await startEchoServer();
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n\r\n',
    );
    const { lines } = await readHead(socket);
    expect(lines[0]).toBe('HTTP/1.1 426 Upgrade Required');
    expect(lines).toContain('Sec-WebSocket-Version: 13');
    expect(await accepted[0]).toBeUndefined();
  });
});

describe('docs/adapter-guide.md', () => {
  it('quotes the example verbatim wherever it says it does', () => {
    const guide = readFileSync(new URL('../../../docs/adapter-guide.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/web-streams-adapter.ts', import.meta.url), 'utf8');
    const excerpts = [...guide.matchAll(/<!-- excerpt: examples\/web-streams-adapter\.ts -->\n```ts\n([\s\S]*?)```\n/g)].map(
      (m) => m[1]!,
    );
    expect(excerpts.length).toBeGreaterThanOrEqual(6);
    for (const excerpt of excerpts) expect(example, excerpt.split('\n')[0]).toContain(excerpt);
  });
});
