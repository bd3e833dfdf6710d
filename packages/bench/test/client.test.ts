/**
 * The client rows: the peers' framing (firehose and sink, checked with `ws` as the client, an
 * independent implementation), the header walker under awkward splits, each contender's worker end to
 * end on a tiny job, and how the rows are reported. Nothing here times anything.
 */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { Receiver } from 'ws';
import { parseArgs } from '../src/config.js';
import {
  bufferedBound,
  CLIENT_IDS,
  clientCaseName,
  clientsFor,
  cpuMicrosPer,
  type ClientJob,
  type ClientReply,
} from '../src/load/client-job.js';
import { checkBar, checkGoals } from '../src/report/bar.js';
import { chartRatios, renderChart } from '../src/report/chart.js';
import { makeRow, type Row } from '../src/report/row.js';
import { CLIENT_SECTION } from '../src/report/sections.js';
import { renderTables } from '../src/report/table.js';
import { closeFrame, createClientPeer, firehoseUrl, parseSinkReason, sinkUrl } from '../src/servers/client-peer.js';
import { FrameWalker } from '../src/wire/frame-walker.js';
import { BENCH_MASK, buildFrame, OPCODE_BINARY, OPCODE_TEXT } from '../src/wire/frames.js';
import { openWebSocket } from '../src/wire/handshake.js';
import { buildBench, packageDir } from './helpers/built-bench.js';

describe('the frame walker', () => {
  const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70_000];
  const frames = sizes.flatMap((size, i) => [
    buildFrame(Buffer.alloc(size, i), { opcode: OPCODE_BINARY, mask: BENCH_MASK }),
    buildFrame(Buffer.alloc(size, i), { opcode: OPCODE_TEXT, fin: i % 2 === 0 }),
  ]);
  const expected = sizes.flatMap((size, i) => [
    [0x80 | OPCODE_BINARY, 0x80, size],
    [(i % 2 === 0 ? 0x80 : 0) | OPCODE_TEXT, 0, size],
  ]);
  const stream = Buffer.concat(frames);

  function walk(cuts: number[]): number[][] {
    const seen: number[][] = [];
    const walker = new FrameWalker((first, second, length) => seen.push([first, second & 0x80, length]));
    let at = 0;
    for (const cut of [...cuts, stream.length]) {
      walker.push(stream.subarray(at, cut));
      at = cut;
    }
    return seen;
  }

  it('sees every header, masked or not, of every length encoding, in one read', () => {
    expect(walk([])).toEqual(expected);
  });

  it('sees the same headers whatever the reads are cut at', () => {
    // Every cut inside the first few frames (headers split at every byte), then a cut every 7 bytes.
    const head = frames.slice(0, 6).reduce((n, f) => n + f.length, 0);
    for (let cut = 1; cut < head; cut++) expect(walk([cut])).toEqual(expected);
    const sevens = Array.from({ length: Math.floor((stream.length - 1) / 7) }, (_, i) => (i + 1) * 7);
    expect(walk(sevens)).toEqual(expected);
  });

  it('hears each frame end once its whole payload has passed, and counts the ends it is told to per read', () => {
    // Ends are logged with how many stream bytes had been pushed by then: a frame's end may only be heard
    // once its last payload byte is in, and the frames whose FIN bit is set are the ones counted.
    const ends: number[] = [];
    let pushed = 0;
    let fin = false;
    const walker = new FrameWalker(
      (first) => (fin = (first & 0x80) !== 0),
      () => {
        ends.push(pushed);
        return fin;
      },
    );
    const frameEnds = frames.map((_, k) => frames.slice(0, k + 1).reduce((n, f) => n + f.length, 0));
    const counted: number[] = [];
    for (let at = 0; at < stream.length; at += 1000) {
      const read = stream.subarray(at, at + 1000);
      pushed = at + read.length;
      counted.push(walker.push(read));
    }
    expect(ends).toEqual(frameEnds.map((end) => Math.min(stream.length, Math.ceil(end / 1000) * 1000)));
    const finEnds = frameEnds.filter((_, k) => k % 2 === 0 || (k >> 1) % 2 === 0);
    expect(counted).toEqual(counted.map((_, r) => finEnds.filter((end) => end > r * 1000 && end <= (r + 1) * 1000).length));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(finEnds.length);
  });
});

describe('the client peers, with ws as the client', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createClientPeer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Opens ws on `url` and collects every message and the close. */
  async function drain(url: string): Promise<{ messages: [Buffer, boolean][]; code: number; reason: string }> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 24 });
    const messages: [Buffer, boolean][] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => messages.push([data, isBinary]));
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    return { messages, code, reason: String(reason) };
  }

  it('the firehose writes `count` binary messages of `size` bytes, then closes with 1000 "sent <count>"', async () => {
    for (const [size, count] of [
      [0, 5],
      [16, 10_000],
      [125, 300],
      [126, 300],
      [1024, 200],
      [65_535, 3],
      [65_536, 40],
      [70_000, 3],
    ] as const) {
      const { messages, code, reason } = await drain(firehoseUrl(port, size, count));
      expect(messages.length, `${size} x ${count}`).toBe(count);
      const pattern = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff));
      for (const [data, isBinary] of messages) {
        expect(isBinary).toBe(true);
        expect(data.equals(pattern)).toBe(true);
      }
      expect([code, reason]).toEqual([1000, `sent ${count}`]);
    }
  });

  it('the firehose stops when the client closes, answers its close and ends the connection', async () => {
    const ws = new WebSocket(firehoseUrl(port, 1024, 1e9), { perMessageDeflate: false });
    let received = 0;
    ws.on('message', () => {
      if (++received === 5000) ws.close(1000, 'enough');
    });
    const [code] = (await once(ws, 'close')) as [number, Buffer];
    expect(code).toBe(1000);
    expect(received).toBeGreaterThanOrEqual(5000);
    // Bounded: what the kernel's buffers and one batch held when the close arrived (far under 16 MiB of
    // 1 KiB messages), not a stream without end.
    expect(received).toBeLessThan(5000 + 16 * 1024);
  });

  it('the sink counts messages and payload bytes, fragmented or not, and reports them in its close reason', async () => {
    const ws = new WebSocket(sinkUrl(port), { perMessageDeflate: false });
    await once(ws, 'open');
    const sizes = [0, 16, 125, 126, 1024, 65_536, 70_000];
    let bytes = 0;
    for (const size of sizes) {
      ws.send(Buffer.alloc(size, 1));
      ws.send('x'.repeat(size));
      bytes += 2 * size;
    }
    // One message in three fragments: three frames, one message.
    ws.send(Buffer.alloc(10), { fin: false });
    ws.send(Buffer.alloc(20), { fin: false });
    ws.send(Buffer.alloc(30), { fin: true });
    bytes += 60;
    ws.ping(); // control frames are not messages
    ws.close(1000);
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    expect(code).toBe(1000);
    expect(parseSinkReason(String(reason))).toEqual({ messages: 2 * sizes.length + 1, bytes });
  });

  it('the sink refuses an unmasked frame with close 1002', async () => {
    const { socket, leftover } = await openWebSocket({ port, deflate: false, timeoutMs: 5000, path: '/sink' });
    expect(leftover.length).toBe(0);
    const frames: [number, Buffer][] = [];
    // ws's own client-side receiver decodes what the sink answers.
    const receiver = new Receiver({ isServer: false });
    receiver.on('conclude', (...args: unknown[]) => frames.push([args[0] as number, args[1] as Buffer]));
    socket.on('data', (d: Buffer) => receiver.write(d));
    socket.write(buildFrame(Buffer.from('plain'), { opcode: OPCODE_BINARY }));
    await once(socket, 'close');
    expect(frames).toEqual([[1002, Buffer.from('unmasked frame')]]);
  });

  it('answers an unknown path with 404 and a bad firehose request with 400', async () => {
    await expect(openWebSocket({ port, deflate: false, timeoutMs: 5000, path: '/elsewhere' })).rejects.toThrow(/404/);
    await expect(openWebSocket({ port, deflate: false, timeoutMs: 5000, path: '/firehose?size=-1&count=1' })).rejects.toThrow(
      /400/,
    );
    await expect(openWebSocket({ port, deflate: false, timeoutMs: 5000, path: '/firehose?size=16' })).rejects.toThrow(/400/);
  });

  it('builds close frames ws reads back', () => {
    const frames: [number, string][] = [];
    const receiver = new Receiver({ isServer: false });
    receiver.on('conclude', (...args: unknown[]) => frames.push([args[0] as number, String(args[1])]));
    receiver.write(closeFrame(1000, 'received 3 48'));
    expect(frames).toEqual([[1000, 'received 3 48']]);
    expect(parseSinkReason('received 3 48')).toEqual({ messages: 3, bytes: 48 });
    expect(parseSinkReason('sent 3')).toBeUndefined();
  });
});

describe('each contender in its worker', () => {
  let server: Server;
  let port: number;
  let fork: typeof import('../src/load/fork-worker.js');

  beforeAll(async () => {
    // The workers run from dist/, as the orchestrator forks them.
    buildBench();
    fork = (await import(join(packageDir, 'dist/load/fork-worker.js'))) as typeof fork;
    server = createClientPeer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  }, 120_000);
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  for (const client of CLIENT_IDS) {
    for (const direction of ['receive', 'send'] as const) {
      if (!clientsFor(direction).includes(client)) continue;
      it(`${client} ${direction}s 1 KiB messages, checked by the peer or by itself`, async () => {
        const worker = fork.forkWorker('client-worker');
        const job: ClientJob = {
          client,
          direction,
          size: 1024,
          port,
          warmupMs: 50,
          durationMs: 100,
          maxMessages: 1e9,
          window: 64,
          timeoutMs: 15_000,
        };
        worker.send(job);
        const reply = await fork.nextMessage<ClientReply>(worker, 20_000, client);
        await fork.reap(worker);
        if (!reply.ok) throw new Error(reply.error);
        expect(reply.messages).toBeGreaterThan(0);
        expect(reply.cpuMicros).toBeGreaterThan(0);
        if (direction === 'send') expect(reply.peerMessages).toBe(reply.sentMessages);
      });
    }
  }
});

describe('the contenders of each direction', () => {
  it('measures ws with binaryType arraybuffer receiving only (sending, the binary type changes nothing)', () => {
    expect(clientsFor('receive')).toEqual(['ours', 'whatwg', 'ws', 'undici', 'ws-arraybuffer']);
    expect(clientsFor('send')).toEqual(['ours', 'whatwg', 'ws', 'undici']);
  });
});

describe('the client rows in the report', () => {
  const row = (c: string, metric: string, better: 'higher' | 'lower', values: Record<string, number | null>): Row =>
    makeRow({ section: CLIENT_SECTION, case: c, metric, better, bar: 'ws', ratiosAgainstBar: true, values });
  const rows = [
    row('receive 16 B', 'client CPU µs/msg', 'lower', { ours: 0.25, whatwg: 0.5, ws: 0.5, undici: 2 }),
    row('receive 16 B', 'msg/s', 'higher', { ours: 4e6, whatwg: 2e6, ws: 2e6, undici: 5e5 }),
    row('send 64 KiB', 'client CPU µs/msg', 'lower', { ours: 100, whatwg: 125, ws: 100, undici: 200 }),
  ];

  it('reads every contender against ws, ours being connect()', () => {
    expect(rows[0]!.ratio).toBe(2);
    const table = renderTables(rows);
    expect(table).toContain(`### ${CLIENT_SECTION}`);
    expect(table).toMatch(
      /\| +ours \| ours \(WHATWG\) \| +ws \| +undici \| ours vs ws \| ours \(WHATWG\) vs ws \| undici vs ws \|/,
    );
    expect(table).toMatch(
      /\| receive 16 B +\| client CPU µs\/msg +\| +0\.250 \| +0\.500 \| +0\.500 \| +2\.00 \| +2\.00x \| +1\.00x \| +0\.25x \|/,
    );
  });

  it('charts connect() and the WHATWG class against ws, not undici', () => {
    expect(chartRatios(rows[0]!)).toEqual([
      { id: 'ws', ratio: 2 },
      { id: 'whatwg', ratio: 1 },
    ]);
    const svg = renderChart(rows, { title: 't', subtitle: 's' });
    expect(svg).toContain('ours (WHATWG) vs ws');
    expect((svg.match(/<title>/g) ?? []).length).toBe(6);
  });

  it('keeps the client rows out of the bar and reports their targets as goals', () => {
    expect(checkBar(rows).every((c) => c.shortfalls.length === 0)).toBe(true);
    const goals = checkGoals(rows);
    expect(goals.map((g) => [g.criterion, g.met, g.shortfalls])).toEqual([
      ['client: connect() >= 1.5x ws on client CPU per message at 16 B and 1 KiB, >= 1.0x above', true, []],
      ['client: our WHATWG WebSocket >= 1.0x ws on client CPU per message', false, [`${CLIENT_SECTION} / send 64 KiB: 0.80x`]],
    ]);
    // With ws's arraybuffer figures on the receive rows, the WHATWG class is also read against those.
    const withArrayBuffers = [
      row('receive 16 B', 'client CPU µs/msg', 'lower', { ours: 0.25, whatwg: 0.5, ws: 0.5, undici: 2, 'ws-arraybuffer': 1 }),
      rows[2]!,
    ];
    const extra = checkGoals(withArrayBuffers).at(-1)!;
    expect(extra.criterion).toBe(
      'client: our WHATWG WebSocket >= 1.0x ws with binaryType arraybuffer on client CPU per received message',
    );
    expect(extra.shortfalls).toEqual([]);
  });

  it('is a suite of the full run and of the quick one, with its own knobs', () => {
    const full = parseArgs([]);
    expect([...full.suites]).toContain('client');
    expect(full.client.cases.map(clientCaseName)).toEqual([
      'receive 16 B',
      'receive 1 KiB',
      'receive 64 KiB',
      'send 16 B',
      'send 1 KiB',
      'send 64 KiB',
    ]);
    expect(parseArgs(['--quick']).client.cases.length).toBeGreaterThan(0);
    expect([...parseArgs(['--only', 'client']).suites]).toEqual(['client']);
    expect(parseArgs(['--client-rounds', '2', '--client-duration', '500']).client).toMatchObject({ rounds: 2, durationMs: 500 });
    expect(() => parseArgs(['--client-rounds', '0'])).toThrow(/--client-rounds/);
  });

  it('bounds a WHATWG sender by a window of messages and divides CPU per message', () => {
    expect(bufferedBound(1024, 64)).toBe(65_536);
    expect(bufferedBound(0, 64)).toBe(1);
    expect(() => bufferedBound(16, 0)).toThrow(RangeError);
    expect(cpuMicrosPer(2_000_000, 1_000_000)).toBe(2);
    expect(cpuMicrosPer(0, 10)).toBeUndefined();
    expect(cpuMicrosPer(10, 0)).toBeUndefined();
  });
});
