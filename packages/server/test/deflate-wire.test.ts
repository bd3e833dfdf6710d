/**
 * permessage-deflate over real sockets: defaults, a decompression bomb from a raw client and from a
 * ws server, and a message sent by ws in many small compressed fragments.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';
import {
  PerMessageDeflateServer,
  WebSocketServer,
  ZlibLimiter,
  type WebSocketConnection,
  type WebSocketServerOptions,
} from '../src/index.js';
import { connect, WebSocketConnectError } from '../src/client/index.js';
import type { PerMessageDeflateOptions } from '../src/permessage-deflate/index.js';

const MiB = 1024 * 1024;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(options: Partial<WebSocketServerOptions> = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  const closes: { code: number; reason: string }[] = [];
  server.on('connection', (conn: WebSocketConnection) => {
    conn.on('error', () => undefined);
    conn.on('message', (data, isBinary) => conn.send(data, { binary: isBinary }));
    conn.on('close', (code, reason) => closes.push({ code, reason }));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  cleanups.push(async () => void (await server.close()));
  const { port } = server.httpServer!.address() as AddressInfo;
  return { port, url: `ws://127.0.0.1:${port}/`, closes };
}

/** ~1 MiB of compressed zeros inflating to 1 GiB (sync-flushed blocks repeated). */
function bomb(): Buffer {
  const block = deflateRawSync(Buffer.alloc(16 * MiB), { finishFlush: constants.Z_SYNC_FLUSH });
  return Buffer.concat(Array.from({ length: 64 }, () => block));
}

/** A masked client frame: FIN, RSV1 as given, opcode, payload. */
function clientFrame(opcode: number, payload: Buffer, rsv1: boolean): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

/** Opens a raw TCP connection, upgrades with permessage-deflate, resolves with the socket and 101 head. */
function rawUpgrade(
  port: number,
  extensionHeaders: string[] = ['permessage-deflate'],
): Promise<{ socket: Socket; response: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.once('error', reject);
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        extensionHeaders.map((value) => `Sec-WebSocket-Extensions: ${value}\r\n`).join('') +
        '\r\n',
    );
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ socket, response: buffered.subarray(0, end).toString(), rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
  });
}

describe('defaults', () => {
  it('our client and our server agree on permessage-deflate and compress on the wire', async () => {
    const { url } = await echoServer();
    const conn = await connect(url);
    cleanups.push(() => conn.terminate());
    expect(conn.extensions).toBe('permessage-deflate');
    const text = JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, status: 'online' })));
    const echoed = new Promise<Buffer>((resolve) => conn.once('message', (data) => resolve(Buffer.from(data))));
    conn.send(text);
    expect((await echoed).toString()).toBe(text);
    conn.close(1000);
    await new Promise<void>((resolve) => conn.once('close', () => resolve()));
  });

  it('a ws client with its defaults gets permessage-deflate from our server', async () => {
    const { url } = await echoServer();
    const client = new WebSocket(url);
    cleanups.push(() => client.terminate());
    const header = await new Promise<string | undefined>((resolve, reject) => {
      client.on('upgrade', (res) => resolve(res.headers['sec-websocket-extensions'] as string | undefined));
      client.once('error', reject);
    });
    expect(header).toBe('permessage-deflate');
  });

  it('perMessageDeflate: false turns it off on both sides', async () => {
    const { url } = await echoServer({ perMessageDeflate: false });
    const conn = await connect(url, { perMessageDeflate: false });
    cleanups.push(() => conn.terminate());
    expect(conn.extensions).toBe('');
    const offered = await echoServer();
    const conn2 = await connect(offered.url, { perMessageDeflate: false });
    cleanups.push(() => conn2.terminate());
    expect(conn2.extensions).toBe('');
  });
});

describe('decompression bomb', () => {
  it('a raw client sending 1 GiB in 1 MiB gets 1009 after at most the limit', async () => {
    const { port, closes } = await echoServer({ maxMessageSize: 4 * MiB });
    const { socket, response, rest } = await rawUpgrade(port);
    expect(response).toMatch(/^HTTP\/1\.1 101/);
    expect(response.toLowerCase()).toContain('sec-websocket-extensions: permessage-deflate');
    const payload = bomb();
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const closeFrame = new Promise<Buffer>((resolve) => {
      let buffered = rest;
      const check = () => {
        if (buffered.length >= 4) resolve(buffered);
      };
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        check();
      });
      check();
    });
    socket.write(clientFrame(0x2, payload, true));
    const frame = await closeFrame;
    const elapsed = performance.now() - started;
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(1009);
    // Inflating the whole GiB would take seconds and a GiB of memory.
    expect(elapsed).toBeLessThan(3000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MiB);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closes.length).toBeLessThanOrEqual(1);
  }, 20_000);

  it('a ws server sending 16 MiB of zeros to our client (limit 1 MiB) is answered with 1009', async () => {
    const server = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const peerClose = new Promise<number>((resolve) =>
      server.on('connection', (socket) => {
        socket.on('close', (code) => resolve(code));
        socket.on('error', () => undefined);
        socket.send(Buffer.alloc(16 * MiB));
      }),
    );
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const conn = await connect(`ws://127.0.0.1:${port}/`, { maxMessageSize: MiB });
    cleanups.push(() => conn.terminate());
    conn.on('error', () => undefined);
    const gotMessage = new Promise<boolean>((resolve) => {
      conn.on('message', () => resolve(true));
      conn.on('close', () => resolve(false));
    });
    expect(await peerClose).toBe(1009);
    expect(await gotMessage).toBe(false);
  }, 20_000);
});

describe('many fragments', () => {
  it('a ws client sending one message as 500 compressed fragments is inflated and echoed', async () => {
    const { url } = await echoServer();
    const client = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
    cleanups.push(() => client.terminate());
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
    const parts = Array.from({ length: 500 }, (_, i) => `part ${i} of a long message; `.repeat(3));
    const echoed = new Promise<string>((resolve) => client.once('message', (data) => resolve(String(data))));
    parts.forEach((part, i) => {
      client.send(part, { fin: i === parts.length - 1, compress: true });
    });
    expect(await echoed).toBe(parts.join(''));
  }, 20_000);
});

describe('shared zlib limiter on a server', () => {
  it('100 ws clients compressing at once: every echo is right, never more than 2 zlib jobs at a time', async () => {
    const limiter = new ZlibLimiter(2);
    let peak = 0;
    const run = limiter.run.bind(limiter);
    // Observe the limiter from outside: record how many jobs run whenever one starts.
    limiter.run = <T>(job: () => Promise<T>): Promise<T> =>
      run(() => {
        peak = Math.max(peak, limiter.active);
        return job();
      });
    const { url } = await echoServer({
      perMessageDeflate: false,
      // Inline limits 0: these ~6 KiB messages would otherwise be handled on the main thread, bypassing
      // the limiter this test watches.
      extensions: [new PerMessageDeflateServer({ threshold: 0, inlineDeflateLimit: 0, inlineInflateLimit: 0, limiter })],
    });
    const clients = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const client = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
        cleanups.push(() => client.terminate());
        await new Promise<void>((resolve, reject) => {
          client.once('open', () => resolve());
          client.once('error', reject);
        });
        return client;
      }),
    );
    const results = await Promise.all(
      clients.map(
        (client, i) =>
          new Promise<boolean>((resolve) => {
            const messages = [0, 1, 2].map((k) => `client ${i} message ${k} `.repeat(300));
            const received: string[] = [];
            client.on('message', (data) => {
              received.push(String(data));
              if (received.length === messages.length) resolve(received.every((r, k) => r === messages[k]));
            });
            for (const m of messages) client.send(m);
          }),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
    expect(limiter.active).toBe(0);
  }, 30_000);
});

/** Reads frames the server sends until `count` bytes are there. */
function readBytes(socket: Socket, initial: Buffer, count: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buffered = initial;
    if (buffered.length >= count) return resolve(buffered);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= count) {
        socket.off('data', onData);
        resolve(buffered);
      }
    };
    socket.on('data', onData);
  });
}

describe('negotiation through real headers', () => {
  const extensionsOf = (response: string) => /^sec-websocket-extensions: (.*)$/im.exec(response)?.[1]?.trim();

  it('several offers in one header and over repeated headers: the first acceptable wins', async () => {
    const { port } = await echoServer();
    const { response } = await rawUpgrade(port, [
      'permessage-deflate; server_max_window_bits=20, permessage-deflate; client_max_window_bits; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover; client_max_window_bits, permessage-deflate',
    ]);
    expect(response).toMatch(/^HTTP\/1\.1 101/);
    expect(extensionsOf(response)).toBe('permessage-deflate; server_no_context_takeover');
  });

  it('a quoted parameter value is read after unquoting', async () => {
    const { port } = await echoServer();
    const { response } = await rawUpgrade(port, ['permessage-deflate; server_max_window_bits="10"']);
    expect(extensionsOf(response)).toBe('permessage-deflate; server_max_window_bits=10');
  });

  it('no acceptable offer: the handshake succeeds without the extension', async () => {
    const { port } = await echoServer();
    const { response } = await rawUpgrade(port, ['permessage-deflate; x=1, permessage-deflate; server_no_context_takeover=1']);
    expect(response).toMatch(/^HTTP\/1\.1 101/);
    expect(extensionsOf(response)).toBeUndefined();
  });
});

describe('RSV1 on the wire', () => {
  it('RSV1 on a ping fails the connection with 1002 (control frames are never compressed)', async () => {
    const { port } = await echoServer();
    const { socket, rest } = await rawUpgrade(port);
    socket.write(clientFrame(0x9, Buffer.from('ping'), true));
    const frame = await readBytes(socket, rest, 4);
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(1002);
  });

  it('RSV1 on a continuation frame fails the connection with 1002', async () => {
    const { port } = await echoServer();
    const { socket, rest } = await rawUpgrade(port);
    const compressed = deflateRawSync(Buffer.from('Hello, Hello, Hello'), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(
      0,
      -4,
    );
    const first = clientFrame(0x1, compressed.subarray(0, 4), true);
    first[0] = 0x40 | 0x1; // RSV1, text, FIN clear
    const second = clientFrame(0x0, compressed.subarray(4), true); // continuation with RSV1: not allowed
    socket.write(Buffer.concat([first, second]));
    const frame = await readBytes(socket, rest, 4);
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(1002);
  });

  it('a compressed message split with RSV1 on the first frame only is inflated and echoed', async () => {
    const { port } = await echoServer();
    const { socket, rest } = await rawUpgrade(port);
    const text = 'Hello, Hello, Hello! '.repeat(100);
    const compressed = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const first = clientFrame(0x1, compressed.subarray(0, 5), true);
    first[0] = 0x40 | 0x1;
    const second = clientFrame(0x0, compressed.subarray(5), false);
    socket.write(Buffer.concat([first, second]));
    // The echo is long enough to be compressed: one frame, FIN + RSV1 + text, unmasked.
    const frame = await readBytes(socket, rest, 2);
    expect(frame[0]).toBe(0x80 | 0x40 | 0x1);
    const length = frame[1]! & 0x7f;
    const start = length === 126 ? 4 : 2;
    const payloadLength = length === 126 ? frame.readUInt16BE(2) : length;
    const whole = await readBytes(socket, frame, start + payloadLength);
    const payload = whole.subarray(start, start + payloadLength);
    const inflated = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(inflated.toString()).toBe(text);
  });
});

/** A raw HTTP server answering every upgrade with 101 and the given Sec-WebSocket-Extensions value. */
async function answeringServer(extensions: string): Promise<string> {
  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    let head = '';
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      answered = true;
      const key = /^sec-websocket-key: (.*)$/im.exec(head)?.[1]?.trim() ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('our client fails a response it cannot accept (RFC 7692 section 5)', () => {
  it.each<[string, PerMessageDeflateOptions | undefined, RegExp]>([
    ['permessage-deflate; foo', undefined, /unknown parameter foo/],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', undefined, /duplicated parameter/],
    ['permessage-deflate; client_max_window_bits', undefined, /client_max_window_bits needs a value in a response/],
    ['permessage-deflate; server_max_window_bits=7', undefined, /server_max_window_bits needs a value from 8 to 15/],
    [
      'permessage-deflate; client_max_window_bits=10',
      { clientMaxWindowBits: 'refuse' },
      /client_max_window_bits was not offered/,
    ],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }, /exceeds the offered 10/],
    ['permessage-deflate', { serverNoContextTakeover: 'request' }, /server_no_context_takeover was requested but not accepted/],
  ])(
    '%s (options %j)',
    async (header, options, reason) => {
      const url = await answeringServer(header);
      const attempt = connect(url, { handshakeTimeout: 5000, ...(options ? { perMessageDeflate: options } : {}) });
      const error = await attempt.then(
        (conn) => {
          conn.terminate();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WebSocketConnectError);
      expect((error as WebSocketConnectError).kind).toBe('invalid-extension');
      expect((error as Error).message).toMatch(reason);
    },
    10_000,
  );

  it('accepts the smallest windows and both no-context-takeover flags', async () => {
    const header =
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8';
    const url = await answeringServer(header);
    const conn = await connect(url, { handshakeTimeout: 5000 });
    cleanups.push(() => conn.terminate());
    expect(conn.extensions).toBe(header);
  });
});
