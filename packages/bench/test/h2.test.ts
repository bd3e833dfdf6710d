import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/config.js';
import { cpuMicrosPerMessage, h2Window, kibPerSocket } from '../src/load/h2-job.js';
import { makeRow, type Row } from '../src/report/row.js';
import { renderTables } from '../src/report/table.js';
import { checkBar } from '../src/report/bar.js';
import { H2_SECTION } from '../src/suites/h2-suite.js';
import { buildBench, runBench } from './helpers/built-bench.js';

describe('h2 arithmetic', () => {
  it('divides RSS growth over the sockets in KiB, never below zero', () => {
    expect(kibPerSocket(1_000_000, 1_000_000 + 1000 * 2048, 1000)).toBe(2);
    expect(kibPerSocket(5_000_000, 4_000_000, 10)).toBe(0);
    expect(() => kibPerSocket(0, 1, 0)).toThrow(RangeError);
    expect(() => kibPerSocket(0, 1, 1.5)).toThrow(RangeError);
  });

  it('gives server CPU per message in microseconds, or nothing without both figures', () => {
    expect(cpuMicrosPerMessage(0.5, 100_000)).toBe(5);
    expect(cpuMicrosPerMessage(undefined, 100)).toBeUndefined();
    expect(cpuMicrosPerMessage(0, 100)).toBeUndefined();
    expect(cpuMicrosPerMessage(1, 0)).toBeUndefined();
  });

  it('keeps every socket busy with a window bounded to 16 MiB in flight overall', () => {
    expect(h2Window(1024, 1000)).toBe(8);
    expect(h2Window(1024, 20)).toBe(8);
    expect(h2Window(64 * 1024, 1000)).toBe(1);
    expect(h2Window(16 * 1024, 1000)).toBe(1);
    expect(h2Window(4 * 1024, 1000)).toBe(4);
    expect(() => h2Window(0, 1)).toThrow(RangeError);
  });
});

describe('h2 command line and report', () => {
  it('is part of the full run, selectable alone, with its own knobs', () => {
    expect([...parseArgs([]).suites]).toContain('h2');
    expect(parseArgs([]).h2).toMatchObject({ sockets: 1000, size: 1024 });
    expect([...parseArgs(['--', '--only', 'h2']).suites]).toEqual(['h2']);
    const c = parseArgs(['--quick', '--h2-sockets', '20', '--h2-duration', '300']);
    expect(c.h2).toMatchObject({ sockets: 20, durationMs: 300, rounds: 1 });
    expect(() => parseArgs(['--h2-sockets', '0'])).toThrow(/--h2-sockets/);
  });

  it('rates HTTP/2 against HTTP/1.1 and stays out of the bar', () => {
    const row = makeRow({
      section: H2_SECTION,
      case: '1,000 WebSockets',
      metric: 'set-up ms (all open)',
      better: 'lower',
      bar: 'http1',
      subject: 'h2',
      values: { h2: 50, http1: 200 },
    });
    expect(row.ratio).toBe(4);
    const table = renderTables([row]);
    expect(table).toContain('| HTTP/2 (1 conn) | HTTP/1.1 | vs HTTP/1.1 |');
    expect(table).toContain('4.00x');
    expect(checkBar([row]).every((c) => c.shortfalls.length === 0)).toBe(true);
  });
});

/** The suite end to end with tiny numbers: real server processes, a real load generator, our client. */
describe('pnpm bench --only h2 (tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsts-bench-h2-'));
  const out = join(dir, 'h2.json');
  let exitCode: number | null = null;
  let output = '';
  let rows: Row[] = [];
  const BUDGET_MS = 60_000;

  beforeAll(async () => {
    buildBench();
    const args = ['--quick', '--only', 'h2', '--h2-sockets', '20', '--h2-duration', '300', '--out', out];
    ({ exitCode, output } = await runBench(args, BUDGET_MS));
    rows = (JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[] }).rows;
  }, BUDGET_MS + 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('completes every row for both transports', () => {
    if (exitCode !== 0) console.error(output);
    expect(exitCode).toBe(0);
    expect(rows.map((r) => `${r.case} / ${r.metric}`)).toEqual([
      '20 WebSockets / set-up ms (all open)',
      '20 WebSockets / server ΔRSS/WebSocket KiB',
      '20 WebSockets / client ΔRSS/WebSocket KiB',
      '1 KiB echo x 20 WebSockets / msg/s',
      '1 KiB echo x 20 WebSockets / server CPU µs/msg',
    ]);
    for (const r of rows) {
      expect(r.section).toBe(H2_SECTION);
      expect(r.completed, `${r.metric}: ${r.error ?? ''}`).toBe(true);
      expect(Object.keys(r.values).sort()).toEqual(['h2', 'http1']);
    }
    const rate = rows.find((r) => r.metric === 'msg/s')!;
    expect(rate.values['h2']).toBeGreaterThan(0);
    expect(rate.values['http1']).toBeGreaterThan(0);
  });

  it('prints the table and says every WebSocket of each run got replies', () => {
    expect(output).toContain(`### ${H2_SECTION}`);
    expect(output).toMatch(/h2c \(one HTTP\/2 connection\): 20 WebSockets open .* 20 of 20 WebSockets answered/);
    expect(output).toMatch(/HTTP\/1\.1 \(a TCP connection each\): 20 WebSockets open .* 20 of 20 WebSockets answered/);
  });
});
