/**
 * One connection can never take the server down: floods from peers that never read, the server-wide
 * memory budget, messages that never finish, and sockets nobody would answer. Every attacker here is a
 * raw socket with hand-built frames, bounded in bytes and time.
 */
import { once } from 'node:events';
import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, ConnectionError, type WebSocketConnection, WebSocketServer } from '../src/index.js';
import { clientFrame, rawRequest, readUntilClose, upgradeRequest } from './helpers/raw.js';
import { closeOf, startEcho, startServer, within } from './helpers/servers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Writes `burst` until `budget` bytes are out, the socket stops taking them for 100 ms, or it closes. */
/**
 * Writes `burst` until `budget` bytes went out or `seconds` passed. A server that stops reading for
 * `patienceMs` ends the flood (its kernel buffers are full).
 */
async function flood(socket: net.Socket, burst: Buffer, budget: number, seconds = 5, patienceMs = 100): Promise<number> {
  let sent = 0;
  const end = Date.now() + seconds * 1000;
  while (sent < budget && Date.now() < end && !socket.destroyed) {
    sent += burst.length;
    if (!socket.write(burst)) {
      // Not events.once: it rejects on 'error', and a reset is an expected end here.
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          socket.off('drain', onDrain);
          resolve(false);
        }, patienceMs);
        const onDrain = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        socket.once('drain', onDrain);
      });
      if (!drained) break; // the server stopped reading: the kernel's buffers are full
    }
  }
  return sent;
}

function burstOf(frame: Buffer, count = 4096): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

/** Largest `memory.outgoing` and `memory.used` seen while `run` runs, sampled every 5 ms. */
async function peakMemory<T>(
  wss: WebSocketServer,
  run: () => Promise<T>,
): Promise<{ result: T; outgoing: number; used: number }> {
  let outgoing = 0;
  let used = 0;
  const timer = setInterval(() => {
    const memory = wss.memory;
    outgoing = Math.max(outgoing, memory.outgoing);
    used = Math.max(used, memory.used);
  }, 5);
  try {
    return { result: await run(), outgoing, used };
  } finally {
    clearInterval(timer);
  }
}

describe('floods and the memory budget', { timeout: 45_000 }, () => {
  let wss: WebSocketServer | undefined;
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await wss?.close();
    wss = undefined;
  });

  async function attacker(port: number): Promise<net.Socket> {
    const response = await rawRequest(port, upgradeRequest(port));
    expect(response.status).toBe(101);
    sockets.push(response.socket);
    // The server may well reset this socket: that is the point.
    response.socket.on('error', () => {});
    // Never read: whatever the server answers piles up in the kernel, then in the server.
    response.socket.pause();
    return response.socket;
  }

  it('a non-reader flooding empty messages at an echo: reading stops, output stays bounded, the heartbeat ends it', async () => {
    const started = await startEcho({ heartbeatInterval: 500, sendHighWaterMark: 256 * KiB });
    wss = started.wss;
    const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const socket = await attacker(started.port);
    const [connection] = await serverSide;
    let received = 0;
    connection.on('message', () => received++);
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const closed = closeOf(connection);
    const empty = clientFrame(1, Buffer.alloc(0));
    const { result: sent, outgoing } = await peakMemory(wss, () => flood(socket, burstOf(empty), 200 * MiB));
    // The server stopped reading long before the attacker stopped writing.
    expect(received).toBeLessThan(sent / empty.length);
    // Queued output never passed the mark by more than what a few 4 KiB slices of 6-byte frames make
    // (a whole 64 KiB read of them would be about 8 MiB of queued answers).
    expect(outgoing).toBeGreaterThan(0);
    expect(outgoing).toBeLessThan(256 * KiB + 2 * MiB);
    const [code] = await within(closed, 15_000, 'heartbeat termination');
    expect(code).toBe(1006);
    expect(errors.some((e) => e instanceof ConnectionError && e.code === 'ERR_HEARTBEAT_TIMEOUT')).toBe(true);
    expect(wss.memory.used).toBe(0);
  });

  it('a non-reader flooding pings gets at most 33 pongs per read and is cut off: at the cap or by the heartbeat', async () => {
    const started = await startEcho({ heartbeatInterval: 500, maxBufferedAmount: 64 * KiB });
    wss = started.wss;
    const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const socket = await attacker(started.port);
    const [connection] = await serverSide;
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const closed = closeOf(connection);
    const ping = clientFrame(9, Buffer.alloc(125, 2));
    const { outgoing } = await peakMemory(wss, () => flood(socket, burstOf(ping, 1024), 64 * MiB));
    // A pong per ping would be ~130 KiB of output per 64 KiB read; coalesced it is 33 pongs at most.
    expect(outgoing).toBeLessThan(64 * KiB);
    await within(closed, 15_000, 'termination');
    // Which comes first depends on how much the kernel's buffers absorbed: the 64 KiB cap, or the
    // heartbeat (the flooder never reads our pings, so it never answers them).
    const codes = errors.map((e) => (e as ConnectionError).code);
    expect(codes.filter((code) => code === 'ERR_HEARTBEAT_TIMEOUT' || code === 'ERR_BUFFER_OVERFLOW')).toHaveLength(1);
  });

  it('a peer that keeps sending but never answers pings is cut after two intervals; one that answers stays', async () => {
    const started = await startEcho({ heartbeatInterval: 200 });
    wss = started.wss;
    const errors: Error[] = [];
    wss.on('connection', (connection) => connection.on('error', (error) => errors.push(error)));
    const mute = new WebSocket(started.url, { autoPong: false });
    const polite = new WebSocket(started.url);
    await Promise.all([once(mute, 'open'), once(polite, 'open')]);
    // Both send all the time: traffic alone must not count as proof that a peer reads.
    const chatter = setInterval(() => {
      if (mute.readyState === WebSocket.OPEN) mute.send('still here');
      if (polite.readyState === WebSocket.OPEN) polite.send('still here');
    }, 20);
    try {
      const [code] = (await within(once(mute, 'close'), 5000, 'the mute client cut off')) as [number];
      expect(code).toBe(1006);
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/no pong/)]);
      await new Promise((r) => setTimeout(r, 600)); // three more intervals
      expect(polite.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(chatter);
      polite.close();
    }
  });

  it('past the budget the connections holding the most are closed with 1013, and a well-behaved client keeps working', async () => {
    // A budget below what one connection may queue on its own (sendHighWaterMark): the budget must act.
    const budget = 1 * MiB;
    const started = await startEcho({ memoryBudget: budget, heartbeatInterval: 0, sendHighWaterMark: 4 * MiB });
    wss = started.wss;
    const errors: Error[] = [];
    wss.on('connection', (connection) => connection.on('error', (error) => errors.push(error)));
    const attackers = await Promise.all([1, 2, 3, 4].map(() => attacker(started.port)));
    const canary = new WebSocket(started.url);
    await once(canary, 'open');
    const sixteen = clientFrame(1, Buffer.alloc(16, 0x61));
    const { used } = await peakMemory(wss, async () => {
      // Patient attackers: the kernel takes megabytes of coalesced replies before the server holds any,
      // and the budget's first answer is to stop reading them for a while.
      await Promise.all(attackers.map((socket) => flood(socket, burstOf(sixteen), 64 * MiB, 8, 2000)));
      // Paused past three quarters of the budget; closed when that lasts (or at the budget itself).
      for (let i = 0; i < 100 && wss!.memory.closed === 0; i++) await new Promise((r) => setTimeout(r, 50));
    });
    expect(wss.memory.closed).toBeGreaterThan(0);
    expect(errors.some((e) => e instanceof ConnectionError && e.code === 'ERR_MEMORY_BUDGET')).toBe(true);
    // Reports come once per flush: the total can pass the budget by what one read makes, no more.
    expect(used).toBeLessThan(budget + 8 * MiB);
    // The canary is served, byte for byte and in order.
    const replies: string[] = [];
    canary.on('message', (data) => replies.push(String(data)));
    for (let i = 0; i < 50; i++) canary.send(`canary ${i}`);
    await within(
      new Promise<void>((resolve) => canary.on('message', () => replies.length === 50 && resolve())),
      5000,
      'canary replies',
    );
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => `canary ${i}`));
    canary.close();
  });

  it('partly received messages count too: the largest is paused, then closed with a 1013 close frame; the rest are kept', async () => {
    const budget = 256 * KiB;
    const started = await startEcho({ memoryBudget: budget, heartbeatInterval: 0 });
    wss = started.wss;
    const opened: WebSocketConnection[] = [];
    wss.on('connection', (connection) => opened.push(connection));
    const big = await rawRequest(started.port, upgradeRequest(started.port));
    const small = await rawRequest(started.port, upgradeRequest(started.port));
    sockets.push(big.socket, small.socket);
    // Headers of binary frames of 100 KiB and 4 MiB, then part of their payloads: 20 KiB (under a quarter,
    // so the decoder keeps what arrived rather than allocating the whole payload), then up to 400 KiB.
    const header = (length: number) => clientFrame(2, Buffer.alloc(length)).subarray(0, 14);
    small.socket.write(Buffer.concat([header(100 * KiB), Buffer.alloc(20 * KiB)]));
    await new Promise((r) => setTimeout(r, 100));
    big.socket.write(header(4 * MiB));
    for (let i = 0; i < 25; i++) big.socket.write(Buffer.alloc(16 * KiB));
    // Past three quarters of the budget the one that grows stops being read (the small one reads on);
    // after a second of pressure it goes.
    await new Promise((r) => setTimeout(r, 300));
    expect(wss.memory.paused).toBe(1);
    expect(wss.memory.used).toBeLessThan(budget);
    const result = await readUntilClose(big.socket, big.rest, 3000);
    expect(result.closeCode).toBe(1013);
    expect(wss.memory.closed).toBe(1);
    // The smaller one still holds its partial message and is still open.
    expect(small.socket.destroyed).toBe(false);
    expect(wss.memory.incoming).toBe(20 * KiB);
    // Back under half the budget: the small one reads again, and its message completes.
    expect(wss.memory.paused).toBe(0);
    const message = once(opened[1]!, 'message');
    small.socket.write(Buffer.alloc(80 * KiB));
    const [data] = (await within(message, 5000, 'the small message')) as [Buffer];
    expect(data.length).toBe(100 * KiB);
  });

  it('inflate output counts while it grows: a message inflating past the budget is closed with 1013 before it ends', async () => {
    const budget = 1 * MiB;
    const started = await startServer({ memoryBudget: budget, heartbeatInterval: 0 });
    wss = started.wss;
    let delivered = 0;
    const errors: Error[] = [];
    wss.on('connection', (connection) => {
      connection.on('message', () => delivered++);
      connection.on('error', (error) => errors.push(error));
    });
    // ws compresses 8 MiB of zeros to a few KiB; past 1 MiB of output our inflate goes on the thread
    // pool, where only its growth reports can tell the budget.
    const client = new WebSocket(started.url, { perMessageDeflate: true });
    await once(client, 'open');
    client.send(Buffer.alloc(8 * MiB));
    const [code] = (await within(once(client, 'close'), 10_000, 'the close')) as [number];
    expect(code).toBe(1013);
    expect(delivered).toBe(0);
    expect(errors.map((e) => (e as ConnectionError).code)).toContain('ERR_MEMORY_BUDGET');
    expect(wss.memory.closed).toBe(1);
  });

  it('a message that takes longer than messageTimeout to arrive is closed with 1008', async () => {
    const started = await startEcho({ messageTimeout: 300 });
    wss = started.wss;
    const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const response = await rawRequest(started.port, upgradeRequest(started.port));
    sockets.push(response.socket);
    const [connection] = await serverSide;
    const errors: Error[] = [];
    connection.on('error', (error) => errors.push(error));
    const frame = clientFrame(1, 'hello');
    // A whole message first: it arrives in time and is echoed.
    response.socket.write(frame);
    // Then a trickle: one byte of the next frame every 100 ms would take 1.1 s.
    const started_ = Date.now();
    let i = 0;
    const trickle = setInterval(() => {
      if (i < frame.length && !response.socket.destroyed) response.socket.write(frame.subarray(i, ++i));
    }, 100);
    try {
      const result = await readUntilClose(response.socket, response.rest, 3000);
      expect(result.frames[0]?.payload.toString()).toBe('hello');
      expect(result.closeCode).toBe(1008);
      expect(Date.now() - started_).toBeLessThan(1000);
      expect(errors.map((e) => (e as ConnectionError).code)).toEqual(['ERR_MESSAGE_TIMEOUT']);
    } finally {
      clearInterval(trickle);
    }
  });

  it('time while the application has paused reading does not count against messageTimeout', async () => {
    const started = await startEcho({ messageTimeout: 200 });
    wss = started.wss;
    const serverSide = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const response = await rawRequest(started.port, upgradeRequest(started.port));
    sockets.push(response.socket);
    const [connection] = await serverSide;
    const frame = clientFrame(1, 'slow but fair');
    response.socket.write(frame.subarray(0, 4));
    await new Promise((r) => setTimeout(r, 50));
    connection.pause();
    await new Promise((r) => setTimeout(r, 500));
    response.socket.write(frame.subarray(4));
    const message = once(connection, 'message');
    connection.resume();
    const [data] = (await within(message, 2000, 'the message')) as [Buffer];
    expect(data.toString()).toBe('slow but fair');
    expect(connection.state).toBe('open');
  });

  it('maxFragments: one frame more than allowed fails with 1008', async () => {
    const started = await startEcho({ maxFragments: 4 });
    wss = started.wss;
    const response = await rawRequest(started.port, upgradeRequest(started.port));
    sockets.push(response.socket);
    const frames = [0, 1, 2, 3, 4].map((i) => clientFrame(i === 0 ? 2 : 0, Buffer.of(i), { fin: i === 4 }));
    response.socket.write(Buffer.concat(frames));
    const result = await readUntilClose(response.socket, response.rest);
    expect(result.closeCode).toBe(1008);
  });

  it('the limits are options of the client too, checked up front', async () => {
    const started = await startEcho();
    wss = started.wss;
    await expect(connect(started.url, { messageTimeout: -1 })).rejects.toThrow(/messageTimeout/);
    await expect(connect(started.url, { maxFragments: 0 })).rejects.toThrow(/maxFragments/);
    await expect(connect(started.url, { sendHighWaterMark: Number.NaN })).rejects.toThrow(/sendHighWaterMark/);
    // A server that trickles a message to the client is cut by the client's own messageTimeout.
    const trickler = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(trickler, 'listening');
    trickler.on('connection', (connection) => {
      // Half a frame header, then nothing: the client must not wait for the rest forever.
      (connection.socket as net.Socket).write(Buffer.of(0x81));
    });
    try {
      const client = await connect(`ws://127.0.0.1:${trickler.port}`, { messageTimeout: 200 });
      const errors: Error[] = [];
      client.on('error', (error) => errors.push(error));
      await within(closeOf(client), 3000, 'client close');
      expect(errors.map((e) => (e as ConnectionError).code)).toContain('ERR_MESSAGE_TIMEOUT');
    } finally {
      await trickler.close();
    }
  });

  it('server options are checked: a budget, a timeout or a cap that makes no sense is a RangeError', () => {
    expect(() => new WebSocketServer({ noServer: true, memoryBudget: 0 })).toThrow(/memoryBudget/);
    expect(() => new WebSocketServer({ noServer: true, messageTimeout: -5 })).toThrow(/messageTimeout/);
    expect(() => new WebSocketServer({ noServer: true, maxFragments: 0.5 })).toThrow(/maxFragments/);
    const server = new WebSocketServer({ noServer: true });
    expect(server.memory).toEqual({
      budget: expect.any(Number),
      used: 0,
      outgoing: 0,
      incoming: 0,
      connections: 0,
      paused: 0,
      closed: 0,
    });
    expect(server.memory.budget).toBeGreaterThan(64 * MiB);
  });
});

describe('every socket gets an answer', { timeout: 10_000 }, () => {
  it('an upgrade to a path the server does not serve gets 404 at once, also with its own port', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/only' });
    await once(wss, 'listening');
    try {
      const started = Date.now();
      const response = await rawRequest(wss.port!, upgradeRequest(wss.port!, {}, 'GET', '/other'));
      expect(response.status).toBe(404);
      expect(Date.now() - started).toBeLessThan(1000);
      response.socket.destroy();
    } finally {
      await wss.close();
    }
  });

  it('a refusal never reflects a long header back: the body stays short', async () => {
    const started = await startEcho();
    try {
      const huge = `permessage-deflate; x=${'"'.repeat(1)}${'a'.repeat(15_000)}`;
      const response = await rawRequest(started.port, upgradeRequest(started.port, { 'Sec-WebSocket-Extensions': huge }));
      expect(response.status).toBe(400);
      expect(response.body.length).toBeLessThan(300);
      expect(response.body).toMatch(/Sec-WebSocket-Extensions/);
      response.socket.destroy();
    } finally {
      await started.wss.close();
    }
  });
});
