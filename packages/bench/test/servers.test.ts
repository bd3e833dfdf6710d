/**
 * The servers the bench adds beside ours and ws: Bun's built-in server (run by the real bun binary from
 * @oven/bun-linux-x64) and the Node floor (a raw `net` echo). Each is started the way the orchestrator
 * starts it (startServer, GC hook preloaded) and driven by `ws` as an independent peer, or by raw frames
 * cut at awkward places and decoded with ws's Receiver. Builds dist/ first: the servers run from there.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { Receiver } from 'ws';
import { buildBench, packageDir } from './helpers/built-bench.js';

// Loaded after the build, from dist/, exactly as the orchestrator runs them.
type ServerProcess = typeof import('../src/servers/server-process.js');
type Kinds = typeof import('../src/servers/server-kinds.js');
type BunBinary = typeof import('../src/servers/bun-binary.js');
let processes: ServerProcess;
let kinds: Kinds;
let bun: BunBinary;

/** Bun's npm package carries a linux x64 binary: there it must be installed, elsewhere its tests are skipped. */
const bunExpected = process.platform === 'linux' && process.arch === 'x64';

beforeAll(async () => {
  buildBench();
  processes = (await import(join(packageDir, 'dist/servers/server-process.js'))) as ServerProcess;
  kinds = (await import(join(packageDir, 'dist/servers/server-kinds.js'))) as Kinds;
  bun = (await import(join(packageDir, 'dist/servers/bun-binary.js'))) as BunBinary;
}, 120_000);

function kind(id: string, deflate = false) {
  const k = kinds.serverKinds({ deflate, withoutAddons: false }).find((x) => x.id === id);
  if (!k) throw new Error(`no server kind ${id}`);
  return k;
}

/** A payload of `size` bytes: printable ASCII for text (valid UTF-8), every byte value for binary. */
function payload(size: number, text: boolean): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (text ? 32 + ((i * 7 + size) % 95) : (i * 31 + size) & 255)));
}

/** Sends each message with the `ws` client and checks what comes back, in order, byte for byte. */
async function echoWithWs(port: number, options: { deflate?: boolean; sizes: number[] }): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: options.deflate ?? false });
  await once(ws, 'open');
  for (const size of options.sizes) {
    for (const text of [false, true]) {
      const sent = payload(size, text);
      const reply = new Promise<[Buffer, boolean]>((r) => ws.once('message', (d: Buffer, isBinary: boolean) => r([d, isBinary])));
      ws.send(sent, { binary: !text });
      const [data, isBinary] = await reply;
      expect(isBinary, `${size} ${text ? 'text' : 'binary'}`).toBe(!text);
      expect(Buffer.compare(data, sent), `${size} ${text ? 'text' : 'binary'}`).toBe(0);
    }
  }
  // A burst: many frames per read on the server side, all answered in order.
  const burst = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1 + (i % 300), i));
  const got: Buffer[] = [];
  const all = new Promise<void>((r) =>
    ws.on('message', (d: Buffer) => {
      if (got.push(d) === burst.length) r();
    }),
  );
  for (const b of burst) ws.send(b);
  await all;
  expect(got.map((b) => b.length)).toEqual(burst.map((b) => b.length));
  expect(got.every((b, i) => b.equals(burst[i]!))).toBe(true);
  return ws;
}

const SIZES = [0, 1, 16, 125, 126, 1024, 65535, 65536, 70_000, 1024 * 1024];

describe('the Node floor', () => {
  let server: Awaited<ReturnType<ServerProcess['startServer']>>;
  beforeAll(async () => {
    server = await processes.startServer(kind('node-floor'));
  });
  afterAll(() => server?.stop());

  it('joins the rows without compression only', () => {
    expect(kinds.serverKinds({ deflate: false, withoutAddons: true }).map((k) => k.id)).toContain('node-floor');
    expect(kinds.serverKinds({ deflate: true, withoutAddons: false }).map((k) => k.id)).not.toContain('node-floor');
  });

  it('completes the handshake ws checks and echoes every size, binary and text, and bursts in order', async () => {
    const ws = await echoWithWs(server.port, { sizes: SIZES });
    ws.close(1000);
    const [code] = (await once(ws, 'close')) as [number];
    // The close frame comes back as it went (the floor echoes it), then the socket ends.
    expect(code).toBe(1000);
  });

  it('answers frames split anywhere across reads, headers included', async () => {
    const frames = [16, 200, 70_000, 3].map((size) => maskedFrame(payload(size, false), 0x2));
    const wire = Buffer.concat(frames);
    // Cuts inside the first header, inside the 16-bit and the 64-bit length, inside a mask key, in payloads.
    const cuts = [1, 3, 7, 20, 23, 26, 228, 231, 236, 240, 5000, 70_000, wire.length - 2];
    const socket = await rawHandshake(server.port);
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    const replies: Buffer[] = [];
    receiver.on('message', (d: Buffer) => replies.push(d));
    socket.on('data', (d: Buffer) => receiver.write(d));
    let from = 0;
    for (const cut of [...cuts, wire.length]) {
      socket.write(wire.subarray(from, cut));
      from = cut;
      // Let each piece arrive as its own read (Nagle is off).
      await new Promise((r) => setTimeout(r, 15));
    }
    const deadline = Date.now() + 5000;
    while (replies.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(replies.map((r) => r.length)).toEqual([16, 200, 70_000, 3]);
    expect(replies.every((r) => r.equals(payload(r.length, false)))).toBe(true);
    socket.destroy();
  });

  it('answers a bad upgrade with 400 and drops an unmasked frame', async () => {
    const plain = connect({ host: '127.0.0.1', port: server.port });
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head] = (await once(plain, 'data')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
    plain.destroy();
    const socket = await rawHandshake(server.port);
    socket.write(Buffer.from([0x82, 0x01, 0x41]));
    await once(socket, 'close');
  });

  it('reports its memory through the GC hook', async () => {
    expect(await server.collectAndMeasure()).toBeGreaterThan(1024 * 1024);
    expect(processes.processCpuSeconds(server.pid)).toBeGreaterThanOrEqual(0);
  });
});

describe.skipIf(!bunExpected)("Bun's built-in server", () => {
  it('is found in @oven/bun-linux-x64 and run directly, with the GC hook preloaded', () => {
    const binary = bun.bunBinary();
    expect(binary).toMatch(/@oven\/bun-linux-x64\/bin\/bun$/);
    const { command, args } = processes.serverCommand(kind('bun'));
    expect(command).toBe(binary);
    expect(args.slice(0, 2)).toEqual(['--preload', join(packageDir, 'dist/servers/gc-hook.js')]);
    expect(() => processes.serverCommand(kind('bun'), ['--cpu-prof'])).toThrow(/do not apply to Bun/);
    expect(processes.serverCommand(kind('ws')).command).toBe(process.execPath);
  });

  it('echoes every size, binary and text; forces a GC; its CPU is read from /proc like any server', async () => {
    const server = await processes.startServer(kind('bun'));
    try {
      const ws = await echoWithWs(server.port, { sizes: SIZES });
      ws.terminate();
      expect(await server.collectAndMeasure()).toBeGreaterThan(1024 * 1024);
      expect(processes.processCpuSeconds(server.pid)).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it('negotiates permessage-deflate and compresses its replies only in the deflate rows', async () => {
    for (const deflate of [true, false]) {
      const server = await processes.startServer(kind('bun', deflate));
      try {
        const ws = await echoWithWs(server.port, { deflate: true, sizes: [16, 4096] });
        expect(ws.extensions.includes('permessage-deflate')).toBe(deflate);
        const socket = await rawHandshake(server.port, deflate);
        socket.write(maskedFrame(Buffer.alloc(2048, 'a'), 0x1));
        const [reply] = (await once(socket, 'data')) as [Buffer];
        // RSV1 marks a compressed message.
        expect((reply[0]! & 0x40) !== 0).toBe(deflate);
        socket.destroy();
        ws.terminate();
      } finally {
        await server.stop();
      }
    }
  });

  it('fans a message from /pub out to every subscriber with server.publish', async () => {
    const fanout = {
      ...kind('bun'),
      script: join(packageDir, 'dist/servers/bun-fanout.js'),
      args: [],
    };
    const server = await processes.startServer(fanout);
    try {
      const subscribers = await Promise.all(
        Array.from({ length: 3 }, async () => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}/sub`);
          await once(ws, 'open');
          return ws;
        }),
      );
      const publisher = new WebSocket(`ws://127.0.0.1:${server.port}/pub`);
      await once(publisher, 'open');
      let echoed = false;
      publisher.on('message', () => (echoed = true));
      // Subscriptions happen in Bun's open handler: a moment for the last one to land.
      await new Promise((r) => setTimeout(r, 50));
      const received = subscribers.map((ws) => once(ws, 'message') as Promise<[Buffer, boolean]>);
      publisher.send(payload(1000, false));
      for (const [data, isBinary] of await Promise.all(received)) {
        expect(isBinary).toBe(true);
        expect(data.equals(payload(1000, false))).toBe(true);
      }
      expect(echoed).toBe(false);
      for (const ws of [...subscribers, publisher]) ws.terminate();
    } finally {
      await server.stop();
    }
  });
});

/** A masked client frame with FIN set (key never zero, as the bench's own frames). */
function maskedFrame(data: Buffer, opcode: number): Buffer {
  const key = Buffer.from([0x5a, 0x13, 0xc7, 0x9e]);
  const len = data.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.alloc(len < 65536 ? 4 : 10);
  if (len >= 126) {
    head[0] = 0x80 | opcode;
    if (len < 65536) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
  }
  const body = Buffer.from(data.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([head, key, body]);
}

/** Opens a raw socket and does the client handshake by hand; resolves once the 101 is in. */
async function rawHandshake(port: number, deflate = false): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
      `Sec-WebSocket-Version: 13\r\n${deflate ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : ''}\r\n`,
  );
  let head = Buffer.alloc(0);
  while (!head.includes('\r\n\r\n')) head = Buffer.concat([head, ((await once(socket, 'data')) as [Buffer])[0]]);
  expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  return socket;
}
