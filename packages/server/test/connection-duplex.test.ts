import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { clientFrame } from './helpers/raw.js';
import { duplexPair } from './helpers/duplex.js';
import { closeOf, startServer, within } from './helpers/servers.js';

describe('WebSocketConnection over any Duplex', { timeout: 15_000 }, () => {
  it('a server-role and a client-role connection talk over an in-memory pair and close cleanly', async () => {
    const [a, b] = duplexPair();
    const server = new WebSocketConnection(a, undefined, { role: 'server' });
    const client = new WebSocketConnection(b, undefined, { role: 'client' });
    const atServer: string[] = [];
    const atClient: string[] = [];
    server.on('message', (data, isBinary) => {
      atServer.push(isBinary ? data.toString('hex') : data.toString());
      void server.send(data, { binary: isBinary });
    });
    client.on('message', (data, isBinary) => atClient.push(isBinary ? data.toString('hex') : data.toString()));
    await client.send('über');
    await client.send(new Uint8Array([1, 2, 3]));
    await client.send(new Uint16Array([0x0201]).buffer); // an ArrayBuffer
    while (atClient.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(atServer).toEqual(['über', '010203', '0102']);
    expect(atClient).toEqual(atServer);

    const serverClosed = closeOf(server);
    const clientClosed = closeOf(client);
    client.close(1000, 'done');
    expect(await within(serverClosed, 5000, 'server close')).toEqual([1000, 'done', true]);
    // The initiator reports the reply's code and reason (the codec echoes the code, not the reason).
    expect(await within(clientClosed, 5000, 'client close')).toEqual([1000, '', true]);
  });

  it("a client's large frames stay intact in a duplex that keeps what it is given after calling back", async () => {
    // The pair calls back at once and hands the very chunk to the other end, where it waits unread:
    // memory such a stream was given is never written into again (no reuse of masked copies).
    const [a, b] = duplexPair();
    const client = new WebSocketConnection(b, undefined, { role: 'client' });
    const sent = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i + 1));
    for (const message of sent) await client.send(message);
    const server = new WebSocketConnection(a, undefined, { role: 'server' });
    const got: Buffer[] = [];
    server.on('message', (data) => got.push(Buffer.from(data)));
    while (got.length < sent.length) await new Promise((r) => setTimeout(r, 5));
    // Compared as first bytes and equality flags: a diff of 64 KiB buffers would take the runner minutes.
    expect(got.map((m) => m[0])).toEqual(sent.map((m) => m[0]));
    expect(got.map((m, i) => m.equals(sent[i]!))).toEqual(sent.map(() => true));
    server.terminate();
    client.terminate();
  });

  it('head bytes are processed before later data and after listeners are attached', async () => {
    const [a, b] = duplexPair();
    const client = new WebSocketConnection(b, undefined, { role: 'client' });
    // Capture what the client writes, then hand the first half as `head`, the rest as later data.
    const written: Buffer[] = [];
    a.on('data', (chunk: Buffer) => written.push(chunk));
    await client.send('first');
    await client.send('second');
    await new Promise((r) => setImmediate(r));
    a.removeAllListeners('data');
    const bytes = Buffer.concat(written);
    const [c, d] = duplexPair();
    const server = new WebSocketConnection(c, bytes.subarray(0, 9), { role: 'server' });
    const got: string[] = [];
    server.on('message', (data) => got.push(data.toString()));
    d.write(bytes.subarray(9));
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['first', 'second']);
    server.terminate();
    client.terminate();
  });
});

describe('write path', () => {
  it('small frames of a tick are copied into one buffer, a large payload goes beside it uncopied, in one writev', async () => {
    const batches: Buffer[][] = [];
    const socket = new Duplex({
      read() {},
      writev(chunks, callback) {
        batches.push(chunks.map((c) => c.chunk as Buffer));
        callback();
      },
      write(chunk: Buffer, _encoding, callback) {
        batches.push([chunk]);
        callback();
      },
    });
    const connection = new WebSocketConnection(socket, undefined, { role: 'server' });
    const first = Buffer.alloc(1000, 1);
    const second = Buffer.alloc(70_000, 2);
    const sent = Promise.all([connection.send(first), connection.send(second)]);
    await sent;
    expect(batches).toHaveLength(1); // both messages, one writev
    const [batch] = batches;
    // The first frame (4-byte header, payload) and the second's 10-byte header, copied together; the
    // large payload is the caller's buffer (same memory), not a copy.
    expect(batch!.map((c) => c.length)).toEqual([4 + 1000 + 10, 70_000]);
    expect([...batch![0]!.subarray(0, 4)]).toEqual([0x82, 126, 0x03, 0xe8]);
    expect(batch![0]!.subarray(4, 1004).equals(first)).toBe(true);
    expect([...batch![0]!.subarray(1004, 1006)]).toEqual([0x82, 127]);
    expect(batch![1]!.buffer).toBe(second.buffer);
    expect(batch![1]!.byteOffset).toBe(second.byteOffset);
    connection.terminate();
  });

  it('flushOutput hands the frames of the tick to the socket at once, ahead of what an adapter writes itself', async () => {
    const writes: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        writes.push(Buffer.from(chunk));
        callback();
      },
    });
    const connection = new WebSocketConnection(socket, undefined, { role: 'server' });
    connection.ping('x');
    expect(writes).toEqual([]); // waiting in the tick's batch
    connection.flushOutput();
    socket.write(Buffer.alloc(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.map((w) => [...w])).toEqual([[0x89, 1, 0x78], []]);
    connection.terminate();
  });

  it('a burst of small sends in one tick is one socket write', async () => {
    const writes: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk);
        callback();
      },
    });
    const connection = new WebSocketConnection(socket, undefined, { role: 'server' });
    await Promise.all(Array.from({ length: 100 }, (_, i) => connection.send(Buffer.from([i]))));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.length).toBe(100 * 3);
    for (let i = 0; i < 100; i++) expect([...writes[0]!.subarray(i * 3, i * 3 + 3)]).toEqual([0x82, 1, i]);
    connection.terminate();
  });
});

describe('fragmentation', () => {
  it('fragmentSize splits outgoing messages; the peer reassembles them', async () => {
    const frames: Buffer[] = [];
    const [a, b] = duplexPair();
    const server = new WebSocketConnection(a, undefined, { role: 'server', fragmentSize: 1000 });
    b.on('data', (chunk: Buffer) => frames.push(chunk));
    await server.send(Buffer.alloc(2500, 3));
    const wire = Buffer.concat(frames);
    // Three frames: binary (FIN clear) 1000, continuation 1000, continuation (FIN set) 500.
    expect([wire[0], wire[1]]).toEqual([0x02, 126]);
    expect(wire.readUInt16BE(2)).toBe(1000);
    expect(wire[4 + 1000]).toBe(0x00);
    expect(wire[8 + 2000]).toBe(0x80);
    expect(wire.length).toBe(4 + 1000 + 4 + 1000 + 4 + 500);
    server.terminate();
  });
});

describe('read path', () => {
  it('a message inside one read is delivered as a view of that read (unmasked in place, no copy)', async () => {
    const socket = new Duplex({
      read() {},
      write(_c, _e, cb) {
        cb();
      },
    });
    const connection = new WebSocketConnection(socket, undefined, { role: 'server' });
    const chunk = Buffer.concat([clientFrame(2, Buffer.alloc(3000, 7)), clientFrame(1, 'second')]);
    const got: Buffer[] = [];
    connection.on('message', (data) => got.push(data));
    socket.push(chunk);
    while (got.length < 2) await new Promise((r) => setImmediate(r));
    expect(got[0]!.buffer).toBe(chunk.buffer);
    expect(got[0]!.equals(Buffer.alloc(3000, 7))).toBe(true);
    expect(got[1]!.buffer).toBe(chunk.buffer);
    expect(got[1]!.toString()).toBe('second');
    connection.terminate();
  });
});

describe('async iterator backpressure', { timeout: 20_000 }, () => {
  let wss: WebSocketServer | undefined;

  it('a slow for-await consumer pauses reading and still gets every message in order', async () => {
    const started = await startServer();
    wss = started.wss;
    const accepted = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(started.url, { perMessageDeflate: false });
    await within(once(client, 'open'), 5000, 'open');
    const [connection] = await accepted;
    const COUNT = 2000;
    const payload = 'x'.repeat(1000);
    for (let i = 0; i < COUNT; i++) client.send(`${i}:${payload}`);
    let pausedSeen = false;
    let next = 0;
    for await (const message of connection) {
      const index = Number(message.text.split(':')[0]);
      expect(index).toBe(next++);
      if (connection.socket.isPaused()) pausedSeen = true;
      if (next % 100 === 0) await new Promise((r) => setTimeout(r, 2)); // lag behind
      if (next === COUNT) break;
    }
    expect(pausedSeen).toBe(true);
    expect(connection.socket.isPaused()).toBe(false); // resumed once the iterator let go
    client.terminate();
    await wss.close();
  });
});
