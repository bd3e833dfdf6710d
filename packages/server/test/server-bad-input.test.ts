import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConnectionError, ProtocolError, type WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { clientFrame, rawRequest, readUntilClose, upgradeRequest } from './helpers/raw.js';
import { closeOf, startEcho, startServer, within } from './helpers/servers.js';

/** Every kind of bad input, with the specific outcome RFC 6455 / HTTP prescribe. */
describe('bad input', { timeout: 20_000 }, () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close();
    wss = undefined;
  });

  async function server(options: Parameters<typeof startServer>[0] = {}) {
    const started = await startEcho(options);
    wss = started.wss;
    return started.port;
  }

  it('a GET that is not an upgrade gets 400', async () => {
    const port = await server();
    const response = await rawRequest(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(response.status).toBe(400);
    response.socket.destroy();
  });

  it('a POST gets 405 with Allow: GET, also when it carries Upgrade headers', async () => {
    const port = await server();
    const plain = await rawRequest(port, `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`);
    expect(plain.status).toBe(405);
    plain.socket.destroy();
    const upgrading = await rawRequest(port, upgradeRequest(port, {}, 'POST'));
    expect(upgrading.status).toBe(405);
    expect(upgrading.headers['allow']).toBe('GET');
    upgrading.socket.destroy();
  });

  it('an upgrade to something else than websocket gets 400', async () => {
    const port = await server();
    const response = await rawRequest(port, upgradeRequest(port, { Upgrade: 'h2c' }));
    expect(response.status).toBe(400);
    response.socket.destroy();
  });

  it('a missing Sec-WebSocket-Key gets 400 naming the key', async () => {
    const port = await server();
    const response = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Key': undefined }));
    expect(response.status).toBe(400);
    expect(response.body.toLowerCase()).toContain('key');
    response.socket.destroy();
  });

  it('a key that is not 16 bytes of base64 gets 400', async () => {
    const port = await server();
    const response = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Key': 'dG9vIHNob3J0' }));
    expect(response.status).toBe(400);
    response.socket.destroy();
  });

  it('version 12 gets 426 with Sec-WebSocket-Version: 13', async () => {
    const port = await server();
    const response = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Version': '12' }));
    expect(response.status).toBe(426);
    expect(response.headers['sec-websocket-version']).toBe('13');
    response.socket.destroy();
  });

  async function open(port: number): Promise<{ socket: net.Socket; rest: Buffer }> {
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(101);
    return { socket: response.socket, rest: response.rest };
  }

  async function failureOf(frames: Buffer[], options: Parameters<typeof startServer>[0] = {}) {
    const port = await server(options);
    const serverSide = once(wss!, 'connection') as Promise<[WebSocketConnection]>;
    const { socket, rest } = await open(port);
    const [connection] = await serverSide;
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const closed = closeOf(connection);
    for (const frame of frames) socket.write(frame);
    const result = await readUntilClose(socket, rest);
    const [, , wasClean] = await within(closed, 5000, 'server-side close');
    return { ...result, errors, wasClean };
  }

  it('frames that arrive in the same packet as the request (head bytes) are processed first, in order', async () => {
    const started = await startServer();
    wss = started.wss;
    const got: string[] = [];
    wss.on('connection', (c) => c.on('message', (data) => got.push(data.toString())));
    const socket = net.connect(started.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(
      Buffer.concat([Buffer.from(upgradeRequest(started.port)), clientFrame(1, 'in head 1'), clientFrame(1, 'in head 2')]),
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.write(clientFrame(1, 'later'));
    while (got.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['in head 1', 'in head 2', 'later']);
    socket.destroy();
  });

  it('an unmasked client frame fails with 1002 and the TCP connection is closed', async () => {
    const outcome = await failureOf([clientFrame(1, 'not masked', { mask: false })]);
    expect(outcome.closeCode).toBe(1002);
    expect(outcome.ended).toBe(true);
    expect(outcome.errors[0]).toBeInstanceOf(ProtocolError);
    expect(outcome.wasClean).toBe(false);
  });

  it("after a 1002 the connection reads 'closing' until its socket is gone, then 'closed'", async () => {
    const port = await server();
    const serverSide = once(wss!, 'connection') as Promise<[WebSocketConnection]>;
    const { socket } = await open(port);
    const [connection] = await serverSide;
    const seen: string[] = [];
    const look = (): void => {
      seen.push(`${connection.state}, socket ${connection.socket.destroyed ? 'gone' : 'open'}`);
    };
    connection.on('error', look);
    const closed = closeOf(connection);
    // Our side reads nothing, so it does not see the server's FIN and keeps TCP open.
    socket.pause();
    socket.write(clientFrame(1, 'not masked', { mask: false }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    look();
    socket.resume();
    await within(closed, 5000, 'server-side close');
    look();
    expect(seen).toEqual(['closing, socket open', 'closing, socket open', 'closed, socket gone']);
    socket.destroy();
  });

  it('invalid UTF-8 in a text message fails with 1007', async () => {
    const outcome = await failureOf([clientFrame(1, Buffer.from([0x68, 0xc3, 0x28]))]);
    expect(outcome.closeCode).toBe(1007);
    expect((outcome.errors[0] as ProtocolError).code).toBe(1007);
  });

  it('invalid UTF-8 split across fragments fails with 1007', async () => {
    const outcome = await failureOf([
      clientFrame(1, Buffer.from([0x61, 0xf0, 0x9f]), { fin: false }),
      clientFrame(0, Buffer.from([0x41])),
    ]);
    expect(outcome.closeCode).toBe(1007);
  });

  it('a message over maxMessageSize fails with 1009, before the payload is buffered', async () => {
    const outcome = await failureOf([clientFrame(2, Buffer.alloc(2048))], { maxMessageSize: 1024 });
    expect(outcome.closeCode).toBe(1009);
  });

  it('fragments adding up to more than maxMessageSize fail with 1009', async () => {
    const outcome = await failureOf([clientFrame(2, Buffer.alloc(600), { fin: false }), clientFrame(0, Buffer.alloc(600))], {
      maxMessageSize: 1024,
    });
    expect(outcome.closeCode).toBe(1009);
  });

  it('a reserved opcode and a set RSV bit (no extension) fail with 1002', async () => {
    expect((await failureOf([clientFrame(3, 'x')])).closeCode).toBe(1002);
    await wss?.close();
    expect((await failureOf([clientFrame(1, 'x', { rsv: 4 })])).closeCode).toBe(1002);
  });

  it('clients that reset right after a bad request do not upset the server', async () => {
    const port = await server();
    const resets = Array.from(
      { length: 50 },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => {
            socket.write(upgradeRequest(port, { 'Sec-WebSocket-Version': '12' }));
            socket.resetAndDestroy();
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
        }),
    );
    await within(Promise.all(resets), 5000, 'resets');
    await new Promise((r) => setTimeout(r, 100));
    const response = await rawRequest(port, upgradeRequest(port)); // still serving
    expect(response.status).toBe(101);
    response.socket.destroy();
  });

  it('a trickled handshake is dropped after handshakeTimeout', async () => {
    const port = await server({ handshakeTimeout: 400 });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const started = Date.now();
    const request = upgradeRequest(port);
    let i = 0;
    // One byte every 50 ms: the request head would take ~8 s to complete.
    const trickle = setInterval(() => {
      if (i < request.length && socket.writable) socket.write(request[i++]!);
    }, 50);
    socket.on('error', () => {});
    await within(once(socket, 'close'), 5000, 'server dropping the trickling client');
    clearInterval(trickle);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(3000);
    expect(i).toBeLessThan(request.length);
  });

  it('a slow authorize hook counts against handshakeTimeout: 503, then the socket is closed', async () => {
    const port = await server({ handshakeTimeout: 300, authorize: () => new Promise((r) => setTimeout(() => r(true), 2000)) });
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(upgradeRequest(port));
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString()));
    const started = Date.now();
    await within(once(socket, 'close'), 5000, 'server refusing the handshake');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(got).toMatch(/^HTTP\/1\.1 503 /);
    expect(got).toContain('Authorization took too long');
  });

  it('a client that never reads: buffered bytes stay under the cap, then it is terminated', async () => {
    const cap = 256 * 1024;
    const started = await startServer({ maxBufferedAmount: cap });
    wss = started.wss;
    const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const { socket } = await open(started.port);
    socket.pause(); // never read: the kernel buffers fill, then ours
    const [connection] = await serverSide;
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const closed = closeOf(connection);
    let maxSeen = 0;
    let rejected = 0;
    const chunk = Buffer.alloc(16 * 1024, 1);
    // Bounded: at most 64 MiB offered; the cap must trip long before.
    for (let i = 0; i < 4096 && connection.state === 'open'; i++) {
      connection.send(chunk).catch(() => rejected++);
      maxSeen = Math.max(maxSeen, connection.bufferedAmount);
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    const [code, , clean] = await within(closed, 5000, 'termination');
    expect(maxSeen).toBeLessThanOrEqual(cap);
    expect(code).toBe(1006);
    expect(clean).toBe(false);
    expect(errors.some((e) => e instanceof ConnectionError && e.code === 'ERR_BUFFER_OVERFLOW')).toBe(true);
    socket.destroy();
  });

  // With client tracking the heartbeat walks the `clients` set; without it, a set of its own.
  it.each([true, false])(
    'heartbeat: a client that does not answer pings is terminated (clientTracking: %s)',
    async (clientTracking) => {
      const started = await startServer({ heartbeatInterval: 200, clientTracking });
      wss = started.wss;
      const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
      const client = new WebSocket(started.url, { autoPong: false });
      await within(once(client, 'open'), 5000, 'open');
      const [connection] = await serverSide;
      const errors: Error[] = [];
      connection.on('error', (e) => errors.push(e));
      const [code] = await within(closeOf(connection), 5000, 'heartbeat termination');
      expect(code).toBe(1006);
      expect(errors.some((e) => e instanceof ConnectionError && e.code === 'ERR_HEARTBEAT_TIMEOUT')).toBe(true);
      client.terminate();
    },
  );

  it('heartbeat: a client that answers pings stays connected', async () => {
    const started = await startServer({ heartbeatInterval: 100 });
    wss = started.wss;
    const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(started.url);
    let pings = 0;
    client.on('ping', () => pings++);
    await within(once(client, 'open'), 5000, 'open');
    const [connection] = await serverSide;
    await new Promise((r) => setTimeout(r, 800));
    expect(connection.state).toBe('open');
    // At least two full intervals passed with pings answered (timers may run late on a loaded machine).
    expect(pings).toBeGreaterThanOrEqual(2);
    client.terminate();
  });

  it('close timeout: a peer that never answers our close is destroyed after closeTimeout', async () => {
    const port = await server({ closeTimeout: 300 });
    const serverSide = once(wss!, 'connection') as Promise<[WebSocketConnection]>;
    const { socket } = await open(port);
    socket.on('data', () => {}); // reads, but never replies with a close frame
    const [connection] = await serverSide;
    const errors: Error[] = [];
    connection.on('error', (e) => errors.push(e));
    const started = Date.now();
    const closed = closeOf(connection);
    connection.close(1000, 'bye');
    const [code, , clean] = await within(closed, 5000, 'close timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect([code, clean]).toEqual([1006, false]);
    expect(errors.map((e) => (e as ConnectionError).code)).toEqual(['ERR_CLOSE_TIMEOUT']);
    socket.destroy();
  });
});
