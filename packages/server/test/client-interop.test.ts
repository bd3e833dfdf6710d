/**
 * Our client against independent servers: the `ws` package, Debian's python3-websockets, a raw TCP
 * peer that inspects our frames byte by byte, our own WebSocketServer, and wss with a certificate
 * generated here.
 */
import { once } from 'node:events';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../src/websocket-server.js';
import type { WebSocketConnection } from '../src/websocket-connection.js';
import { connect, WebSocket, WebSocketConnectError } from '../src/client/index.js';
import { startPythonEcho, startRawServer, startWsEcho, switchingProtocols, type RunningPeer } from './fixtures/client-peers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<T extends RunningPeer>(peer: T): T {
  cleanups.push(() => peer.close());
  return peer;
}
function trackConnection(connection: WebSocketConnection): WebSocketConnection {
  cleanups.push(() => connection.terminate());
  return connection;
}

/** Next message of a connection, as text or bytes. */
async function nextMessage(connection: WebSocketConnection): Promise<{ data: Buffer; binary: boolean }> {
  const [data, binary] = (await once(connection, 'message')) as [Buffer, boolean];
  return { data: Buffer.from(data), binary };
}

/** The 'close' event's arguments. (Not `events.once`: it rejects when 'error' comes first.) */
function closeEvent(connection: WebSocketConnection): Promise<[number, string, boolean]> {
  return new Promise((resolve) => connection.once('close', (...args) => resolve(args)));
}

/** Resolves once `done()` holds, polling; rejects after `ms`. */
async function waitUntil(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs the common echo checks of `connect()` against any echo server. */
async function echoChecks(url: string): Promise<void> {
  const connection = trackConnection(await connect(url));
  expect(connection.role).toBe('client');
  await connection.send('hello');
  expect(await nextMessage(connection)).toEqual({ data: Buffer.from('hello'), binary: false });
  await connection.send(new Uint8Array([0, 1, 2, 255]));
  expect(await nextMessage(connection)).toEqual({ data: Buffer.from([0, 1, 2, 255]), binary: true });
  // Larger than one TCP segment and than the 16-bit length form: exercises the 64-bit length and reassembly.
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  await connection.send(big);
  expect((await nextMessage(connection)).data.equals(big)).toBe(true);
  // Order across many small messages, read through the async iterator.
  const iterator = connection.messages();
  const count = 200;
  for (let i = 0; i < count; i++) void connection.send(`m${i}`);
  for (let i = 0; i < count; i++) {
    const { value } = await iterator.next();
    expect(value?.text).toBe(`m${i}`);
  }
  const closed = closeEvent(connection);
  connection.close(1000, 'bye');
  const [code, , wasClean] = await closed;
  expect(code).toBe(1000);
  expect(wasClean).toBe(true);
}

describe('connect() against the ws package', { timeout: 20_000 }, () => {
  it('echoes text, binary, a 300 KB message and 200 ordered messages, then closes cleanly', async () => {
    const echo = track(await startWsEcho());
    await echoChecks(echo.url);
  });

  it('reports the close code and reason the server sends', async () => {
    const echo = track(await startWsEcho());
    const connection = trackConnection(await connect(echo.url));
    const closed = closeEvent(connection);
    await connection.send('close:4321:server says bye');
    expect(await closed).toEqual([4321, 'server says bye', true]);
  });

  it('gets pongs for its pings, and the server sees the close code and reason it sends', async () => {
    const echo = track(await startWsEcho());
    const seen = new Promise<[number, string]>((resolve) => {
      echo.server.on('connection', (socket) => socket.on('close', (code, reason) => resolve([code, reason.toString()])));
    });
    const connection = trackConnection(await connect(echo.url));
    const pong = once(connection, 'pong');
    connection.ping('are you there');
    expect(Buffer.from(((await pong) as [Buffer])[0]).toString()).toBe('are you there');
    connection.close(4000, 'client done');
    expect(await seen).toEqual([4000, 'client done']);
  });

  it('lets the server pick a subprotocol and shows it', async () => {
    const echo = track(await startWsEcho({ handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) }));
    const connection = trackConnection(await connect(echo.url, { protocols: ['v1', 'v2'] }));
    expect(connection.protocol).toBe('v2');
  });

  it('fails with 1006 and wasClean=false when the server drops TCP', async () => {
    const echo = track(await startWsEcho());
    const connection = trackConnection(await connect(echo.url));
    const closed = closeEvent(connection);
    await connection.send('terminate');
    expect(await closed).toEqual([1006, '', false]);
  });
});

describe('client frames on the wire', { timeout: 10_000 }, () => {
  it("masks every frame with a fresh random key and leaves the caller's buffer untouched", async () => {
    const frames: { masked: boolean; mask: string; payload: Buffer }[] = [];
    let gotAll: () => void = () => {};
    const all = new Promise<void>((resolve) => (gotAll = resolve));
    const server = track(
      await startRawServer((request) => {
        request.socket.write(switchingProtocols(request));
        let buffer: Buffer = request.rest;
        const parse = (): void => {
          // Small unfragmented frames only: 7-bit length, mask always checked.
          while (buffer.length >= 2) {
            const second = buffer[1]!;
            const length = second & 0x7f;
            const masked = (second & 0x80) !== 0;
            const headerLength = 2 + (masked ? 4 : 0);
            if (buffer.length < headerLength + length) return;
            const mask = buffer.subarray(2, 6);
            const payload = Buffer.from(buffer.subarray(headerLength, headerLength + length));
            for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
            frames.push({ masked, mask: mask.toString('hex'), payload });
            buffer = buffer.subarray(headerLength + length);
            if (frames.length === 20) gotAll();
          }
        };
        parse();
        request.socket.on('data', (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          parse();
        });
      }),
    );
    const connection = trackConnection(await connect(server.url));
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 0; i < 20; i++) await connection.send(data);
    await all;
    expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(frames.every((frame) => frame.masked)).toBe(true);
    expect(frames.every((frame) => frame.payload.equals(Buffer.from(data)))).toBe(true);
    // 20 independent 32-bit keys: a repeat would mean the key is not fresh per frame.
    expect(new Set(frames.map((frame) => frame.mask)).size).toBe(20);
  });

  it('large messages sent back to back (masked copies reused once written) reach ws intact', async () => {
    // ws checks that every frame is masked; it keeps what arrives, in order.
    const server = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await once(server, 'listening');
    const received: Buffer[] = [];
    server.on('connection', (socket) => socket.on('message', (data: Buffer) => received.push(Buffer.from(data))));
    const connection = trackConnection(await connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`));
    const messageOf = (size: number, seed: number): Buffer => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
      return bytes;
    };
    // Rounds of 64 in flight at once: the later rounds write into the buffers of the earlier ones
    // (each class of size, 4 KiB + 1 to 1 MiB), so a buffer reused too early would show in the bytes.
    const sizes = [65_536, 4097, 8192, 70_000, 1 << 20];
    const sent: Buffer[] = [];
    for (let round = 0; round < 4; round++) {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 64; i++) {
        const message = messageOf(sizes[(i + round) % sizes.length]!, round * 64 + i);
        const copy = Buffer.from(message);
        sent.push(copy);
        sends.push(connection.send(message));
        expect(message.equals(copy)).toBe(true); // the caller's bytes are never touched
      }
      await Promise.all(sends);
    }
    await waitUntil(() => received.length === sent.length);
    for (let i = 0; i < sent.length; i++) expect(received[i]!.equals(sent[i]!)).toBe(true);
  });

  it('masks large frames with a fresh key each while their buffers are reused', async () => {
    const keys: string[] = [];
    const payloads: Buffer[] = [];
    const server = track(
      await startRawServer((request) => {
        request.socket.write(switchingProtocols(request));
        let buffer: Buffer = request.rest;
        const parse = (): void => {
          for (;;) {
            if (buffer.length < 2) return;
            const second = buffer[1]!;
            let length = second & 0x7f;
            let at = 2;
            if (length === 126) {
              if (buffer.length < 4) return;
              length = buffer.readUInt16BE(2);
              at = 4;
            } else if (length === 127) {
              if (buffer.length < 10) return;
              length = Number(buffer.readBigUInt64BE(2));
              at = 10;
            }
            if ((second & 0x80) === 0) throw new Error('unmasked frame');
            if (buffer.length < at + 4 + length) return;
            const mask = buffer.subarray(at, at + 4);
            const payload = Buffer.from(buffer.subarray(at + 4, at + 4 + length));
            for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
            keys.push(mask.toString('hex'));
            payloads.push(payload);
            buffer = buffer.subarray(at + 4 + length);
          }
        };
        request.socket.on('data', (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          parse();
        });
      }),
    );
    const connection = trackConnection(await connect(server.url));
    const data = Buffer.alloc(20_000, 0x5a);
    // One at a time: each send's buffer is back in the pool before the next send takes it.
    for (let i = 0; i < 20; i++) await connection.send(data);
    await waitUntil(() => payloads.length === 20);
    expect(payloads.every((payload) => payload.equals(data))).toBe(true);
    expect(new Set(keys).size).toBe(20);
  });

  it('fails the connection with 1002 when the server sends a masked frame, and the WHATWG class reports error then 1006', async () => {
    const server = track(
      await startRawServer((request) => {
        request.socket.write(switchingProtocols(request));
        // A text frame "hi" with the MASK bit set: servers must not mask (RFC 6455 section 5.1).
        request.socket.write(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]));
      }),
    );
    const connection = trackConnection(await connect(server.url));
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const [code, , wasClean] = await closeEvent(connection);
    expect(code).toBe(1006);
    expect(wasClean).toBe(false);
    expect(errors[0]).toMatchObject({ name: 'ProtocolError', code: 1002 });

    const ws = new WebSocket(server.url);
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      ws.onopen = () => events.push('open');
      ws.onmessage = () => events.push('message');
      ws.onerror = () => events.push('error');
      ws.onclose = (event) => {
        events.push(`close ${event.code} ${event.wasClean}`);
        resolve();
      };
    });
    expect(events).toEqual(['open', 'error', 'close 1006 false']);
  });
});

describe('against Debian python3-websockets', { timeout: 30_000 }, () => {
  it('connect() echoes and closes cleanly', async () => {
    const python = track(await startPythonEcho());
    await echoChecks(python.url);
  });

  it("negotiates the subprotocol python supports and reports python's close code", async () => {
    const python = track(await startPythonEcho(['chat']));
    const connection = trackConnection(await connect(python.url, { protocols: ['superchat', 'chat'] }));
    expect(connection.protocol).toBe('chat');
    const closed = closeEvent(connection);
    await connection.send('close:4002:from python');
    expect(await closed).toEqual([4002, 'from python', true]);
  });

  it('the WHATWG class exchanges messages with python', async () => {
    const python = track(await startPythonEcho());
    const ws = new WebSocket(python.url);
    ws.binaryType = 'nodebuffer';
    const received: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onerror = (event) => reject(event.error);
      ws.onopen = () => {
        ws.send('text from WHATWG');
        ws.send(new Uint8Array([5, 6, 7]));
      };
      ws.onmessage = (event) => {
        received.push(event.data);
        if (received.length === 2) ws.close(1000, 'done');
      };
      ws.onclose = (event) => {
        received.push(`close ${event.code} ${event.reason} ${event.wasClean}`);
        resolve();
      };
    });
    expect(received).toEqual(['text from WHATWG', Buffer.from([5, 6, 7]), 'close 1000 done true']);
  });
});

describe('against our own WebSocketServer', { timeout: 20_000 }, () => {
  async function startOwnEcho(): Promise<RunningPeer & { server: WebSocketServer }> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', selectProtocol: (offered) => offered.at(-1) });
    await once(server, 'listening');
    server.on('connection', (connection) => {
      connection.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        const command = /^close:(\d+):(.*)$/s.exec(text);
        if (command) connection.close(Number(command[1]), command[2]);
        else void connection.send(data, { binary: isBinary });
      });
    });
    const port = (server.address() as AddressInfo).port;
    return { server, port, url: `ws://127.0.0.1:${port}/`, close: async () => void (await server.close()) };
  }

  it('connect() echoes and closes cleanly', async () => {
    const own = track(await startOwnEcho());
    await echoChecks(own.url);
  });

  it('a client with far more in flight than either side buffers, echoed back, never deadlocks', async () => {
    // Both ends ours: the server stops reading a peer that does not take its output, and if the client
    // did the same while the server is not reading it, each would wait on the other forever.
    const own = track(await startOwnEcho());
    const client = trackConnection(await connect(own.url, { perMessageDeflate: false }));
    const count = 256;
    const size = 64 * 1024;
    let received = 0;
    let bytes = 0;
    const all = new Promise<void>((resolve) => {
      client.on('message', (data) => {
        bytes += data.length;
        if (data[0] !== received % 251 || data[size - 1] !== received % 251) throw new Error(`message ${received} out of order`);
        if (++received === count) resolve();
      });
    });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < count; i++) sends.push(client.send(Buffer.alloc(size, i % 251)));
    await Promise.race([
      Promise.all([all, ...sends]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`stalled at ${received} of ${count} echoes`)), 15_000)),
    ]);
    expect(bytes).toBe(count * size);
  });

  it('the server-side connection and the client-side connection are the same class', async () => {
    const own = track(await startOwnEcho());
    const serverSide = once(own.server, 'connection');
    const client = trackConnection(await connect(own.url, { protocols: ['a', 'b'] }));
    const [server] = (await serverSide) as [WebSocketConnection];
    expect(Object.getPrototypeOf(client)).toBe(Object.getPrototypeOf(server));
    expect([client.role, server.role]).toEqual(['client', 'server']);
    expect(client.protocol).toBe('b');
  });
});

describe('wss', { timeout: 30_000 }, () => {
  async function startTlsEcho(): Promise<RunningPeer & { cert: string }> {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    const httpsServer = https.createServer({ key: pems.private, cert: pems.cert });
    const wss = new WsServer({ server: httpsServer });
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    httpsServer.listen(0, '127.0.0.1');
    await once(httpsServer, 'listening');
    const port = (httpsServer.address() as AddressInfo).port;
    return {
      cert: pems.cert,
      port,
      url: `wss://localhost:${port}/`,
      close: () =>
        new Promise<void>((resolve) => {
          for (const client of wss.clients) client.terminate();
          wss.close();
          httpsServer.close(() => resolve());
        }),
    };
  }

  it("connects with the server's certificate as `ca`, refuses an unknown certificate, and connects with rejectUnauthorized=false", async () => {
    const tls = track(await startTlsEcho());
    const trusted = trackConnection(await connect(tls.url, { ca: tls.cert }));
    await trusted.send('over tls');
    expect((await nextMessage(trusted)).data.toString()).toBe('over tls');
    trusted.close();

    const refused = await connect(tls.url).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WebSocketConnectError);
    expect((refused as WebSocketConnectError).kind).toBe('network');
    expect((refused as WebSocketConnectError).message).toMatch(/self[- ]signed|certificate/i);

    const insecure = trackConnection(await connect(tls.url, { rejectUnauthorized: false }));
    await insecure.send('insecure but encrypted');
    expect((await nextMessage(insecure)).data.toString()).toBe('insecure but encrypted');
    insecure.close();
  });

  it('the WHATWG class works over wss with `ca`', async () => {
    const tls = track(await startTlsEcho());
    const ws = new WebSocket(tls.url, undefined, { ca: tls.cert });
    const data = await new Promise<unknown>((resolve, reject) => {
      ws.onerror = (event) => reject(event.error);
      ws.onopen = () => ws.send('tls text');
      ws.onmessage = (event) => resolve(event.data);
    });
    expect(data).toBe('tls text');
    ws.close();
  });
});

describe('permessage-deflate through the client options', { timeout: 20_000 }, () => {
  const text = 'compressible '.repeat(500);

  it('negotiates with ws and round-trips a large text message; the WHATWG class shows the header', async () => {
    const echo = track(await startWsEcho({ perMessageDeflate: true }));
    const connection = trackConnection(await connect(echo.url, { perMessageDeflate: true }));
    expect(connection.extensions).toMatch(/^permessage-deflate/);
    await connection.send(text);
    expect((await nextMessage(connection)).data.toString()).toBe(text);
    connection.close();

    const ws = new WebSocket(echo.url, [], { perMessageDeflate: true });
    const data = await new Promise<unknown>((resolve, reject) => {
      ws.onerror = (event) => reject(event.error);
      ws.onopen = () => ws.send(text);
      ws.onmessage = (event) => resolve(event.data);
    });
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    expect(data).toBe(text);
    ws.close();
  });

  it('negotiates with python3-websockets (which enables it by default)', async () => {
    const python = track(await startPythonEcho());
    const connection = trackConnection(await connect(python.url, { perMessageDeflate: true }));
    expect(connection.extensions).toMatch(/^permessage-deflate/);
    await connection.send(text);
    expect((await nextMessage(connection)).data.toString()).toBe(text);
    connection.close();
  });

  it('offers nothing with perMessageDeflate: false', async () => {
    const echo = track(await startWsEcho({ perMessageDeflate: true }));
    const connection = trackConnection(await connect(echo.url, { perMessageDeflate: false }));
    expect(connection.extensions).toBe('');
    connection.close();
  });
});

describe('first frames in the same packet as the 101', { timeout: 10_000 }, () => {
  it('the WHATWG class fires open before the message that came with the response', async () => {
    const server = track(
      await startRawServer((request) => {
        // One write: the 101 and an unmasked text frame "early", so Node hands the frame over as `head`.
        request.socket.write(
          Buffer.concat([Buffer.from(switchingProtocols(request)), Buffer.from([0x81, 5]), Buffer.from('early')]),
        );
      }),
    );
    const ws = new WebSocket(server.url);
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      ws.onopen = () => events.push(`open readyState=${ws.readyState}`);
      ws.onmessage = (event) => {
        events.push(`message ${String(event.data)}`);
        resolve();
      };
    });
    ws.close();
    expect(events).toEqual(['open readyState=1', 'message early']);
  });
});

describe('connection limits reach the client connection', { timeout: 15_000 }, () => {
  it('maxMessageSize: a larger message from ws fails the connection with 1009 (ws sees it)', async () => {
    const echo = track(await startWsEcho());
    const seen = new Promise<number>((resolve) => {
      echo.server.on('connection', (socket) => socket.on('close', (code) => resolve(code)));
    });
    const connection = trackConnection(await connect(echo.url, { maxMessageSize: 1000 }));
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const closed = closeEvent(connection);
    await connection.send('x'.repeat(1001)); // echoed back: one byte over our limit
    expect(await seen).toBe(1009);
    expect((await closed)[0]).toBe(1006);
    expect(errors[0]).toMatchObject({ name: 'ProtocolError', code: 1009 });
  });

  it('closeTimeout: a server that never answers our close frame is cut off after it', async () => {
    const server = track(await startRawServer((request) => request.socket.write(switchingProtocols(request))));
    const connection = trackConnection(await connect(server.url, { closeTimeout: 200 }));
    connection.on('error', () => {});
    const closed = closeEvent(connection);
    const started = Date.now();
    connection.close(1000);
    expect(await closed).toEqual([1006, '', false]);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('heartbeatInterval: a server that never answers pings is dropped', async () => {
    const server = track(await startRawServer((request) => request.socket.write(switchingProtocols(request))));
    const connection = trackConnection(await connect(server.url, { heartbeatInterval: 100 }));
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    expect((await closeEvent(connection))[0]).toBe(1006);
    expect(errors.some((error) => (error as { code?: string }).code === 'ERR_HEARTBEAT_TIMEOUT')).toBe(true);
  });
});

describe('many clients at once (bounded)', { timeout: 20_000 }, () => {
  it('100 concurrent connect() each echo 20 messages in order through the ws server', async () => {
    const echo = track(await startWsEcho());
    const connections = await Promise.all(Array.from({ length: 100 }, () => connect(echo.url)));
    connections.forEach(trackConnection);
    await Promise.all(
      connections.map(async (connection, index) => {
        const iterator = connection.messages();
        for (let i = 0; i < 20; i++) void connection.send(`${index}:${i}`);
        for (let i = 0; i < 20; i++) expect((await iterator.next()).value?.text).toBe(`${index}:${i}`);
        const closed = closeEvent(connection);
        connection.close();
        expect((await closed)[2]).toBe(true);
      }),
    );
  });
});

describe('bad frames from the server', { timeout: 10_000 }, () => {
  async function failureOf(frame: Buffer): Promise<{ error: Error | undefined; close: [number, string, boolean]; sent: Buffer }> {
    let sent = Buffer.alloc(0);
    const server = track(
      await startRawServer((request) => {
        request.socket.on('data', (chunk: Buffer) => (sent = Buffer.concat([sent, chunk])));
        request.socket.write(switchingProtocols(request));
        request.socket.write(frame);
      }),
    );
    const connection = trackConnection(await connect(server.url));
    let error: Error | undefined;
    connection.on('error', (e) => (error ??= e));
    const close = await closeEvent(connection);
    return { error, close, sent };
  }

  /** The status code of the (masked) close frame our client sent. */
  function closeCodeSent(bytes: Buffer): number {
    expect(bytes[0]).toBe(0x88);
    const mask = bytes.subarray(2, 6);
    return ((bytes[6]! ^ mask[0]!) << 8) | (bytes[7]! ^ mask[1]!);
  }

  it('invalid UTF-8 in a text message: we close with 1007', async () => {
    const { error, close, sent } = await failureOf(Buffer.from([0x81, 0x02, 0xc3, 0x28]));
    expect(error).toMatchObject({ name: 'ProtocolError', code: 1007 });
    expect(close).toEqual([1006, '', false]);
    expect(closeCodeSent(sent)).toBe(1007);
  });

  it('a close frame carrying 1005 (never valid on the wire): we close with 1002', async () => {
    const { error, sent } = await failureOf(Buffer.from([0x88, 0x02, 0x03, 0xed]));
    expect(error).toMatchObject({ name: 'ProtocolError', code: 1002 });
    expect(closeCodeSent(sent)).toBe(1002);
  });

  it('a frame announcing more than maxMessageSize: we close with 1009 before the payload arrives', async () => {
    // 64-bit length 2^40, no payload sent at all.
    const { error, sent } = await failureOf(Buffer.from([0x82, 0x7f, 0, 0, 0x01, 0, 0, 0, 0, 0]));
    expect(error).toMatchObject({ name: 'ProtocolError', code: 1009 });
    expect(closeCodeSent(sent)).toBe(1009);
  });
});

describe('pings from the server', { timeout: 10_000 }, () => {
  it('are answered with a pong carrying the same payload, and surface as events', async () => {
    const echo = track(await startWsEcho());
    const pong = new Promise<string>((resolve) => {
      echo.server.on('connection', (socket) => {
        socket.on('pong', (data) => resolve(data.toString()));
        socket.ping('from ws');
      });
    });
    const connection = trackConnection(await connect(echo.url));
    const ping = once(connection, 'ping');
    expect(await pong).toBe('from ws');
    expect(Buffer.from(((await ping) as [Buffer])[0]).toString()).toBe('from ws');
  });
});

describe('fragmentSize and autoPong reach the client connection', { timeout: 10_000 }, () => {
  it('splits a message into masked frames of at most fragmentSize bytes (first text, then continuations)', async () => {
    const frames: { fin: boolean; opcode: number; length: number }[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => (done = resolve));
    const server = track(
      await startRawServer((request) => {
        request.socket.write(switchingProtocols(request));
        let buffer: Buffer = request.rest;
        const parse = (): void => {
          while (buffer.length >= 6) {
            const length = buffer[1]! & 0x7f; // small frames only
            if (buffer.length < 6 + length) return;
            frames.push({ fin: (buffer[0]! & 0x80) !== 0, opcode: buffer[0]! & 0x0f, length });
            buffer = buffer.subarray(6 + length);
            if (frames.at(-1)!.fin) done();
          }
        };
        parse();
        request.socket.on('data', (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          parse();
        });
      }),
    );
    const connection = trackConnection(await connect(server.url, { fragmentSize: 10, perMessageDeflate: false }));
    await connection.send('a'.repeat(25));
    await all;
    expect(frames).toEqual([
      { fin: false, opcode: 1, length: 10 },
      { fin: false, opcode: 0, length: 10 },
      { fin: true, opcode: 0, length: 5 },
    ]);
  });

  it('autoPong: false leaves pings to the application', async () => {
    const echo = track(await startWsEcho());
    const pongs: string[] = [];
    const pinged = new Promise<void>((resolve) => {
      echo.server.on('connection', (socket) => {
        socket.on('pong', (data) => pongs.push(data.toString()));
        socket.ping('no auto');
        resolve();
      });
    });
    const connection = trackConnection(await connect(echo.url, { autoPong: false }));
    const ping = once(connection, 'ping');
    await pinged;
    await ping;
    // Give an automatic pong (which must not come) time to arrive, then answer by hand.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pongs).toEqual([]);
    const manual = new Promise<void>((resolve) => {
      for (const socket of echo.server.clients) socket.once('pong', () => resolve());
    });
    connection.pong('by hand');
    await manual;
    expect(pongs).toEqual(['by hand']);
  });
});
