/**
 * The outbox copies a tick's small frames into a shared slab and reuses that memory once the kernel
 * took a flush whole (outbox.ts). These tests pin down both halves: the memory really is reused, and
 * never while anything may still read it (a socket the kernel refused bytes to, or a stream that is
 * not a kernel socket and may keep what it is given).
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type WebSocketConnection, WebSocketConnection as Connection, type WebSocketServer } from '../src/index.js';
import { startServer } from './helpers/servers.js';
import { recordWrites } from './helpers/socket-writes.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((wss) => wss.close({ timeout: 0 })));
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A message that differs from every other one in every byte position that matters. */
function message(i: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j * 7) & 0xff;
  bytes.writeUInt32BE(i, 0);
  return bytes;
}

async function serverWithClients(count: number) {
  // Room for a large message queued behind a peer that does not read, and the small ones after it.
  const { wss, url } = await startServer({ heartbeatInterval: 0, maxBufferedAmount: 128 * 1024 * 1024 });
  servers.push(wss);
  const sides: WebSocketConnection[] = [];
  wss.on('connection', (connection) => sides.push(connection));
  const clients: { client: WebSocket; received: Buffer[] }[] = [];
  for (let i = 0; i < count; i++) {
    // Without compression: what is sent is what goes on the wire, in the tick it is sent.
    const client = new WebSocket(url, { perMessageDeflate: false });
    const received: Buffer[] = [];
    client.on('message', (data: Buffer) => received.push(data));
    await once(client, 'open');
    clients.push({ client, received });
  }
  while (sides.length < count) await tick();
  return { sides, clients };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the outbox slab', { timeout: 30_000 }, () => {
  it('a flush the kernel took whole leaves its memory to the next flush', async () => {
    const { sides, clients } = await serverWithClients(1);
    const writes = recordWrites(sides[0]!);
    void sides[0]!.send(message(1, 40));
    await until(() => clients[0]!.received.length === 1, 'the first message');
    void sides[0]!.send(message(2, 40));
    await until(() => clients[0]!.received.length === 2, 'the second message');
    expect(clients[0]!.received).toEqual([message(1, 40), message(2, 40)]);
    // Two flushes, each one copied buffer (header and payload): the second in the first one's memory.
    expect(writes).toHaveLength(2);
    expect(writes[1]!.buffer).toBe(writes[0]!.buffer);
    expect(writes[1]!.byteOffset).toBe(writes[0]!.byteOffset);
    for (const { client } of clients) client.terminate();
  });

  it('a peer that stops reading still gets every byte as sent while other connections keep flushing', async () => {
    const { sides, clients } = await serverWithClients(2);
    const [slow, fast] = sides as [WebSocketConnection, WebSocketConnection];
    const slowSocket = slow.socket as Socket;
    // The slow client stops reading; a large message fills the kernel's buffers so that what follows
    // waits in the server's socket.
    clients[0]!.client.pause();
    void slow.send(Buffer.alloc(64 * 1024 * 1024, 0xab));
    await tick();
    expect(slowSocket.writableLength).toBeGreaterThan(0);
    // Small messages, one flush each, alternating: the slow socket's copies stay queued while the
    // fast connection's flushes carve the slab after them.
    const count = 200;
    for (let i = 0; i < count; i++) {
      void slow.send(message(i, 100));
      void fast.send(message(10_000 + i, 100));
      await tick();
    }
    await until(() => clients[1]!.received.length === count, 'the fast client');
    expect(slowSocket.writableLength).toBeGreaterThan(0); // still queued: nothing was read yet
    clients[0]!.client.resume();
    await until(() => clients[0]!.received.length === count + 1, 'the slow client', 20_000);
    expect(clients[0]!.received.slice(1)).toEqual(Array.from({ length: count }, (_, i) => message(i, 100)));
    expect(clients[1]!.received).toEqual(Array.from({ length: count }, (_, i) => message(10_000 + i, 100)));
    for (const { client } of clients) client.terminate();
  });

  it('a stream that keeps what it is given (not a kernel socket) gets memory no later flush writes over', async () => {
    const kept: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        kept.push(chunk); // kept, not copied, and reported written at once
        callback();
      },
    });
    const connection = new Connection(socket, undefined, { role: 'server' });
    for (let i = 0; i < 50; i++) {
      void connection.send(message(i, 60));
      await tick();
    }
    expect(kept).toHaveLength(50);
    kept.forEach((chunk, i) => {
      expect([...chunk.subarray(0, 2)]).toEqual([0x82, 60]);
      expect(chunk.subarray(2)).toEqual(message(i, 60));
    });
    connection.terminate();
  });
});
