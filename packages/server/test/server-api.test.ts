import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer, type WebSocketConnection } from '../src/index.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Opens a ws client and resolves with the first message it receives. */
async function firstMessage(url: string, protocols?: string[]): Promise<string> {
  const client = new WebSocket(url, protocols);
  try {
    const [data] = (await within(once(client, 'message'), 5000, `message from ${url}`)) as [Buffer];
    return data.toString();
  } finally {
    client.terminate();
  }
}

/** The idiomatic API: attach, paths, noServer, authorization, tracking, shutdown. */
describe('WebSocketServer API', { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('requires exactly one of port, server, noServer', () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ noServer: true, port: 0 })).toThrow(TypeError);
  });

  it('attaches to an existing http.Server; several servers share it by path; plain HTTP still works', async () => {
    const httpServer = http.createServer((_, res) => res.end('plain http'));
    const chat = new WebSocketServer({ server: httpServer, path: '/chat' });
    const feed = new WebSocketServer({ server: httpServer, path: '/feed' });
    chat.on('connection', (c) => void c.send('chat'));
    feed.on('connection', (c) => void c.send('feed'));
    const port = await listen(httpServer);
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => chat.close(),
      () => feed.close(),
    );

    expect(await firstMessage(`ws://127.0.0.1:${port}/chat`)).toBe('chat');
    expect(await firstMessage(`ws://127.0.0.1:${port}/feed?x=1`)).toBe('feed');
    const unknown = await rawRequest(port, upgradeRequest(port, {}, 'GET', '/nope'));
    expect(unknown.status).toBe(404);
    unknown.socket.destroy();
    const plain = await fetch(`http://127.0.0.1:${port}/`);
    expect(await plain.text()).toBe('plain http');
  });

  it('noServer: handleUpgrade from your own upgrade listener', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const httpServer = http.createServer();
    httpServer.on('upgrade', (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (connection, req) => {
        void connection.send(`hello ${req.url}`);
      });
    });
    const port = await listen(httpServer);
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => wss.close(),
    );
    expect(await firstMessage(`ws://127.0.0.1:${port}/room/7`)).toBe('hello /room/7');
    expect(wss.clients.size).toBe(1);
  });

  it('authorize: async rejection with status, reason and headers; acceptance by Origin', async () => {
    const { wss, url, port } = await startServer({
      authorize: async (request, info) => {
        await new Promise((r) => setTimeout(r, 10));
        if (request.headers.authorization !== 'Bearer good') {
          return { status: 401, reason: 'token required', headers: [['WWW-Authenticate', 'Bearer']] };
        }
        if (info.origin !== 'https://app.example') return { status: 403, reason: 'bad origin' };
        return true;
      },
    });
    cleanups.push(() => wss.close());
    wss.on('connection', (c) => void c.send('in'));

    const noToken = await rawRequest(port, upgradeRequest(port));
    expect(noToken.status).toBe(401);
    expect(noToken.headers['www-authenticate']).toBe('Bearer');
    expect(noToken.body).toContain('token required');
    noToken.socket.destroy();

    const badOrigin = await rawRequest(
      port,
      upgradeRequest(port, { Authorization: 'Bearer good', Origin: 'https://evil.example' }),
    );
    expect(badOrigin.status).toBe(403);
    badOrigin.socket.destroy();

    const client = new WebSocket(url, { headers: { Authorization: 'Bearer good' }, origin: 'https://app.example' });
    const [data] = (await within(once(client, 'message'), 5000, 'welcome')) as [Buffer];
    expect(data.toString()).toBe('in');
    client.terminate();

    // ws reports the refusal as an 'unexpected-response' with the status we chose.
    const refused = new WebSocket(url);
    refused.on('error', () => {});
    const [, response] = (await within(once(refused, 'unexpected-response'), 5000, 'refusal')) as [unknown, http.IncomingMessage];
    expect(response.statusCode).toBe(401);
    refused.terminate();
  });

  it('authorize returning false refuses with 401; throwing refuses with 500 and emits error', async () => {
    let mode: 'false' | 'throw' = 'false';
    const { wss, port } = await startServer({
      authorize: () => {
        if (mode === 'throw') throw new Error('hook broke');
        return false;
      },
    });
    cleanups.push(() => wss.close());
    const errors: Error[] = [];
    wss.on('error', (e) => errors.push(e));
    const first = await rawRequest(port, upgradeRequest(port));
    expect(first.status).toBe(401);
    first.socket.destroy();
    mode = 'throw';
    const second = await rawRequest(port, upgradeRequest(port));
    expect(second.status).toBe(500);
    second.socket.destroy();
    expect(errors.map((e) => e.message)).toEqual(['hook broke']);
  });

  it('a header with a line break from a hook cannot split the response: 500 instead', async () => {
    const { wss, port } = await startServer({
      authorize: () => ({ status: 403, headers: [['X-Reason', 'no\r\nSet-Cookie: evil=1']] }),
    });
    cleanups.push(() => wss.close());
    wss.on('error', () => {});
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(500);
    expect(response.headers['set-cookie']).toBeUndefined();
    response.socket.destroy();
  });

  it("'headers' lets the application add response headers", async () => {
    const { wss, port } = await startServer();
    cleanups.push(() => wss.close());
    wss.on('headers', (headers) => headers.push(['X-Served-By', 'wsts']));
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(101);
    expect(response.headers['x-served-by']).toBe('wsts');
    response.socket.destroy();
  });

  it('tracks clients and close() sends 1001 to each, resolving when all are gone', async () => {
    const { wss, url } = await startServer();
    const clients = Array.from({ length: 5 }, () => new WebSocket(url));
    await Promise.all(clients.map((c) => within(once(c, 'open'), 5000, 'open')));
    while (wss.clients.size < 5) await new Promise((r) => setTimeout(r, 10));
    const codes = clients.map((c) => once(c, 'close') as Promise<[number, Buffer]>);
    let closedEvent = false;
    wss.on('close', () => (closedEvent = true));
    await within(wss.close(), 5000, 'server close');
    expect(wss.clients.size).toBe(0);
    expect(closedEvent).toBe(true);
    for (const [code] of await Promise.all(codes)) expect(code).toBe(1001);
    // The port is released: a new connection is refused.
    const late = new WebSocket(url);
    const [error] = (await within(once(late, 'error'), 5000, 'refused')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('clientTracking: false keeps no set', async () => {
    const { wss, url } = await startServer({ clientTracking: false });
    cleanups.push(() => wss.close());
    const connected = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(url);
    await within(connected, 5000, 'connection');
    await within(once(client, 'open'), 5000, 'open');
    expect(wss.clients.size).toBe(0);
    client.terminate();
  });

  it('selectProtocol sees the offers in client order; none selected means no header', async () => {
    const seen: string[][] = [];
    const { wss, port } = await startServer({ selectProtocol: (offered) => (seen.push([...offered]), undefined) });
    cleanups.push(() => wss.close());
    const response = await rawRequest(port, upgradeRequest(port, { 'Sec-WebSocket-Protocol': 'b, a' }));
    expect(response.status).toBe(101);
    expect(seen).toEqual([['b', 'a']]);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    response.socket.destroy();
  });
});
