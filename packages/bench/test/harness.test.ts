import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Receiver, WebSocketServer } from 'ws';
import { loadCeiling, storeCeiling } from '../src/codec/ceiling.js';
import { parseArgs } from '../src/config.js';
import { windowFor } from '../src/load/echo-job.js';
import { checkBar, checkGoals, PEAK_RSS, peakRssGoal, renderBar } from '../src/report/bar.js';
import { chartPath, chartRatios, renderChart } from '../src/report/chart.js';
import { cpuBusy, machineInfo, wasBusy } from '../src/report/machine.js';
import { advantage, makeRow, roundRatios } from '../src/report/row.js';
import { fairness, median, percentileSorted } from '../src/report/stats.js';
import { renderTables } from '../src/report/table.js';
import { formatSize } from '../src/report/units.js';
import { asciiPayload, BENCH_MASK, buildFrame, mixedUtf8Payload, OPCODE_BINARY, OPCODE_TEXT } from '../src/wire/frames.js';
import { peakRss, resetPeakRss } from '../src/servers/server-process.js';
import { openWebSocket, sourceAddress } from '../src/wire/handshake.js';

describe('statistics', () => {
  it('takes the median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
  it('reports nearest-rank percentiles that were observed', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(sorted, 50)).toBe(50);
    expect(percentileSorted(sorted, 99)).toBe(99);
    expect(percentileSorted(sorted, 100)).toBe(100);
    expect(percentileSorted(new Float64Array(0), 50)).toBeNaN();
  });
});

describe('ratios and rows', () => {
  it('orients the ratio so that >= 1 means ours is as good or better', () => {
    expect(advantage(200, 100, 'higher')).toBe(2);
    expect(advantage(5, 10, 'lower')).toBe(2);
    expect(advantage(null, 10, 'lower')).toBeNull();
  });
  it('marks a row with a missing figure as not completed, and the table says so', () => {
    const ok = makeRow({ section: 's', case: '1 KiB', metric: 'MB/s', better: 'higher', bar: 'ws', values: { ours: 3, ws: 2 } });
    const bad = makeRow({
      section: 's',
      case: '1 MiB',
      metric: 'MB/s',
      better: 'higher',
      bar: 'ws',
      values: { ours: null, ws: 2 },
      error: 'boom',
    });
    expect(ok.completed).toBe(true);
    expect(ok.ratio).toBe(1.5);
    expect(bad.completed).toBe(false);
    const table = renderTables([ok, bad]);
    expect(table).toContain('1.50x');
    expect(table).toContain('FAILED: 1 MiB MB/s: boom');
  });
});

describe('the bar', () => {
  const row = (section: string, c: string, metric: string, ours: number, ws: number, better: 'higher' | 'lower' = 'higher') =>
    makeRow({ section, case: c, metric, better, bar: 'ws', values: { ours, ws } });
  it('needs 1.0x everywhere, 1.5x on small echo throughput, and no more memory than ws', () => {
    const passing = [
      row('echo (no compression)', '16 B x 64 conns', 'msg/s', 160, 100),
      row('echo (no compression)', '1 KiB x 1 conn', 'p99 ms', 1, 1, 'lower'),
      row('echo (no compression)', '64 KiB x 1 conn', 'msg/s', 100, 100),
      row('scale (idle connections)', '10,000 conns', 'RSS/conn KiB', 5, 6, 'lower'),
    ];
    expect(checkBar(passing).map((c) => c.met)).toEqual([true, true, true]);
    const failing = [
      row('echo (no compression)', '1 KiB x 64 conns', 'msg/s', 120, 100),
      row('scale (idle connections)', '10,000 conns', 'RSS/conn KiB', 7, 6, 'lower'),
    ];
    const checks = checkBar(failing);
    expect(checks.map((c) => c.met)).toEqual([false, false, false]);
    expect(checks[1]!.shortfalls).toEqual(['echo (no compression) / 1 KiB x 64 conns / msg/s: 1.20x']);
  });
});

describe('Bun and the Node floor in the reports', () => {
  const echo = (metric: string, better: 'higher' | 'lower', values: Record<string, number>) =>
    makeRow({ section: 'echo (no compression)', case: '16 B x 64 conns', metric, better, bar: 'ws', values });
  const fanout = (ours: number, ws: number, bun: number) =>
    makeRow({
      section: 'fanout (one publisher)',
      case: '1 KiB x 100 subs',
      metric: 'server CPU µs/delivery',
      better: 'lower',
      bar: 'ws',
      values: { ours, ws, bun },
    });

  it('shows Bun by name and the floor last, with how far ours is from it and a note saying what it is', () => {
    const table = renderTables([
      echo('msg/s', 'higher', { ours: 400, ws: 100, 'node-floor': 800, bun: 500 }),
      echo('p50 ms', 'lower', { ours: 2, ws: 8, 'node-floor': 1, bun: 1 }),
    ]);
    const header = table.split('\n').find((l) => l.startsWith('| case'))!;
    expect(header.split('|').map((c) => c.trim())).toEqual([
      '',
      'case',
      'metric',
      'ours',
      'ws',
      'Bun',
      'Node floor',
      'vs ws',
      'vs Bun',
      'vs Node floor',
      '',
    ]);
    const msg = table.split('\n').find((l) => l.includes('msg/s'))!;
    expect(msg).toMatch(/4\.00x \| +0\.80x \| +0\.50x \|$/);
    const p50 = table.split('\n').find((l) => l.includes('p50 ms'))!;
    expect(p50).toMatch(/4\.00x \| +0\.50x \| +0\.50x \|$/);
    expect(table).toContain('"vs Node floor": ours against a raw `net` echo');
    // No floor measured, no floor note.
    expect(renderTables([fanout(1, 2, 1)])).not.toContain('Node floor');
  });

  it('reports the fan-out goals beside the bar without making them part of it', () => {
    const goals = checkGoals([fanout(1, 3.5, 0.9)]);
    expect(goals.map((g) => [g.criterion, g.met])).toEqual([
      ['fanout: >= 3x ws on deliveries per server CPU-second', true],
      ['fanout: >= 1x Bun on deliveries per server CPU-second', false],
    ]);
    expect(goals[1]!.shortfalls).toEqual(['fanout (one publisher) / 1 KiB x 100 subs: 0.90x']);
    const text = renderBar([...checkBar([fanout(1, 3.5, 0.9)]), ...goals]);
    expect(text).toContain('- MET: >= 1.0x ws (native add-ons) on every row');
    expect(text).toContain('Goals beside the bar (informational, not part of it):\n\n- met: fanout: >= 3x ws');
    expect(text).toContain(
      '- not met: fanout: >= 1x Bun on deliveries per server CPU-second\n  - fanout (one publisher) / 1 KiB x 100 subs: 0.90x',
    );
    // Without Bun in the run, no Bun goal; without a fan-out suite, no goals.
    expect(checkGoals([makeRow({ ...fanout(1, 3, 1), values: { ours: 1, ws: 3 } })])).toHaveLength(1);
    expect(checkGoals([echo('msg/s', 'higher', { ours: 1, ws: 1 })])).toEqual([]);
  });

  it('reports peak RSS under 16 B x 64 as a goal beside the bar, never as a row of the bar', () => {
    const peak = (ours: number, ws: number) =>
      makeRow({
        section: 'echo (no compression)',
        case: '16 B x 64 conns',
        metric: PEAK_RSS,
        better: 'lower',
        bar: 'ws',
        values: { ours, ws },
      });
    expect(checkBar([peak(120, 60)])[0]).toMatchObject({ met: true, shortfalls: [] });
    expect(peakRssGoal([peak(50, 60)])).toMatchObject({ met: true, informational: true });
    expect(peakRssGoal([peak(120, 60)])).toMatchObject({
      met: false,
      shortfalls: ['echo (no compression) / 16 B x 64 conns: 0.50x'],
    });
    expect(checkGoals([peak(120, 60)]).map((g) => g.criterion)).toEqual(['echo: peak server RSS under 16 B x 64 <= ws']);
    expect(peakRssGoal([echo('msg/s', 'higher', { ours: 1, ws: 1 })])).toBeUndefined();
  });

  it('draws every ratio as a well-formed, self-contained SVG', () => {
    const rows = [
      echo('msg/s', 'higher', { ours: 400, ws: 100, 'node-floor': 800, bun: 500 }),
      echo('p99 ms', 'lower', { ours: 2, ws: 1000, 'node-floor': 1, bun: 1 }),
      makeRow({ ...echo('MB/s', 'higher', { ours: 1, ws: 1 }), values: { ours: null, ws: 1, bun: 2 } }),
      makeRow({
        section: 'codec: <decode> & "encode"',
        case: '1 KiB',
        metric: 'MB/s',
        better: 'higher',
        bar: 'ws',
        values: { ours: 2, ws: 1 },
      }),
      fanout(1, 3.5, 0.9),
    ];
    expect(chartRatios(rows[0]!)).toEqual([
      { id: 'ws', ratio: 4 },
      { id: 'bun', ratio: 0.8 },
      { id: 'node-floor', ratio: 0.5 },
    ]);
    const svg = renderChart(rows, { title: 'ratios', subtitle: 'a <test> run' });
    expect(svg).not.toMatch(/<script|href=|@import|url\(/);
    // Parsed by an independent XML parser (Python's), which rejects anything not well-formed.
    const summary = execFileSync(
      'python3',
      [
        '-c',
        [
          'import sys, xml.etree.ElementTree as E',
          'root = E.fromstring(sys.stdin.read())',
          'ns = "{http://www.w3.org/2000/svg}"',
          'print(root.tag)',
          'print(sum(1 for r in root.iter(ns + "rect") if r.find(ns + "title") is not None))',
          'print("|".join(t.text or "" for t in root.iter(ns + "text")))',
        ].join('\n'),
      ],
      { input: svg, encoding: 'utf8' },
    ).split('\n');
    expect(summary[0]).toBe('{http://www.w3.org/2000/svg}svg');
    // One bar (with its tooltip) per ratio with a figure: 3 + 3 + 0 (ours missing: text only) + 1 + 2.
    expect(Number(summary[1])).toBe(9);
    const texts = summary[2]!.split('|');
    expect(texts).toContain('codec: <decode> & "encode"');
    expect(texts).toContain('4.00x');
    expect(texts).toContain('500.00x');
    expect(texts).toContain('ours vs ws: no figure');
    expect(chartPath('/x/results/run.json')).toBe('/x/results/run.svg');
  });
});

describe('paired rounds of a short row', () => {
  const sampled = (ours: number[], ws: number[], better: 'higher' | 'lower' = 'higher') =>
    makeRow({
      section: 'echo (no compression)',
      case: '64 KiB x 1 conn',
      metric: better === 'higher' ? 'msg/s' : 'p50 ms',
      better,
      bar: 'ws',
      values: { ours: median(ours), ws: median(ws) },
      samples: { ours, ws },
    });

  it('compares ours with the bar round by round, oriented like the ratio', () => {
    expect(roundRatios(sampled([90, 120, 50], [100, 100, 100]))).toEqual([0.9, 1.2, 0.5]);
    expect(roundRatios(sampled([2, 1], [1, 1], 'lower'))).toEqual([0.5, 1]);
    expect(
      roundRatios(makeRow({ section: 's', case: 'c', metric: 'm', better: 'higher', bar: 'ws', values: { ours: 1, ws: 2 } })),
    ).toEqual([]);
  });

  it('says in how many rounds a short row was short, and counts the rows short in every round', () => {
    const consistent = sampled([90, 80, 95], [100, 100, 100]);
    const mixed = sampled([90, 120, 50], [100, 100, 100]);
    const [every] = checkBar([consistent, mixed]);
    expect(every!.shortfalls).toEqual([
      'echo (no compression) / 64 KiB x 1 conn / msg/s: 0.90x (under 1.0x in 3 of 3 rounds, 0.80-0.95x)',
      'echo (no compression) / 64 KiB x 1 conn / msg/s: 0.90x (under 1.0x in 2 of 3 rounds, 0.50-1.20x)',
    ]);
    expect(every!.behindEveryRound).toBe(1);
    expect(renderBar([every!])).toContain(
      'NOT MET: >= 1.0x ws (native add-ons) on every row (2 row(s) short, 1 of them short in every round)',
    );
  });
});

describe('the scalar-JS ceiling contenders', () => {
  it('touch every word of unaligned inputs without changing a byte', () => {
    const backing = new Uint8Array(1000 + 3);
    const data = backing.subarray(3).map((_, i) => (i * 29) & 255);
    const before = data.slice();
    expect(storeCeiling(data).run(3)).toBe(data[0]);
    expect(data).toEqual(before);
    expect(loadCeiling([data, new Uint8Array(5)]).run(4)).toBe(1);
  });
});

describe('command line', () => {
  it('accepts --quick, a literal -- from pnpm, and --only', () => {
    const c = parseArgs(['--', '--quick', '--only', 'codec,scale']);
    expect(c.quick).toBe(true);
    expect([...c.suites]).toEqual(['codec', 'scale']);
    expect(c.scale.connections).toBe(500);
    expect(c.scale.rounds).toBe(1);
  });
  it("covers the issue's full matrix without --quick", () => {
    const c = parseArgs([]);
    expect(c.echo.cases.filter((e) => !e.text)).toHaveLength(12);
    expect(c.echo.cases.filter((e) => e.text).map((e) => e.size)).toEqual([16, 1024]);
    expect(c.scale.connections).toBe(10_000);
    expect(c.echo.rounds).toBe(5);
    expect(parseArgs(['--quick', '--rounds', '2']).echo.rounds).toBe(2);
    expect(c.scale.rounds).toBe(3);
    expect(parseArgs(['--scale-rounds', '5']).scale.rounds).toBe(5);
    expect(c.codec.frameSizes.map(formatSize)).toEqual(['16 B', '1 KiB', '64 KiB', '1 MiB']);
  });
  it('runs only the echo cases asked for', () => {
    const c = parseArgs(['--case', '1MiBx1000', '--case', '1KiBx64:text', '--case', '16x1']);
    expect(c.echo.cases).toEqual([
      { size: 1024 * 1024, connections: 1000, text: false },
      { size: 1024, connections: 64, text: true },
      { size: 16, connections: 1, text: false },
    ]);
    expect(c.deflateEcho.cases.map((e) => e.size)).toEqual([1024 * 1024, 16]);
    expect(() => parseArgs(['--case', '1GBx2'])).toThrow(/--case needs/);
  });
  it('rejects unknown flags and suites by name', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument "--fast"/);
    expect(() => parseArgs(['--only', 'gpu'])).toThrow(/unknown suite "gpu"/);
    expect(() => parseArgs(['--duration', '-1'])).toThrow(/positive integer/);
  });
  it('bounds the bytes in flight', () => {
    expect(windowFor(18, 1)).toBe(16);
    expect(windowFor(1024 * 1024 + 14, 1)).toBe(1);
    expect(windowFor(64 * 1024 + 14, 1000)).toBe(1);
  });
});

describe('frames built for the load generator', () => {
  // ws's Receiver is an independent decoder: what it reads back is what the servers will read.
  for (const size of [0, 16, 125, 126, 1024, 65535, 65536, 70000]) {
    it(`decode with ws as the same payload (${size} bytes, masked)`, async () => {
      const receiver = new Receiver({ isServer: true });
      const got = new Promise<[Buffer, boolean]>((resolve) =>
        receiver.on('message', (data: Buffer, isBinary: boolean) => resolve([data, isBinary])),
      );
      const payload = size % 2 ? mixedUtf8Payload(size) : asciiPayload(size);
      receiver.write(buildFrame(payload, { opcode: size % 2 ? OPCODE_TEXT : OPCODE_BINARY, mask: BENCH_MASK }));
      const [data, isBinary] = await got;
      expect(isBinary).toBe(size % 2 === 0);
      expect(Buffer.compare(data, payload)).toBe(0);
    });
  }
  it('mixed text is valid UTF-8 with multi-byte sequences, of the exact length', () => {
    const text = mixedUtf8Payload(4096);
    expect(text.length).toBe(4096);
    expect(Buffer.from(text.toString('utf8'), 'utf8').equals(text)).toBe(true);
    expect(text.some((b) => b >= 0xf0)).toBe(true);
  });
});

describe('raw handshake', () => {
  it('opens a connection to a ws server and reports permessage-deflate', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const plain = await openWebSocket({ port, deflate: false, timeoutMs: 5000 });
      expect(plain.deflate).toBe(false);
      plain.socket.destroy();
      const deflated = await openWebSocket({ port, deflate: true, timeoutMs: 5000 });
      expect(deflated.deflate).toBe(true);
      deflated.socket.destroy();
    } finally {
      server.close();
    }
  });
  it('names the status line when the server refuses', async () => {
    const { createServer } = await import('node:http');
    const http = createServer((_req, res) => res.writeHead(400).end());
    http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    try {
      await expect(
        openWebSocket({ port: (http.address() as AddressInfo).port, deflate: false, timeoutMs: 5000 }),
      ).rejects.toThrow(/handshake refused: HTTP\/1.1 400/);
    } finally {
      http.close();
    }
  });
});

describe('peak RSS window', () => {
  it.skipIf(process.platform !== 'linux')('restarts the high-water mark, and sees memory touched after that', () => {
    expect(resetPeakRss(process.pid)).toBe(true);
    const before = peakRss(process.pid)!;
    const block = Buffer.alloc(64 * 1024 * 1024, 1); // written, so resident
    const during = peakRss(process.pid)!;
    expect(during - before).toBeGreaterThan(48 * 1024 * 1024);
    expect(block[block.length - 1]).toBe(1);
    expect(resetPeakRss(9_999_999)).toBe(false); // no such process
    expect(peakRss(9_999_999)).toBeUndefined();
  });
});

describe('busy machine check', () => {
  it('prefers the busy share measured before the run over the lagging load average', async () => {
    const m = machineInfo();
    const busy = await cpuBusy(200);
    expect(busy).toBeGreaterThanOrEqual(0);
    expect(busy).toBeLessThanOrEqual(1);
    // A build that just finished leaves a high load average on an idle machine: the measured share decides.
    expect(wasBusy({ ...m, cpuCount: 2, loadAverage: 1.9, cpuBusyAtStart: 0.05 })).toBe(false);
    expect(wasBusy({ ...m, cpuCount: 2, loadAverage: 0.1, cpuBusyAtStart: 0.6 })).toBe(true);
    // Results of older runs carry only the load average.
    expect(wasBusy({ ...m, cpuCount: 2, loadAverage: 1.9, cpuBusyAtStart: undefined })).toBe(true);
  });
});

describe('source addresses of the load generators', () => {
  it('give each job its own block of eight loopback addresses on Linux, and leave the choice to the OS without a block', () => {
    expect(sourceAddress(0, undefined)).toBeUndefined();
    if (process.platform !== 'linux') return;
    const block = [...new Set(Array.from({ length: 64 }, (_, i) => sourceAddress(i, 7)))];
    expect(block).toEqual(Array.from({ length: 8 }, (_, i) => `127.0.8.${i + 1}`));
    expect(sourceAddress(0, 8)).toBe('127.0.9.1');
    // Blocks wrap within 127.0.1-254.x, never 127.0.0.x (the echo jobs' default) or .255.
    expect(sourceAddress(0, 253)).toBe('127.0.254.1');
    expect(sourceAddress(0, 254)).toBe('127.0.1.1');
  });
});

describe('fairness of the echo replies over connections', () => {
  it("is Jain's index with the fewest, median and most replies any connection got", () => {
    expect(fairness([5, 5, 5, 5])).toEqual({ jain: 1, min: 5, median: 5, max: 5 });
    expect(fairness([0, 0, 0, 8]).jain).toBeCloseTo(0.25);
    const mixed = fairness([1, 2, 3, 10]);
    expect(mixed.jain).toBeCloseTo((16 * 16) / (4 * 114));
    expect([mixed.min, mixed.median, mixed.max]).toEqual([1, 3, 10]);
    expect(fairness([0, 0]).jain).toBe(1);
  });
});
