import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConnectionError, WebSocketConnection, WebSocketServer } from '../src/index.js';
import { upgradeRequest } from './helpers/raw.js';
import { duplexPair } from './helpers/duplex.js';
import { closeOf, startServer, within } from './helpers/servers.js';

/** Argument checks, per-connection heartbeat, the single-large-message rule, server edge cases. */
describe('connection and server behaviour', { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('close() refuses codes that may not be sent and reasons over 123 bytes; ping refuses > 125 bytes', () => {
    const [a] = duplexPair();
    const connection = new WebSocketConnection(a, undefined, { role: 'server' });
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000])
      expect(() => connection.close(code), String(code)).toThrow(RangeError);
    expect(() => connection.close(1000, 'é'.repeat(62))).toThrow();
    expect(() => connection.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(connection.state).toBe('open');
    connection.close(4999, 'x'.repeat(123));
    expect(connection.state).toBe('closing');
    expect(() => connection.ping()).toThrow(ConnectionError);
    connection.terminate();
  });

  it('limits must be non-negative numbers: RangeError at construction, naming the option', () => {
    expect(() => new WebSocketServer({ noServer: true, maxMessageSize: -1 })).toThrow(/maxMessageSize/);
    expect(() => new WebSocketServer({ noServer: true, closeTimeout: Number.NaN })).toThrow(RangeError);
    const [a] = duplexPair();
    expect(() => new WebSocketConnection(a, undefined, { role: 'server', maxBufferedAmount: -5 })).toThrow(/maxBufferedAmount/);
  });

  it('a connection over an already destroyed socket reports close 1006 instead of hanging', async () => {
    const [a] = duplexPair();
    a.destroy();
    await new Promise((r) => setImmediate(r));
    const connection = new WebSocketConnection(a, undefined, { role: 'server' });
    expect(await within(closeOf(connection), 1000, 'close')).toEqual([1006, '', false]);
    expect(connection.state).toBe('closed');
    await expect(connection.send('x')).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
  });

  it('pause() holds messages back until resume(), in order', async () => {
    const [a, b] = duplexPair();
    const server = new WebSocketConnection(a, undefined, { role: 'server' });
    const client = new WebSocketConnection(b, undefined, { role: 'client' });
    const got: string[] = [];
    server.on('message', (data) => got.push(data.toString()));
    server.pause();
    expect(server.isPaused).toBe(true);
    await client.send('one');
    await client.send('two');
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual([]);
    server.resume();
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['one', 'two']);
    server.terminate();
    client.terminate();
  });

  it('a bare connection with heartbeatInterval terminates a peer that stopped answering', async () => {
    const [a, b] = duplexPair();
    const client = new WebSocketConnection(b, undefined, { role: 'client', heartbeatInterval: 50 });
    const server = new WebSocketConnection(a, undefined, { role: 'server', autoPong: false });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    let pings = 0;
    server.on('ping', () => pings++);
    const [code, , clean] = await within(closeOf(client), 5000, 'heartbeat');
    expect([code, clean]).toEqual([1006, false]);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect((errors[0] as ConnectionError).code).toBe('ERR_HEARTBEAT_TIMEOUT');
    server.terminate();
  });

  it('one message larger than maxBufferedAmount is accepted when nothing is queued', async () => {
    const { wss, url } = await startServer({ maxBufferedAmount: 64 * 1024 });
    cleanups.push(() => wss.close());
    const accepted = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(url, { perMessageDeflate: false });
    const received = once(client, 'message') as Promise<[Buffer]>;
    const [connection] = await within(accepted, 5000, 'connection');
    await connection.send(Buffer.alloc(1024 * 1024, 1));
    const [data] = await within(received, 5000, 'large message');
    expect(data.length).toBe(1024 * 1024);
    expect(connection.state).toBe('open');
    client.terminate();
  });

  it("an unusable port is reported by the server's 'error' event", async () => {
    const { wss, port } = await startServer();
    cleanups.push(() => wss.close());
    const second = new WebSocketServer({ port, host: '127.0.0.1' });
    const [error] = (await within(once(second, 'error'), 5000, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('EADDRINUSE');
  });

  it('close() refuses handshakes still waiting for authorize with 503, then closes their sockets', async () => {
    const { wss, port } = await startServer({ authorize: () => new Promise(() => {}) });
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
    await once(socket, 'connect');
    socket.write(upgradeRequest(port));
    await new Promise((r) => setTimeout(r, 50));
    await within(Promise.all([wss.close(), once(socket, 'close')]), 5000, 'close');
    expect(got).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
  });

  it('server.close() on an attached server leaves the HTTP server running', async () => {
    const http = await import('node:http');
    const httpServer = http.createServer((_, res) => res.end('still here'));
    const wss = new WebSocketServer({ server: httpServer });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    cleanups.push(() => new Promise((r) => httpServer.close(r)));
    await wss.close();
    const port = (httpServer.address() as net.AddressInfo).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('still here');
  });
});
