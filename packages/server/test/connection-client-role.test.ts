import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptClientHandshake, computeAccept, createClientHandshake } from '@wsts/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer, type WebSocket as WsSocket } from 'ws';
import { WebSocketConnection } from '../src/index.js';
import { closeOf, within } from './helpers/servers.js';

/**
 * WebSocketConnection in the client role, over a socket we upgrade by hand, against the `ws`
 * package's server: the same adapter class the server uses, proven from the other side.
 */
async function openClient(port: number, protocols: string[] = []): Promise<WebSocketConnection> {
  const handshake = createClientHandshake({
    host: `127.0.0.1:${port}`,
    path: '/',
    protocols,
    random: (bytes) => randomFillSync(bytes),
  });
  const request = http.request({ host: '127.0.0.1', port, path: '/', headers: Object.fromEntries(handshake.headers) });
  request.end();
  const [response, socket, head] = (await within(once(request, 'upgrade'), 5000, 'upgrade')) as [
    http.IncomingMessage,
    Duplex,
    Buffer,
  ];
  const accepted = acceptClientHandshake(handshake, response.statusCode ?? 0, response.headers);
  return new WebSocketConnection(socket, head, { role: 'client', protocol: accepted.protocol });
}

describe('WebSocketConnection as a client <-> ws server', { timeout: 15_000 }, () => {
  let server: WsServer | undefined;
  afterEach(async () => {
    if (server !== undefined) {
      for (const c of server.clients) c.terminate();
      await new Promise((r) => server!.close(r));
    }
    server = undefined;
  });

  async function start(): Promise<{ port: number; peer: Promise<WsSocket> }> {
    server = new WsServer({
      port: 0,
      host: '127.0.0.1',
      perMessageDeflate: false,
      handleProtocols: (set) => [...set][0] ?? false,
    });
    await once(server, 'listening');
    const peer = once(server, 'connection').then(([ws]) => ws as WsSocket);
    return { port: (server.address() as AddressInfo).port, peer };
  }

  it('sends masked frames ws accepts: text, binary, fragmented-size payloads', async () => {
    const { port, peer } = await start();
    const client = await openClient(port);
    const ws = await peer;
    const got: { data: Buffer; isBinary: boolean }[] = [];
    ws.on('message', (data: Buffer, isBinary) => got.push({ data, isBinary }));
    await client.send('über');
    await client.send(new Uint8Array([1, 2, 3]));
    await client.send(Buffer.alloc(70_000, 3));
    while (got.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(got[0]).toEqual({ data: Buffer.from('über'), isBinary: false });
    expect(got[1]).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
    expect(got[2]!.data.equals(Buffer.alloc(70_000, 3))).toBe(true);
    client.close();
  });

  it('receives messages, including data in the same TCP packet as the 101 (head bytes)', async () => {
    const { port } = await start();
    // ws sends right after the upgrade: often lands in `head`.
    server!.on('connection', (ws) => {
      ws.send('first');
      ws.send(Buffer.from([9]));
    });
    const client = await openClient(port);
    const got: string[] = [];
    for await (const message of client) {
      got.push(message.binary ? `b${message.data.toString('hex')}` : message.text);
      if (got.length === 2) break;
    }
    expect(got).toEqual(['first', 'b09']);
    client.close();
  });

  it('ping/pong both ways', async () => {
    const { port, peer } = await start();
    const client = await openClient(port);
    const ws = await peer;
    const serverPong = once(ws, 'pong');
    ws.ping('s');
    expect(((await within(once(client, 'ping'), 5000, 'ping')) as [Buffer])[0].toString()).toBe('s');
    await within(serverPong, 5000, 'auto pong');
    const clientPong = once(client, 'pong');
    client.ping('c');
    expect(((await within(clientPong, 5000, 'pong')) as [Buffer])[0].toString()).toBe('c');
  });

  it('client close: ws sees code/reason; the server closes TCP first; wasClean', async () => {
    const { port, peer } = await start();
    const client = await openClient(port);
    const ws = await peer;
    const wsClosed = once(ws, 'close') as Promise<[number, Buffer]>;
    const closed = once(client, 'close') as Promise<[number, string, boolean]>;
    client.close(4001, 'client bye');
    const [code, reason] = await within(wsClosed, 5000, 'ws close');
    expect([code, reason.toString()]).toEqual([4001, 'client bye']);
    expect(await within(closed, 5000, 'client close')).toEqual([4001, 'client bye', true]);
  });

  it('server close: we reply, report code/reason and wasClean', async () => {
    const { port, peer } = await start();
    const client = await openClient(port);
    const ws = await peer;
    const closed = once(client, 'close') as Promise<[number, string, boolean]>;
    ws.close(4002, 'server bye');
    expect(await within(closed, 5000, 'close')).toEqual([4002, 'server bye', true]);
  });

  it('a masked frame from the server is a protocol error (1002)', async () => {
    const httpServer = http.createServer();
    httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
      );
      // A masked text frame "hi": servers must not mask (RFC 6455 section 5.1).
      socket.write(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]));
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('end', () => socket.end()); // http.Server sockets are half-open capable: answer our FIN
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const client = await openClient((httpServer.address() as AddressInfo).port);
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    const [code, , clean] = await within(closeOf(client), 5000, 'close');
    expect(code).toBe(1006);
    expect(clean).toBe(false);
    expect((errors[0] as Error & { code?: number }).code).toBe(1002);
    httpServer.close();
  });
});
