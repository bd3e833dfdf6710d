import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writeHttpResponse, type WebSocketServer } from '../src/index.js';
import { PassThrough } from 'node:stream';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

/**
 * The handshake's cheaper bookkeeping (no timer or guard on the synchronous path, the trickle timer kept
 * on the socket, one codec options object per server) must keep every observable behaviour.
 */
describe('server handshake paths', { timeout: 20_000 }, () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close();
    wss = undefined;
  });

  async function server(options: Parameters<typeof startServer>[0] = {}) {
    const started = await startServer(options);
    wss = started.wss;
    return started.port;
  }

  it('a request without the WebSocket headers still gets the server wording, other 400s the codec reason', async () => {
    const port = await server();
    const plain = await rawRequest(port, upgradeRequest(port, { Upgrade: 'h2c' }));
    expect(plain.status).toBe(400);
    expect(plain.body).toMatch(/^Not a WebSocket handshake/);
    plain.socket.destroy();
    const noHost = await rawRequest(
      port,
      upgradeRequest(port, { Host: undefined }).replace(/^GET \/ HTTP\/1\.1/, 'GET / HTTP/1.0'),
    );
    expect(noHost.status).toBe(400);
    expect(noHost.body).toMatch(/Host/);
    noHost.socket.destroy();
    const badKey = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Key': 'not base64!' }));
    expect(badKey.status).toBe(400);
    expect(badKey.body).toMatch(/Sec-WebSocket-Key/);
    badKey.socket.destroy();
  });

  it('selectProtocol sees the request of its own handshake, for many handshakes at once', async () => {
    const port = await server({ selectProtocol: (offered, request) => offered.find((p) => request.url === `/${p}`) });
    const names = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const responses = await Promise.all(
      names.map((name) => rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Protocol': `x, ${name}` }, 'GET', `/${name}`))),
    );
    responses.forEach((response, i) => {
      expect(response.status).toBe(101);
      expect(response.headers['sec-websocket-protocol']).toBe(names[i]);
      response.socket.destroy();
    });
  });

  it('a connection outlives handshakeTimeout once its request head arrived (the trickle timer is stopped)', async () => {
    const port = await server({ handshakeTimeout: 200 });
    const connected = once(wss!, 'connection');
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(101);
    await connected;
    let closed = false;
    response.socket.on('close', () => (closed = true));
    await new Promise((r) => setTimeout(r, 600));
    expect(closed).toBe(false);
    expect(wss!.clients.size).toBe(1);
    response.socket.destroy();
  });

  it('a socket that sends nothing is dropped between handshakeTimeout and 1.5 x handshakeTimeout', async () => {
    const port = await server({ handshakeTimeout: 400 });
    // Sockets accepted at different moments of the sweep's cycle.
    const drops = await Promise.all(
      [0, 100, 250].map(async (delay) => {
        await new Promise((r) => setTimeout(r, delay));
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        const started = Date.now();
        await within(once(socket, 'close'), 3000, 'the silent socket being dropped');
        return Date.now() - started;
      }),
    );
    for (const elapsed of drops) {
      expect(elapsed).toBeGreaterThanOrEqual(380);
      expect(elapsed).toBeLessThan(1200);
    }
    // Sockets that closed early or were dropped leave the server serving.
    const early = net.connect(port, '127.0.0.1');
    await once(early, 'connect');
    early.destroy();
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(101);
    response.socket.destroy();
  });

  it('close() drops a socket that never sent its request and resolves without waiting for the timer', async () => {
    const port = await server({ handshakeTimeout: 10_000 });
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    await new Promise((r) => setTimeout(r, 50)); // the server has accepted it
    const started = Date.now();
    await within(Promise.all([wss!.close(), once(socket, 'close')]), 3000, 'close() with a silent socket');
    expect(Date.now() - started).toBeLessThan(3000);
    wss = undefined;
  });

  it("close() called from a 'headers' listener refuses that handshake with 503", async () => {
    const port = await server();
    let closing: Promise<unknown> | undefined;
    wss!.on('headers', () => {
      closing = wss!.close();
    });
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(503);
    response.socket.destroy();
    await closing;
    wss = undefined;
  });

  it('an asynchronous authorize still gets its verdict applied, and a late one finds the socket gone', async () => {
    const port = await server({
      handshakeTimeout: 300,
      authorize: (request) =>
        new Promise((resolve) => {
          if (request.url === '/slow') setTimeout(() => resolve(true), 1000);
          else if (request.url === '/deny') setTimeout(() => resolve({ status: 403, reason: 'nope' }), 10);
          else setTimeout(() => resolve(true), 10);
        }),
    });
    const ok = await rawRequest(port, upgradeRequest(port));
    expect(ok.status).toBe(101);
    ok.socket.destroy();
    const denied = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/deny'));
    expect(denied.status).toBe(403);
    expect(denied.body).toBe('nope\n');
    denied.socket.destroy();
    const slow = net.connect(port, '127.0.0.1');
    slow.on('error', () => {});
    let got = '';
    slow.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
    slow.write(upgradeRequest(port, {}, 'GET', '/slow'));
    await within(once(slow, 'close'), 3000, 'the timed-out handshake');
    expect(got).toMatch(/^HTTP\/1\.1 503 /);
    await new Promise((r) => setTimeout(r, 900)); // the late verdict arrives: nothing may throw
    expect(wss!.clients.size).toBe(0);
  });

  it('writeHttpResponse writes the head in order and refuses header injection', () => {
    const sink = new PassThrough();
    let written = '';
    sink.on('data', (chunk: Buffer) => (written += chunk.toString('latin1')));
    writeHttpResponse(sink, 101, [
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['X-A', 'b'],
    ]);
    sink.read();
    expect(written).toBe('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-A: b\r\n\r\n');
    expect(() => writeHttpResponse(sink, 101, [['X-Bad', 'a\r\nSet-Cookie: x=1']])).toThrow(TypeError);
    expect(() => writeHttpResponse(sink, 101, [['Bad Name', 'a']])).toThrow(TypeError);
    expect(() => writeHttpResponse(sink, 1000, [])).toThrow(RangeError);
  });

  it("a 'headers' listener adding a header with a line break refuses the handshake with 500", async () => {
    const port = await server();
    wss!.on('headers', (headers) => headers.push(['X-Evil', 'a\r\nSet-Cookie: x=1']));
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(500);
    expect(response.headers['set-cookie']).toBeUndefined();
    response.socket.destroy();
  });
});
