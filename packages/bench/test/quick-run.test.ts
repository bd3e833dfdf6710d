import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../src/report/row.js';
import { buildBench, runBench } from './helpers/built-bench.js';

const RUN_BUDGET_MS = 150_000;

interface Report {
  quick: boolean;
  machine: { node: string; cpuCount: number };
  date: string;
  rows: Row[];
}

/**
 * What CI runs: `pnpm bench --quick` end to end (codec, echo, scale, deflate, fanout, h2, client) on the built package.
 * It asserts that every row completed and was written, never how fast anything was.
 */
describe('pnpm bench --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsts-bench-'));
  const out = join(dir, 'quick.json');
  let exitCode: number | null = null;
  let output = '';
  let report: Report;

  beforeAll(async () => {
    buildBench();
    ({ exitCode, output } = await runBench(['--quick', '--out', out], RUN_BUDGET_MS));
    report = JSON.parse(readFileSync(out, 'utf8')) as Report;
  }, RUN_BUDGET_MS + 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 within the budget', () => {
    if (exitCode !== 0) console.error(output);
    expect(exitCode).toBe(0);
  });

  it('writes machine, Node version, date and every row as JSON', () => {
    expect(report.quick).toBe(true);
    expect(report.machine.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    expect(report.rows.length).toBeGreaterThan(30);
  });

  it('completes every row of every suite, with ours and ws measured side by side', () => {
    const sections = new Set(report.rows.map((r) => r.section.split(' ')[0]!.replace(/[,:]$/, '')));
    expect([...sections].sort()).toEqual(['client', 'codec', 'echo', 'fanout', 'h2', 'scale']);
    expect(report.rows.some((r) => r.section.includes('deflate'))).toBe(true);
    // "ours" must really be ours: ws only stands in while a package is unbuilt, never in a passing run.
    expect(report.rows.filter((r) => r.placeholder).map((r) => `${r.section} ${r.case}`)).toEqual([]);
    const incomplete = report.rows.filter((r) => !r.completed).map((r) => `${r.section} ${r.case} ${r.metric}: ${r.error ?? ''}`);
    expect(incomplete).toEqual([]);
    for (const row of report.rows) {
      const name = `${row.section} ${row.case} ${row.metric}`;
      // The h2 rows compare our own two transports (HTTP/2 against HTTP/1.1), not ours against ws: each
      // figure is measured; the echo rate is positive (the memory deltas of a GC'd heap may not be).
      if (row.section.startsWith('h2')) {
        expect(Object.keys(row.values).sort(), name).toEqual(['h2', 'http1']);
        for (const value of Object.values(row.values)) expect(Number.isFinite(value), name).toBe(true);
        if (row.metric === 'msg/s') for (const value of Object.values(row.values)) expect(value, name).toBeGreaterThan(0);
        continue;
      }
      // Redis's own CPU and PING exist only for the processes publishing through Redis: no "ours" there.
      if (!('ours' in row.values)) {
        expect(row.metric, name).toMatch(/^Redis /);
        for (const value of Object.values(row.values)) expect(value, name).toBeGreaterThan(0);
        continue;
      }
      // A growth of RSS over a few hundred idle connections is within the noise of a GC'd heap: it may
      // come out at or below zero. Every other figure is a rate, a latency or a size, so positive.
      if (row.metric.startsWith('ΔRSS')) {
        expect(Number.isFinite(row.values['ours']), name).toBe(true);
        expect(Number.isFinite(row.values[row.bar]), name).toBe(true);
        continue;
      }
      expect(row.values['ours'], name).toBeGreaterThan(0);
      expect(row.values[row.bar], name).toBeGreaterThan(0);
      // The client rows measure four clients: connect(), our WHATWG class, ws and undici; receiving,
      // ws with binaryType 'arraybuffer' too.
      if (row.section.startsWith('client')) {
        const receiving = row.case.startsWith('receive');
        expect(Object.keys(row.values).sort(), name).toEqual(
          receiving ? ['ours', 'undici', 'whatwg', 'ws', 'ws-arraybuffer'] : ['ours', 'undici', 'whatwg', 'ws'],
        );
        for (const value of Object.values(row.values)) expect(value, name).toBeGreaterThan(0);
      }
    }
  });

  // Bun comes from @oven/bun-linux-x64, a devDependency installed wherever the bench runs in CI (linux x64).
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    'measures Bun in echo, scale, deflate and fan-out, and the Node floor in echo, scale and fan-out only',
    () => {
      const has = (id: string, prefix: string): boolean =>
        report.rows
          .filter((r) => r.section.startsWith(prefix))
          .every((r) => (r.values[id] ?? 0) > 0 || r.metric.startsWith('ΔRSS'));
      for (const prefix of [
        'echo (no compression)',
        'scale (idle',
        'echo, permessage-deflate',
        'scale, permessage-deflate',
        'fanout (one publisher)',
      ]) {
        expect(has('bun', prefix), `bun in ${prefix}`).toBe(true);
      }
      for (const prefix of ['echo (no compression)', 'scale (idle', 'fanout (one publisher)']) {
        expect(has('node-floor', prefix), prefix).toBe(true);
      }
      const floorSections = new Set(report.rows.filter((r) => 'node-floor' in r.values).map((r) => r.section));
      expect([...floorSections].sort()).toEqual(['echo (no compression)', 'fanout (one publisher)', 'scale (idle connections)']);
      expect(output).toMatch(/\| +ours \| +@wsts\/ws \| +ws \| +ws \(no add-ons\) \| +Bun \| +Node floor \|/);
      expect(output).toContain('| vs Node floor |');
      expect(output).toMatch(/- (met|not met): fanout: >= 1x Bun on deliveries per server CPU-second/);
    },
  );

  it('writes the ratio chart beside the JSON, a well-formed SVG with a bar per ratio', () => {
    const chart = out.replace(/\.json$/, '.svg');
    expect(existsSync(chart)).toBe(true);
    expect(output).toContain(`chart: ${chart}`);
    const counts = execFileSync(
      'python3',
      [
        '-c',
        'import sys, xml.etree.ElementTree as E\nns = "{http://www.w3.org/2000/svg}"\nroot = E.parse(sys.argv[1]).getroot()\n' +
          'print(root.tag == ns + "svg", sum(1 for r in root.iter(ns + "rect") if r.find(ns + "title") is not None))',
        chart,
      ],
      { encoding: 'utf8' },
    ).trim();
    const [isSvg, bars] = counts.split(' ');
    expect(isSvg).toBe('True');
    // Every row with ours has a bar for each of ws, Bun and the floor it measured; the client rows one
    // more, our WHATWG class against ws.
    const expected = report.rows.reduce(
      (n, r) =>
        n +
        ['ws', 'bun', 'node-floor', 'redis-2', 'redis-4'].filter((id) => (r.values['ours'] ?? 0) > 0 && (r.values[id] ?? 0) > 0)
          .length +
        ((r.values['ours'] ?? 0) > 0 && (r.values['whatwg'] ?? 0) > 0 && (r.values['ws'] ?? 0) > 0 ? 1 : 0),
      0,
    );
    expect(Number(bars)).toBe(expected);
  });

  it('measures fan-out latency, and one process against two through Redis where redis-server is installed', () => {
    const fanout = report.rows.filter((r) => r.section === 'fanout (one publisher)');
    expect(fanout.map((r) => r.metric)).toEqual(['deliveries/s', 'server CPU µs/delivery', 'latency p50 ms', 'latency p99 ms']);
    const redis = report.rows.filter((r) => r.section === 'fanout across processes (Redis)');
    if (spawnSync('redis-server', ['--version']).status !== 0) {
      expect(redis).toEqual([]);
      expect(output).toContain('redis-server is not installed');
      return;
    }
    expect(new Set(redis.flatMap((r) => Object.keys(r.values)))).toEqual(new Set(['ours', 'redis-2']));
    expect(redis.map((r) => r.metric)).toContain('Redis PING ms');
    expect(output).toMatch(/- (met|not met): fanout through Redis: p50 latency over 1 process <= one Redis round trip/);
  });

  it('prints the table', () => {
    expect(output).toContain('### echo (no compression)');
    expect(output).toContain('1 KiB text x 64 conns');
    expect(output).toContain('| case');
  });
});
