// ws's own tests (vendored, unmodified, in test/ws-suite/vendor) run with mocha against @wsts/ws.
// Each test is classified from its source: "private" when it reads ws internals (an `_`-prefixed member,
// `kListener`, `Receiver`, or ws's lib/ modules beyond `Sender.frame`, the constants and the stream),
// "public" otherwise. Every public test must pass, except those listed with a reason in
// test/ws-suite/expected-failures.json, and at least 190 public tests must pass.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const HERE = fileURLToPath(new URL('./ws-suite/', import.meta.url));
const VENDOR = join(HERE, 'vendor');
const MOCHA = fileURLToPath(new URL('../node_modules/mocha/bin/mocha.js', import.meta.url));
/** One mocha run may take this long; the whole suite, with reruns after crashes, `SUITE_BUDGET`. */
const RUN_TIMEOUT = 240_000;
const SUITE_BUDGET = 330_000;
const MIN_PUBLIC_PASSES = 190;

interface Line {
  kind: 'test' | 'hook' | 'end';
  file?: string;
  title?: string;
  state?: 'begin' | 'passed' | 'failed' | 'pending';
  body?: string;
  error?: string;
}

interface Result {
  state: 'passed' | 'failed' | 'pending';
  body: string;
  error: string | undefined;
}

/** Reading ws internals: an `_`-prefixed member, `kListener`, `Receiver`, a `Sender` other than `Sender.frame`. */
function isPrivate(body: string): boolean {
  return (
    /\._[A-Za-z]/.test(body) || /\bkListener\b/.test(body) || /\bReceiver\b/.test(body) || /\bSender\b(?!\.frame\b)/.test(body)
  );
}

function runMocha(report: string, skip: string, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        // require() of ES modules off (Node 20.19+ has it on): the suite must load the CommonJS build.
        '--no-experimental-require-module',
        '--no-warnings',
        MOCHA,
        '--reporter',
        join(HERE, 'json-reporter.cjs'),
        '--require',
        join(HERE, 'skip-hook.cjs'),
        '--exit',
        'test/*.test.js',
      ],
      { cwd: VENDOR, env: { ...process.env, WS_SUITE_REPORT: report, WS_SUITE_SKIP: skip }, stdio: 'ignore' },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1_000, Math.min(RUN_TIMEOUT, deadline - Date.now())));
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs the suite; after a crash (or a kill at the deadline), again without the tests that already ran. */
async function runSuite(dir: string): Promise<Map<string, Result>> {
  const results = new Map<string, Result>();
  const deadline = Date.now() + SUITE_BUDGET;
  for (let run = 0; run < 25 && Date.now() < deadline; run++) {
    const report = join(dir, `report-${run}.jsonl`);
    const skip = join(dir, `skip-${run}.json`);
    writeFileSync(skip, JSON.stringify([...results.keys()]));
    await runMocha(report, skip, deadline);
    const lines: Line[] = existsSync(report)
      ? readFileSync(report, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Line)
      : [];
    let begun: string | undefined;
    let ended = false;
    // A failed hook skips the rest of its describe block: run again, skipping what already ran.
    let hookFailed = false;
    let progress = false;
    for (const line of lines) {
      if (line.kind === 'end') {
        ended = true;
        continue;
      }
      const key = `${line.file} ${line.title}`;
      if (line.kind === 'hook') {
        if (!results.has(key)) results.set(key, { state: 'failed', body: line.body ?? '', error: line.error });
        hookFailed = true;
        continue;
      }
      const known = results.get(key);
      if (line.state === 'begin') {
        begun = key;
        continue;
      }
      if (line.state === 'pending') {
        if (known === undefined) results.set(key, { state: 'pending', body: line.body ?? '', error: undefined });
        continue;
      }
      if (begun === key) begun = undefined;
      progress = true;
      // A test can fail after it passed (an uncaught error or a second done()): failed wins.
      if (known === undefined || line.state === 'failed') {
        results.set(key, { state: line.state!, body: line.body ?? known?.body ?? '', error: line.error ?? known?.error });
      }
    }
    if (ended && !hookFailed) break;
    if (begun !== undefined && !results.has(begun)) {
      const body = lines.find((line) => `${line.file} ${line.title}` === begun)?.body ?? '';
      results.set(begun, { state: 'failed', body, error: 'crashed the mocha process (or hung past the time limit)' });
      progress = true;
    }
    if (!progress) break;
  }
  return results;
}

test('ws test suite against @wsts/ws', { timeout: SUITE_BUDGET + 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsts-ws-suite-'));
  try {
    const results = await runSuite(dir);
    const expected = JSON.parse(readFileSync(join(HERE, 'expected-failures.json'), 'utf8')) as Record<string, string>;
    const tally = { public: { passed: 0, total: 0 }, private: { passed: 0, total: 0 } };
    const unexpected: string[] = [];
    const fixed: string[] = [];
    const summary: Record<string, { state: string; kind: string; error?: string | undefined }> = {};
    for (const [key, result] of results) {
      if (result.state === 'pending' || key.includes('" hook')) continue;
      const kind = isPrivate(result.body) ? 'private' : 'public';
      tally[kind].total++;
      if (result.state === 'passed') tally[kind].passed++;
      summary[key] = { state: result.state, kind, error: result.error };
      if (kind !== 'public') continue;
      if (result.state !== 'passed' && expected[key] === undefined) unexpected.push(`${key}\n    ${result.error ?? ''}`);
      if (result.state === 'passed' && expected[key] !== undefined) fixed.push(key);
    }
    // A failed hook is reported, not counted: it follows from the test it ran for (which has its own
    // result), and the tests its describe block skipped were run again without it.
    const hooks = [...results].filter(([key, result]) => key.includes('" hook') && result.state === 'failed').map(([key]) => key);
    const out = process.env.WS_SUITE_SUMMARY;
    if (out !== undefined) writeFileSync(out, JSON.stringify(summary, null, 1));
    console.log(
      `ws suite: public ${tally.public.passed}/${tally.public.total} passed, private ${tally.private.passed}/${tally.private.total} passed`,
    );
    if (hooks.length > 0) console.log(`failed hooks:\n  ${hooks.join('\n  ')}`);
    if (fixed.length > 0) console.log(`listed as expected failures but passing now:\n  ${fixed.join('\n  ')}`);
    expect(unexpected, 'public tests failing without a reason in expected-failures.json').toEqual([]);
    expect(tally.public.passed).toBeGreaterThanOrEqual(MIN_PUBLIC_PASSES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
