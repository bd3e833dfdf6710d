/**
 * A WebSocketServer attached to an application's http.Server that has 'upgrade' listeners of its own
 * (ws's documented pattern: serve some upgrades, destroy the rest): the upgrades we serve never reach
 * them, whether they were added before or after attaching; the others reach them as before; with no
 * foreign listener an unserved path gets 404 at once. Peers: the `ws` client and raw sockets.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from '../src/index.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { within } from './helpers/servers.js';

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Opens a ws client, sends `text`, resolves with the echo. */
async function echoThrough(url: string, text: string): Promise<string> {
  const client = new WebSocket(url);
  try {
    await within(once(client, 'open'), 5000, `open ${url}`);
    const reply = once(client, 'message') as Promise<[Buffer]>;
    client.send(text);
    const [data] = await within(reply, 5000, `echo from ${url}`);
    return data.toString();
  } finally {
    client.terminate();
  }
}

/** Resolves once a socket given to `rawRequest` is closed by the server without any response. */
async function destroyedWithoutResponse(port: number, path: string): Promise<void> {
  await expect(rawRequest(port, upgradeRequest(port, {}, 'GET', path))).rejects.toThrow(/ended before a response|ECONNRESET/);
}

describe("the application's own 'upgrade' listeners", { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  for (const order of ['before', 'after'] as const) {
    it(`a listener added ${order} attaching sees only what no WebSocketServer serves`, async () => {
      const httpServer = http.createServer();
      const seen: string[] = [];
      // ws's documented pattern: handle /legacy through a noServer server, destroy everything else.
      const legacy = new WebSocketServer({ noServer: true });
      const appListener = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
        seen.push(request.url ?? '');
        if (request.url === '/legacy') {
          legacy.handleUpgrade(request, socket, head, (connection) => {
            connection.on('message', (data) => void connection.send(`legacy ${data.toString()}`));
          });
        } else {
          socket.destroy();
        }
      };
      if (order === 'before') httpServer.on('upgrade', appListener);
      const chat = new WebSocketServer({
        server: httpServer,
        path: '/chat',
        // Asynchronous: the socket is ours for a while, and the app's listener must not get to kill it.
        authorize: async () => (await new Promise((r) => setTimeout(r, 30)), true),
      });
      chat.on('connection', (connection) => {
        connection.on('message', (data) => void connection.send(`chat ${data.toString()}`));
      });
      if (order === 'after') httpServer.on('upgrade', appListener);
      const port = await listen(httpServer);
      cleanups.push(
        () => new Promise((r) => httpServer.close(r)),
        () => chat.close(),
        () => legacy.close(),
      );

      expect(await echoThrough(`ws://127.0.0.1:${port}/chat`, 'hi')).toBe('chat hi');
      expect(await echoThrough(`ws://127.0.0.1:${port}/legacy`, 'hi')).toBe('legacy hi');
      await destroyedWithoutResponse(port, '/other');
      expect(seen).toEqual(['/legacy', '/other']);

      // Once the server is closed, /chat is no longer ours: the application's listener gets it.
      await chat.close();
      await destroyedWithoutResponse(port, '/chat');
      expect(seen).toEqual(['/legacy', '/other', '/chat']);
    });
  }

  it('several servers and a foreign listener on one http.Server: each path to its server, the rest to the app', async () => {
    const httpServer = http.createServer();
    const seen: string[] = [];
    httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex) => {
      seen.push(request.url ?? '');
      socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    const a = new WebSocketServer({ server: httpServer, path: '/a' });
    const b = new WebSocketServer({ server: httpServer, path: '/b' });
    for (const [name, wss] of [
      ['a', a],
      ['b', b],
    ] as const) {
      wss.on('connection', (c) => c.on('message', (data) => void c.send(`${name} ${data.toString()}`)));
    }
    const port = await listen(httpServer);
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => a.close(),
      () => b.close(),
    );
    expect(await echoThrough(`ws://127.0.0.1:${port}/a`, 'x')).toBe('a x');
    expect(await echoThrough(`ws://127.0.0.1:${port}/b?q=1`, 'y')).toBe('b y');
    const teapot = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/c'));
    expect(teapot.status).toBe(418);
    teapot.socket.destroy();
    expect(seen).toEqual(['/c']);
  });

  it('without a foreign listener an unserved path gets 404 at once; removing the listener brings the 404 back', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer, path: '/chat' });
    const port = await listen(httpServer);
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => wss.close(),
    );
    const first = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/nope'));
    expect(first.status).toBe(404);
    first.socket.destroy();

    const destroyAll = (_request: http.IncomingMessage, socket: Duplex): void => void socket.destroy();
    httpServer.on('upgrade', destroyAll);
    await destroyedWithoutResponse(port, '/nope');
    httpServer.off('upgrade', destroyAll);
    const again = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/nope'));
    expect(again.status).toBe(404);
    expect(again.body).toBe('No WebSocket endpoint at /nope\n');
    again.socket.destroy();
  });

  it('close() gives the server its own emit back, and a wrapper someone added on top keeps working', async () => {
    const httpServer = http.createServer();
    expect(Object.hasOwn(httpServer, 'emit')).toBe(false);
    const first = new WebSocketServer({ server: httpServer, path: '/one' });
    expect(Object.hasOwn(httpServer, 'emit')).toBe(true);
    await first.close();
    expect(Object.hasOwn(httpServer, 'emit')).toBe(false);
    expect(httpServer.listenerCount('upgrade')).toBe(0);

    // Someone (an APM agent, say) wraps emit after we attached: detaching cannot unwrap, but stays inert.
    const second = new WebSocketServer({ server: httpServer, path: '/two' });
    const events: string[] = [];
    const ours = httpServer.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
    httpServer.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      events.push(String(event));
      return ours.call(this, event, ...args);
    } as typeof httpServer.emit;
    await second.close();
    const third = new WebSocketServer({ server: httpServer, path: '/three' });
    third.on('connection', (c) => c.on('message', (data) => void c.send(data.toString())));
    const port = await listen(httpServer);
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => third.close(),
    );
    expect(await echoThrough(`ws://127.0.0.1:${port}/three`, 'still served')).toBe('still served');
    const unserved = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/two'));
    expect(unserved.status).toBe(404);
    unserved.socket.destroy();
    // The wrapper still sees the server's other events (upgrades stop at the router above it).
    expect(events).toContain('connection');
  });

  it('a served upgrade held during a slow authorize is bounded by handshakeTimeout, never handed to the app', async () => {
    const httpServer = http.createServer();
    const seen: string[] = [];
    httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex) => {
      seen.push(request.url ?? '');
      socket.destroy();
    });
    const wss = new WebSocketServer({ server: httpServer, handshakeTimeout: 200, authorize: () => new Promise(() => {}) });
    const port = await listen(httpServer);
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => wss.close(),
    );
    const started = Date.now();
    const response = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/anything'));
    expect(response.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await within(once(response.socket, 'close'), 5000, 'the refused socket closed');
    expect(seen).toEqual([]);
  });
});
