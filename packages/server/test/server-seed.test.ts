import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { handleServer, isWebSocketUpgrade, rejectHandshake, upgrade, writeHttpResponse, type Handler } from '../src/index.js';
import { within } from './helpers/servers.js';

/** The seed's API on its own: upgrade checks, handleServer, send(undefined), the final undefined. */
describe('seed API', { timeout: 15_000 }, () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  async function serve(handler: Handler): Promise<string> {
    const run = handleServer(handler);
    server = http.createServer();
    server.on('upgrade', (request: http.IncomingMessage, socket, head: Buffer) => {
      if (!isWebSocketUpgrade(request.headers)) return rejectHandshake(socket, 400, 'not an upgrade');
      const result = upgrade(request.headers);
      if (!result.ok) return rejectHandshake(socket, result.status, result.reason, result.headers);
      writeHttpResponse(socket, 101, result.headers);
      run(socket, head);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('upgrade() returns the 101 headers with the accept value of RFC 6455 section 1.3', () => {
    // RFC 6455 section 1.3's example; cross-checked with node:crypto's SHA-1 below.
    const expected = createHash('sha1').update('dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    expect(expected).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const result = upgrade({
      host: 'server.example.com',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.headers).toContainEqual(['Sec-WebSocket-Accept', expected]);
    expect(isWebSocketUpgrade({ upgrade: 'websocket', connection: 'keep-alive, Upgrade' })).toBe(true);
    expect(isWebSocketUpgrade({ connection: 'keep-alive' })).toBe(false);
  });

  it('the handler sees every message, then undefined once; send(undefined) closes with 1000', async () => {
    const seen: (string | undefined)[] = [];
    const url = await serve((send) => {
      send('hi');
      return (message) => {
        seen.push(message);
        if (message === 'bye') send(undefined);
        else if (message !== undefined) send(`echo ${message}`);
      };
    });
    const client = new WebSocket(url);
    const got: string[] = [];
    client.on('message', (d: Buffer) => got.push(d.toString()));
    await within(once(client, 'open'), 5000, 'open');
    client.send('one');
    client.send(Buffer.from('bin ✓')); // binary reaches the seed handler decoded as UTF-8
    client.send('bye');
    const [code] = (await within(once(client, 'close'), 5000, 'close')) as [number];
    expect(code).toBe(1000);
    while (seen.length < 4) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['one', 'bin ✓', 'bye', undefined]);
    expect(got).toEqual(['hi', 'echo one', 'echo bin ✓']);
  });
});
