/**
 * The server's 'handshakeRefused' event: one typed report per refused handshake (method, headers,
 * version, unserved path, authorize, timeout, closing, a failing hook), none for accepted ones, and
 * nothing at all without a listener. Peers: raw sockets and the `ws` client.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HandshakeRefusedError, WebSocketServer } from '../src/index.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { startServer, within } from './helpers/servers.js';

/** What a test compares: the report's fields that do not depend on timing. */
function summary(error: HandshakeRefusedError): [string, number, string, string] {
  return [error.kind, error.status, error.reason, error.request.url ?? ''];
}

async function statusOf(port: number, request: string): Promise<number> {
  const response = await rawRequest(port, request);
  response.socket.destroy();
  return response.status;
}

describe("'handshakeRefused'", { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reports every kind of refusal with its status, reason and request, and nothing for an accepted handshake', async () => {
    const { wss, port, url } = await startServer({
      path: '/ws',
      handshakeTimeout: 200,
      authorize: async (request) => {
        const query = new URL(request.url ?? '/', 'http://x').searchParams.get('as');
        if (query === 'nobody') return false;
        if (query === 'guest') return { status: 403, reason: 'guests may not' };
        if (query === 'broken') throw new Error('auth backend down');
        if (query === 'slow') return new Promise<never>(() => {});
        return true;
      },
    });
    cleanups.push(() => wss.close());
    const refusals: HandshakeRefusedError[] = [];
    wss.on('handshakeRefused', (error) => refusals.push(error));
    const errors: Error[] = [];
    wss.on('error', (error) => errors.push(error));

    expect(await statusOf(port, upgradeRequest(port, {}, 'POST', '/ws'))).toBe(405);
    expect(await statusOf(port, upgradeRequest(port, { 'Sec-WebSocket-Key': undefined }, 'GET', '/ws?k'))).toBe(400);
    expect(await statusOf(port, upgradeRequest(port, { 'Sec-WebSocket-Version': '12' }, 'GET', '/ws?v'))).toBe(426);
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/elsewhere'))).toBe(404);
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/ws?as=nobody'))).toBe(401);
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/ws?as=guest'))).toBe(403);
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/ws?as=broken'))).toBe(500);
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/ws?as=slow'))).toBe(503);
    // The ws client is refused the same way and sees the status.
    const refused = new WebSocket(`${url}/ws?as=guest`);
    refused.on('error', () => {});
    const [, response] = (await within(once(refused, 'unexpected-response'), 5000, 'refusal')) as [unknown, http.IncomingMessage];
    expect(response.statusCode).toBe(403);
    refused.terminate();
    // Accepted: no report.
    const accepted = new WebSocket(`${url}/ws?as=member`);
    await within(once(accepted, 'open'), 5000, 'accepted');
    accepted.terminate();

    expect(refusals.every((error) => error instanceof HandshakeRefusedError && error instanceof Error)).toBe(true);
    expect(refusals.map(summary)).toEqual([
      ['method', 405, 'Method POST not allowed: a WebSocket handshake is a GET', '/ws'],
      ['headers', 400, expect.stringContaining('Sec-WebSocket-Key'), '/ws?k'],
      ['version', 426, expect.any(String), '/ws?v'],
      ['path', 404, 'No WebSocket endpoint at /elsewhere', '/elsewhere'],
      ['authorize', 401, 'Unauthorized', '/ws?as=nobody'],
      ['authorize', 403, 'guests may not', '/ws?as=guest'],
      ['internal', 500, 'Internal Server Error', '/ws?as=broken'],
      ['timeout', 503, 'Authorization took too long', '/ws?as=slow'],
      ['authorize', 403, 'guests may not', '/ws?as=guest'],
    ]);
    const internal = refusals[6]!;
    expect((internal.cause as Error).message).toBe('auth backend down');
    expect(errors.map((e) => e.message)).toEqual(['auth backend down']);
    expect(refusals[3]!.message).toBe('WebSocket handshake for /elsewhere refused with 404: No WebSocket endpoint at /elsewhere');
    expect(refusals[0]!.request.headers.upgrade).toBe('websocket');
  });

  it('reports the handshakes close() refuses: waiting for authorize, and arriving while closing', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ noServer: true, authorize: () => new Promise(() => {}) });
    httpServer.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, () => {}));
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as net.AddressInfo).port;
    cleanups.push(() => new Promise((r) => httpServer.close(r)));
    const refusals: HandshakeRefusedError[] = [];
    wss.on('handshakeRefused', (error) => refusals.push(error));
    const waiting = rawRequest(port, upgradeRequest(port, {}, 'GET', '/waiting'));
    await new Promise((r) => setTimeout(r, 50)); // the request is waiting for authorize
    const closing = wss.close();
    const response = await waiting;
    expect(response.status).toBe(503);
    response.socket.destroy();
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/late'))).toBe(503);
    await closing;
    expect(refusals.map(summary)).toEqual([
      ['closing', 503, 'The server is shutting down', '/waiting'],
      ['closing', 503, 'The server is shutting down', '/late'],
    ]);
  });

  it('a server without a listener refuses just the same and does not crash', async () => {
    const { wss, port } = await startServer({ path: '/ws', authorize: () => false });
    cleanups.push(() => wss.close());
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/nope'))).toBe(404);
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/ws'))).toBe(401);
    expect(await statusOf(port, upgradeRequest(port, {}, 'PUT', '/ws'))).toBe(405);
    expect(wss.listenerCount('handshakeRefused')).toBe(0);
  });

  it('several servers on one http.Server each hear of a 404 for a path none of them serves', async () => {
    const httpServer = http.createServer();
    const a = new WebSocketServer({ server: httpServer, path: '/a' });
    const b = new WebSocketServer({ server: httpServer, path: '/b' });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as net.AddressInfo).port;
    cleanups.push(
      () => new Promise((r) => httpServer.close(r)),
      () => a.close(),
      () => b.close(),
    );
    const heard: string[] = [];
    a.on('handshakeRefused', (error) => heard.push(`a ${error.kind} ${error.status}`));
    b.on('handshakeRefused', (error) => heard.push(`b ${error.kind} ${error.status}`));
    expect(await statusOf(port, upgradeRequest(port, {}, 'GET', '/c'))).toBe(404);
    expect(await statusOf(port, upgradeRequest(port, { 'Sec-WebSocket-Version': '8' }, 'GET', '/b'))).toBe(426);
    expect(heard).toEqual(['a path 404', 'b path 404', 'b version 426']);
  });
});
