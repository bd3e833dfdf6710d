import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketConnection, WebSocketServer } from '../src/index.js';
import { startServer, within } from './helpers/servers.js';

/** Our server against the `ws` package's client: every feature, in both directions. */
describe('server <-> ws client', { timeout: 15_000 }, () => {
  let wss: WebSocketServer | undefined;
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.terminate();
    await wss?.close();
    wss = undefined;
  });

  async function pair(options: Parameters<typeof startServer>[0] = {}, protocols?: string[]) {
    const started = await startServer(options);
    wss = started.wss;
    const accepted = once(started.wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(started.url, protocols);
    clients.push(client);
    await within(once(client, 'open'), 5000, 'client open');
    const [server] = await within(accepted, 5000, 'server connection');
    return { client, server, url: started.url };
  }

  it('server -> client: text, binary, empty, 64 KiB and 1 MiB messages keep their type and bytes', async () => {
    const { client, server } = await pair();
    const received: { data: Buffer; isBinary: boolean }[] = [];
    client.on('message', (data: Buffer, isBinary) => received.push({ data, isBinary }));
    const big = Buffer.alloc(1024 * 1024, 7);
    const mid = Buffer.alloc(65536, 1);
    await server.send('héllo wörld');
    await server.send(Buffer.from([0, 1, 2, 255]));
    await server.send('');
    await server.send(mid);
    await server.send(big);
    await within(
      (async () => {
        while (received.length < 5) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'five messages',
    );
    expect(received[0]).toEqual({ data: Buffer.from('héllo wörld'), isBinary: false });
    expect(received[1]).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    expect(received[2]).toEqual({ data: Buffer.alloc(0), isBinary: false });
    expect(received[3]!.data.equals(mid)).toBe(true);
    expect(received[4]!.data.equals(big)).toBe(true);
  });

  it('client -> server: text, binary and a fragmented message arrive whole with their type', async () => {
    const { client, server } = await pair();
    const received: { data: string; isBinary: boolean }[] = [];
    server.on('message', (data, isBinary) =>
      received.push({ data: isBinary ? data.toString('hex') : data.toString(), isBinary }),
    );
    client.send('grüße');
    client.send(Buffer.from([9, 8, 7]));
    client.send('part one, ', { fin: false });
    client.send('part two, ', { fin: false });
    client.send('end');
    await within(
      (async () => {
        while (received.length < 3) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'three messages',
    );
    expect(received).toEqual([
      { data: 'grüße', isBinary: false },
      { data: '090807', isBinary: true },
      { data: 'part one, part two, end', isBinary: false },
    ]);
  });

  it('server -> client: messages split by fragmentSize arrive whole, text and binary', async () => {
    const { client, server } = await pair({ fragmentSize: 100 });
    const received: { data: Buffer; isBinary: boolean }[] = [];
    client.on('message', (data: Buffer, isBinary) => received.push({ data, isBinary }));
    const text = 'ü'.repeat(1000); // multi-byte characters cut across fragment boundaries
    await server.send(text);
    await server.send(Buffer.alloc(10_001, 9));
    while (received.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(received[0]!.isBinary).toBe(false);
    expect(received[0]!.data.toString()).toBe(text);
    expect(received[1]!.isBinary).toBe(true);
    expect(received[1]!.data.equals(Buffer.alloc(10_001, 9))).toBe(true);
  });

  it('ping/pong in both directions, with payloads', async () => {
    const { client, server } = await pair();
    const clientGotPong = once(client, 'pong');
    client.ping(Buffer.from('from client'));
    const [serverSawPing] = (await within(once(server, 'ping'), 5000, 'server ping')) as [Buffer];
    expect(serverSawPing.toString()).toBe('from client');
    const [pong] = (await within(clientGotPong, 5000, 'client pong')) as [Buffer];
    expect(pong.toString()).toBe('from client');

    const serverGotPong = once(server, 'pong');
    server.ping('from server');
    const [clientSawPing] = (await within(once(client, 'ping'), 5000, 'client ping')) as [Buffer];
    expect(clientSawPing.toString()).toBe('from server');
    const [pong2] = (await within(serverGotPong, 5000, 'server pong')) as [Buffer];
    expect(pong2.toString()).toBe('from server');
  });

  it('server-initiated close: the client sees code and reason, both sides clean', async () => {
    const { client, server } = await pair();
    const clientClosed = once(client, 'close') as Promise<[number, Buffer]>;
    const serverClosed = once(server, 'close') as Promise<[number, string, boolean]>;
    server.close(4000, 'bye');
    expect(server.state).toBe('closing');
    const [code, reason] = await within(clientClosed, 5000, 'client close');
    expect(code).toBe(4000);
    expect(reason.toString()).toBe('bye');
    const [serverCode, , wasClean] = await within(serverClosed, 5000, 'server close');
    expect(serverCode).toBe(4000); // the client echoes the code in its reply
    expect(wasClean).toBe(true);
    expect(server.state).toBe('closed');
  });

  it('client-initiated close: the server sees code and reason, clean', async () => {
    const { client, server } = await pair();
    const serverClosed = once(server, 'close') as Promise<[number, string, boolean]>;
    client.close(4321, 'see you');
    const [code, reason, wasClean] = await within(serverClosed, 5000, 'server close');
    expect([code, reason, wasClean]).toEqual([4321, 'see you', true]);
    const [clientCode] = (await within(once(client, 'close'), 5000, 'client close')) as [number];
    expect(clientCode).toBe(4321);
  });

  it('a close without a code is reported as 1005', async () => {
    const { client, server } = await pair();
    const serverClosed = once(server, 'close') as Promise<[number, string, boolean]>;
    client.close();
    const [code, , wasClean] = await within(serverClosed, 5000, 'server close');
    expect(code).toBe(1005);
    expect(wasClean).toBe(true);
  });

  it('terminate: the client sees 1006, the server wasClean false', async () => {
    const { client, server } = await pair();
    const serverClosed = once(server, 'close') as Promise<[number, string, boolean]>;
    server.terminate();
    const [code] = (await within(once(client, 'close'), 5000, 'client close')) as [number];
    expect(code).toBe(1006);
    const [serverCode, , clean] = await within(serverClosed, 5000, 'server close');
    expect([serverCode, clean]).toEqual([1006, false]);
  });

  it('a client that vanishes is reported with 1006 and wasClean false', async () => {
    const { client, server } = await pair();
    const serverClosed = once(server, 'close') as Promise<[number, string, boolean]>;
    client.terminate();
    const [code, , clean] = await within(serverClosed, 5000, 'server close');
    expect([code, clean]).toEqual([1006, false]);
  });

  it('subprotocol: the server picks one of the offered, both sides agree', async () => {
    const { client, server } = await pair({ selectProtocol: (offered) => offered.find((p) => p === 'chat.v1') }, [
      'chat.v2',
      'chat.v1',
    ]);
    expect(client.protocol).toBe('chat.v1');
    expect(server.protocol).toBe('chat.v1');
  });

  it('send promises settle once written, bufferedAmount returns to 0, sends after close reject with ERR_NOT_OPEN', async () => {
    const { server } = await pair();
    const sending = server.send(Buffer.alloc(256 * 1024));
    expect(server.bufferedAmount).toBe(256 * 1024);
    await sending;
    expect(server.bufferedAmount).toBe(0);
    let called: Error | undefined | null = null;
    await server.send('with callback', (error) => (called = error));
    expect(called).toBeUndefined();
    server.close();
    await expect(server.send('late')).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
  });

  it('async iterator yields messages in order and ends on close', async () => {
    const { client, server } = await pair();
    for (let i = 0; i < 10; i++) client.send(`m${i}`);
    client.send(Buffer.from([1, 2]));
    setTimeout(() => client.close(1000), 100);
    const seen: string[] = [];
    for await (const message of server) seen.push(message.binary ? `bin:${message.data.toString('hex')}` : message.text);
    expect(seen).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i}`), 'bin:0102']);
  });
});
