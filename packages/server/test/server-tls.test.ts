import { once } from 'node:events';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer, type WebSocketConnection } from '../src/index.js';
import { runPython } from './helpers/python.js';
import { closeOf, within } from './helpers/servers.js';
import { selfSignedCertificate } from './helpers/tls.js';

/** wss: the server on an https.Server and on its own TLS listener, with a certificate made here. */
describe('wss', { timeout: 20_000 }, () => {
  let pems: { cert: string; key: string };
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    pems = await selfSignedCertificate();
  }, 20_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('attached to an https.Server: echo over TLS, secure=true in authorize, clean close', async () => {
    const httpsServer = https.createServer({ cert: pems.cert, key: pems.key });
    let secure: boolean | undefined;
    const wss = new WebSocketServer({ server: httpsServer, authorize: (_, info) => ((secure = info.secure), true) });
    wss.on('connection', (c) => c.on('message', (data, isBinary) => void c.send(data, { binary: isBinary })));
    httpsServer.listen(0, '127.0.0.1');
    await once(httpsServer, 'listening');
    cleanups.push(
      () => new Promise((r) => httpsServer.close(r)),
      () => wss.close(),
    );
    const port = (httpsServer.address() as AddressInfo).port;

    const accepted = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: pems.cert });
    await within(once(client, 'open'), 5000, 'tls open');
    const [server] = await accepted;
    expect(secure).toBe(true);
    const reply = once(client, 'message') as Promise<[Buffer, boolean]>;
    client.send(Buffer.alloc(100_000, 5));
    const [data, isBinary] = await within(reply, 5000, 'echo');
    expect(isBinary).toBe(true);
    expect(data.equals(Buffer.alloc(100_000, 5))).toBe(true);
    const closed = closeOf(server);
    client.close(1000, 'tls bye');
    expect(await within(closed, 5000, 'close')).toEqual([1000, 'tls bye', true]);
  });

  it('own TLS listener (tls option): python3-websockets verifies our certificate and echoes', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', tls: { cert: pems.cert, key: pems.key } });
    wss.on('connection', (c) => c.on('message', (data, isBinary) => void c.send(data, { binary: isBinary })));
    await once(wss, 'listening');
    cleanups.push(() => wss.close());
    const port = (wss.address() as AddressInfo).port;
    const lines = await runPython(
      `
import asyncio, ssl, sys, websockets
async def main():
    ctx = ssl.create_default_context(cadata=sys.argv[2])
    async with websockets.connect(sys.argv[1], ssl=ctx) as ws:
        await ws.send("secure hello")
        print(await ws.recv())
asyncio.run(main())
`,
      [`wss://127.0.0.1:${port}/`, pems.cert],
    );
    expect(lines).toEqual(['secure hello']);
  });

  it('own TLS listener: a client that never finishes the TLS handshake is dropped after handshakeTimeout', async () => {
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      tls: { cert: pems.cert, key: pems.key },
      handshakeTimeout: 300,
    });
    await once(wss, 'listening');
    cleanups.push(() => wss.close());
    const socket = net.connect(wss.port!, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    const started = Date.now();
    socket.write(Buffer.from([0x16, 0x03, 0x01])); // the first bytes of a ClientHello, then silence
    await within(once(socket, 'close'), 5000, 'dropped');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
