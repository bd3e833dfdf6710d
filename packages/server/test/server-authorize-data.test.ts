/**
 * `authorize` accepting with `{ data }`: the data is on `connection.data` by the time 'connection' or the
 * `handleUpgrade` callback runs, typed by the server's `Data`; other results keep working, and a result
 * that is neither an acceptance nor a refusal is a 500. Peer: the `ws` client and raw sockets.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer, type WebSocketConnection } from '../src/index.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

interface User {
  name: string;
  admin: boolean;
}

async function firstMessage(url: string): Promise<string> {
  const client = new WebSocket(url);
  try {
    const [data] = (await within(once(client, 'message'), 5000, `message from ${url}`)) as [Buffer];
    return data.toString();
  } finally {
    client.terminate();
  }
}

describe('authorize with data', { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("hands { data } to connection.data, typed by the server's Data", async () => {
    const { wss, url, port } = await startServer<User>({
      authorize: async (request) => {
        const name = new URL(request.url ?? '/', 'http://x').searchParams.get('user');
        if (name === null) return { status: 401, reason: 'who are you?' };
        return { data: { name, admin: name === 'root' } };
      },
    });
    cleanups.push(() => wss.close());
    expectTypeOf(wss).toEqualTypeOf<WebSocketServer<User>>();
    const seen: User[] = [];
    wss.on('connection', (connection) => {
      expectTypeOf(connection.data).toEqualTypeOf<User>();
      seen.push(connection.data);
      void connection.send(`hello ${connection.data.name}${connection.data.admin ? ' (admin)' : ''}`);
    });
    expect(await firstMessage(`${url}/?user=ada`)).toBe('hello ada');
    expect(await firstMessage(`${url}/?user=root`)).toBe('hello root (admin)');
    const refused = await rawRequest(port, upgradeRequest(port));
    expect(refused.status).toBe(401);
    refused.socket.destroy();
    expect(seen).toEqual([
      { name: 'ada', admin: false },
      { name: 'root', admin: true },
    ]);
    for (const client of wss.clients) expectTypeOf(client).toEqualTypeOf<WebSocketConnection<User>>();
  });

  it('works synchronously and through handleUpgrade; connections accepted without data have undefined', async () => {
    const wss = new WebSocketServer<User | undefined>({
      noServer: true,
      authorize: (request) => (request.url === '/anon' ? true : { data: { name: 'sync', admin: false } }),
    });
    const httpServer = http.createServer();
    httpServer.on('upgrade', (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (connection) => {
        expectTypeOf(connection.data).toEqualTypeOf<User | undefined>();
        void connection.send(connection.data === undefined ? 'anonymous' : `hi ${connection.data.name}`);
      });
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => wss.close(),
    );
    expect(await firstMessage(`ws://127.0.0.1:${port}/named`)).toBe('hi sync');
    expect(await firstMessage(`ws://127.0.0.1:${port}/anon`)).toBe('anonymous');
  });

  it('connection.data is yours to set; without a type argument it is unknown', async () => {
    const { wss, url } = await startServer({ authorize: () => ({ data: 'not inferred' }) });
    cleanups.push(() => wss.close());
    // Data is never inferred from authorize (see the option's comment): without a type argument it is unknown.
    expectTypeOf(wss).toEqualTypeOf<WebSocketServer<unknown>>();
    wss.on('connection', (connection) => {
      const before = connection.data;
      connection.data = { joined: 'now' };
      void connection.send(`${String(before)} then ${JSON.stringify(connection.data)}`);
    });
    expect(await firstMessage(url)).toBe('not inferred then {"joined":"now"}');
    const bare = await startServer();
    cleanups.push(() => bare.wss.close());
    bare.wss.on('connection', (connection) => void connection.send(String(connection.data)));
    expect(await firstMessage(bare.url)).toBe('undefined');
  });

  it('a result that is neither an acceptance nor a refusal is a 500 and an error', async () => {
    const results: unknown[] = [{}, 'yes', 1];
    const { wss, port } = await startServer({
      // What plain JavaScript could return; TypeScript refuses it.
      authorize: (() => results.shift()) as unknown as () => true,
    });
    cleanups.push(() => wss.close());
    const errors: Error[] = [];
    wss.on('error', (error) => errors.push(error));
    for (let i = 0; i < 3; i++) {
      const response = await rawRequest(port, upgradeRequest(port));
      expect(response.status).toBe(500);
      response.socket.destroy();
    }
    expect(errors.map((e) => e.message)).toEqual([
      'authorize returned an object with neither status (a refusal) nor data (an acceptance)',
      'authorize returned string: expected true, false, undefined, { data } or { status }',
      'authorize returned number: expected true, false, undefined, { data } or { status }',
    ]);
  });

  it('types: a server whose Data excludes undefined must accept with { data }', () => {
    // @ts-expect-error `true` would leave connection.data undefined, which User does not allow.
    const bad: WebSocketServer<User> = new WebSocketServer<User>({ noServer: true, authorize: () => true });
    void bad.close();
    const good = new WebSocketServer<User>({ noServer: true, authorize: () => ({ data: { name: 'x', admin: false } }) });
    void good.close();
  });
});
