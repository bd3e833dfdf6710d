// @wsts/ws against the real `ws` package as the peer, both ways, and what ws's suite does not cover:
// the dual ESM/CommonJS shape, our limits kept under ws's API, refused options.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, test } from 'vitest';
import RealWebSocket, { WebSocketServer as RealServer } from 'ws';
import WebSocket, { createWebSocketStream, EMPTY_BUFFER, WebSocketServer } from '../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

async function ourServer(options: ConstructorParameters<typeof WebSocketServer>[0] = { port: 0 }): Promise<WebSocketServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', ...options });
  await once(server, 'listening');
  closers.push(async () => {
    for (const client of server.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return server;
}

async function realServer(options: ConstructorParameters<typeof RealServer>[0] = { port: 0 }): Promise<RealServer> {
  const server = new RealServer({ host: '127.0.0.1', ...options });
  await once(server, 'listening');
  closers.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return server;
}

describe('our server, the ws client', () => {
  test('text, binary, ping and a clean close with code and reason', async () => {
    const server = await ourServer({ port: 0, perMessageDeflate: true });
    server.on('connection', (ws) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    const client = new RealWebSocket(`ws://127.0.0.1:${portOf(server)}/`);
    await once(client, 'open');
    expect(client.extensions).toContain('permessage-deflate');
    client.send('héllo');
    const [text, textBinary] = (await once(client, 'message')) as [Buffer, boolean];
    expect([text.toString(), textBinary]).toEqual(['héllo', false]);
    const bytes = Buffer.alloc(70_000, 7);
    client.send(bytes);
    const [binary, isBinary] = (await once(client, 'message')) as [Buffer, boolean];
    expect(isBinary).toBe(true);
    expect(binary.equals(bytes)).toBe(true);
    client.ping('p');
    const [pong] = (await once(client, 'pong')) as [Buffer];
    expect(pong.toString()).toBe('p');
    const [serverSide] = [...server.clients!];
    const closed = once(serverSide!, 'close');
    client.close(4001, 'bye');
    const [code, reason] = (await closed) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([4001, 'bye']);
  });

  test('a frame error from the ws client reaches our listener with ws words, and the client sees 1002', async () => {
    const server = await ourServer();
    const errors: Error[] = [];
    server.on('connection', (ws) => ws.on('error', (error: Error) => errors.push(error)));
    const client = new RealWebSocket(`ws://127.0.0.1:${portOf(server)}/`);
    await once(client, 'open');
    // An unmasked frame from a client is a protocol error (RFC 6455 section 5.1).
    (client as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.from([0x81, 0x00]));
    const [code] = (await once(client, 'close')) as [number];
    expect(code).toBe(1002);
    expect(errors.map((error) => [error.message, (error as { code?: string }).code])).toEqual([
      ['Invalid WebSocket frame: MASK must be set', 'WS_ERR_EXPECTED_MASK'],
    ]);
  });

  test('maxPayload closes with 1009 (the limit is ours: checked from the frame header)', async () => {
    const server = await ourServer({ port: 0, maxPayload: 1024 });
    // As in ws, an 'error' nobody listens to throws: this server listens.
    server.on('connection', (ws) => ws.on('error', () => {}));
    const client = new RealWebSocket(`ws://127.0.0.1:${portOf(server)}/`);
    await once(client, 'open');
    client.send(Buffer.alloc(2048));
    const [code] = (await once(client, 'close')) as [number];
    expect(code).toBe(1009);
  });
});

describe('our client, the ws server', () => {
  test('open, subprotocol, messages both ways, binaryType, server close', async () => {
    const server = await realServer({
      port: 0,
      perMessageDeflate: true,
      handleProtocols: (protocols) => [...protocols][1] ?? false,
    });
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, ['a', 'b']);
    await once(client, 'open');
    expect(client.protocol).toBe('b');
    expect(client.extensions).toContain('permessage-deflate');
    client.binaryType = 'arraybuffer';
    client.send(new Uint8Array([1, 2, 3]));
    const [data, isBinary] = (await once(client, 'message')) as [ArrayBuffer, boolean];
    expect(isBinary).toBe(true);
    expect([...new Uint8Array(data)]).toEqual([1, 2, 3]);
    client.send('x'.repeat(5000));
    const [text] = (await once(client, 'message')) as [Buffer];
    expect(text.toString()).toBe('x'.repeat(5000));
    const closed = once(client, 'close');
    for (const ws of server.clients) ws.close(1001, 'going');
    const [code, reason] = (await closed) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([1001, 'going']);
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });

  test('a message sent with fin: false goes out whole when fin comes, as one message', async () => {
    const server = await realServer();
    const received = new Promise<string[]>((resolve) => {
      server.on('connection', (ws) => {
        const messages: string[] = [];
        ws.on('message', (data) => {
          messages.push(data.toString());
          if (messages.length === 2) resolve(messages);
        });
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`);
    await once(client, 'open');
    client.send('ab', { fin: false });
    client.send('cd', { fin: false });
    client.send('ef');
    client.send('next');
    expect(await received).toEqual(['abcdef', 'next']);
    client.close();
  });

  test('invalid UTF-8 from the ws server fails our client with ws words and a 1007 close frame', async () => {
    const server = await realServer();
    const serverClose = new Promise<number>((resolve) => {
      server.on('connection', (ws) => {
        ws.on('close', (code) => resolve(code));
        (ws as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.from([0x81, 0x02, 0xc3, 0x28]));
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`);
    const [error] = (await once(client, 'error')) as [Error & { code?: string }];
    expect([error.message, error.code]).toEqual(['Invalid WebSocket frame: invalid UTF-8 sequence', 'WS_ERR_INVALID_UTF8']);
    expect(await serverClose).toBe(1007);
  });

  test('createWebSocketStream pipes through a ws echo', async () => {
    const server = await realServer();
    server.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`);
    const stream = createWebSocketStream(client);
    stream.write('abc');
    const [chunk] = (await once(stream, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('abc');
    stream.destroy();
    await once(stream, 'close');
  });
});

describe('the package surface', () => {
  test('require() returns the class with ws statics, and the ESM default is the same class', () => {
    const require = createRequire(import.meta.url);
    // The ESM build through require(esm) (Node 20.17+ behind --experimental-require-module, where vitest
    // may not run): the CommonJS entry's shape is checked by loading what it re-exports.
    const esm = require('../dist/index.js') as { default: unknown };
    const Class = esm.default as typeof WebSocket;
    expect(Class.WebSocket).toBe(Class);
    expect(Class.Server).toBe(Class.WebSocketServer);
    expect(typeof Class.createWebSocketStream).toBe('function');
    expect([Class.CONNECTING, Class.OPEN, Class.CLOSING, Class.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(EMPTY_BUFFER.length).toBe(0);
  });

  test('skipUTF8Validation: true is refused with a clear TypeError (text is always validated)', () => {
    expect(() => new WebSocket('ws://127.0.0.1:1/', { skipUTF8Validation: true })).toThrow(/skipUTF8Validation is not supported/);
    expect(() => new WebSocketServer({ noServer: true, skipUTF8Validation: true })).toThrow(TypeError);
  });

  test('an unknown server option is a TypeError naming it', () => {
    expect(() => new WebSocketServer({ noServer: true, maxPayLoad: 5 } as never)).toThrow(/"maxPayLoad"/);
  });

  test('the handshake has a default timeout (ws has none): a server that never answers fails in time', async () => {
    const net = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const client = new WebSocket(`ws://127.0.0.1:${portOf(silent)}/`, { handshakeTimeout: 200 });
    // 'close' follows 'error' in the same tick (events.once would reject on that 'error').
    const closed = new Promise<[number]>((resolve) => client.once('close', (code: number) => resolve([code])));
    const [error] = (await once(client, 'error')) as [Error];
    expect(error.message).toBe('Opening handshake has timed out');
    const [code] = await closed;
    expect(code).toBe(1006);
  });
});
