/**
 * Interop with an independent implementation: the `ws` package, over real TCP on 127.0.0.1.
 * Our codec plays the server against a ws client, and the client against a ws server.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { cleanups, openClient, readHead, startServer } from './tcp-helpers.js';

// Once with the codec's defaults, once with the hooks the Node adapter passes (Buffer.allocUnsafe, isUtf8).
for (const [label, hooks] of [
  ['', {}],
  [' (with allocate: Buffer.allocUnsafe, validateUtf8: isUtf8)', { allocate: Buffer.allocUnsafe, validateUtf8: isUtf8 }],
] as const)
  describe(`our server codec against a ws client${label}`, () => {
    it('echoes text, binary, large and fragmented messages, answers pings and completes the close', async () => {
      const events: string[] = [];
      const { port } = await startServer(events, hooks);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['echo']);
      cleanups.push(() => ws.terminate());
      await once(ws, 'open');
      expect(ws.protocol).toBe('echo');
      expect(ws.extensions).toBe(''); // the deflate offer was declined: no negotiator configured

      const received: (string | Buffer)[] = [];
      ws.on('message', (data: Buffer, isBinary: boolean) => received.push(isBinary ? data : data.toString('utf8')));
      const large = Buffer.alloc(300_000, 'x');
      ws.send('hello κόσμε');
      ws.send(Buffer.from([0, 1, 2, 255]));
      ws.send(large);
      ws.send('frag', { fin: false });
      ws.send('men', { fin: false });
      ws.send('ted', { fin: true });
      ws.ping('p');
      const [pong] = (await once(ws, 'pong')) as [Buffer];
      expect(pong.toString()).toBe('p');
      await vi.waitFor(() => expect(received).toHaveLength(4), { timeout: 10_000 });
      expect(received[0]).toBe('hello κόσμε');
      expect(received[1]).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(Buffer.compare(received[2] as Buffer, large)).toBe(0);
      expect(received[3]).toBe('fragmented');

      ws.close(4000, 'bye');
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      expect(code).toBe(4000);
      expect(reason.toString()).toBe('');
      expect(events.slice(-2)).toEqual(['close:4000:bye', 'closed']);
    });

    it('fails invalid UTF-8 from the client with 1007, which ws reports', async () => {
      const events: string[] = [];
      const { port } = await startServer(events, hooks);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      cleanups.push(() => ws.terminate());
      await once(ws, 'open');
      ws.send(Buffer.from([0x68, 0x69, 0xc0, 0xaf]), { binary: false });
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      expect(code).toBe(1007);
      expect(reason.toString()).toMatch(/UTF-8/);
      expect(events).toEqual(['fail:1007']);
    });

    it('rejects a request with a bad version: ws sees the 426', async () => {
      const { port } = await startServer([]);
      const socket = connect(port, '127.0.0.1');
      cleanups.push(() => socket.destroy());
      socket.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 8\r\n\r\n',
      );
      const { lines } = await readHead(socket);
      expect(lines[0]).toMatch(/^HTTP\/1\.1 426/);
      expect(lines).toContain('Sec-WebSocket-Version: 13');
    });
  });

describe('our client codec against a ws server', () => {
  async function startWsServer(): Promise<{ port: number; wss: WebSocketServer }> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      handleProtocols: (set) => (set.has('chat') ? 'chat' : false),
    });
    await once(wss, 'listening');
    cleanups.push(() => {
      for (const client of wss.clients) client.terminate();
      wss.close();
    });
    return { port: (wss.address() as AddressInfo).port, wss };
  }

  it('exchanges messages with masking, fragmentation, pings both ways and a clean close', async () => {
    const { port, wss } = await startWsServer();
    const serverSide: string[] = [];
    wss.on('connection', (peer) => {
      peer.on('message', (data: Buffer, isBinary: boolean) => {
        serverSide.push(isBinary ? `binary ${data.length}` : `text ${data.toString()}`);
        peer.send(data, { binary: isBinary });
      });
      peer.on('pong', (data: Buffer) => serverSide.push(`pong ${data.toString()}`));
      peer.on('close', (code: number, reason: Buffer) => serverSide.push(`close ${code} ${reason.toString()}`));
      peer.ping('from ws');
    });
    const events: string[] = [];
    const { connection, socket, protocol } = await openClient(port, events, ['chat', 'other'], 1000);
    expect(protocol).toBe('chat');
    connection.send('hello ws', false);
    connection.send(new Uint8Array(250_000).fill(7), true);
    connection.ping('ours');
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith('text') || e.startsWith('binary'))).toHaveLength(2), {
      timeout: 10_000,
    });
    expect(events).toContain('text:hello ws');
    expect(events).toContain(`pong:${Buffer.from('ours').toString('hex')}`);
    expect(events).toContain(`ping:${Buffer.from('from ws').toString('hex')}`);
    expect(serverSide).toContain('pong from ws');
    expect(serverSide).toContain('binary 250000');

    connection.close(1000, 'client done');
    await once(socket, 'close'); // the server closes TCP first
    expect(events.slice(-2)).toEqual(['close:1000:client done', 'closed']);
    await vi.waitFor(() => expect(serverSide.at(-1)).toBe('close 1000 client done'), { timeout: 5000 });
  });

  it('answers a server-initiated close and reports its code', async () => {
    const { port, wss } = await startWsServer();
    wss.on('connection', (peer) => peer.close(1001, 'going away'));
    const events: string[] = [];
    const { socket } = await openClient(port, events, ['chat', 'other']);
    await once(socket, 'close');
    expect(events).toEqual(['close:1001:going away', 'closed']);
  });
});
