/**
 * `pnpm --filter @wsts/e2e simd-bench [chromium] [firefox] [webkit]` (after `pnpm build`): the codec's
 * WebAssembly SIMD kernels, copies into the module's memory and back included, against its scalar
 * JavaScript loops, in each browser engine, launched the way the e2e suite launches it. Prints one table
 * per engine: GB/s of each path per case and their ratio. A measurement, not a test: it fails only when
 * an engine cannot be driven or the two paths disagree on the same input.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type BrowserSession, ENGINES, type EngineName } from '../engines/index.js';
import { bundleForBrowser } from '../page-bundle.js';
import { pageHtml, startStaticServer } from '../static-server.js';
import { createTestCertificate } from '../tls-cert.js';
import type { SimdBenchCheck, SimdBenchKind, SimdBenchRequest, SimdBenchRow } from './page.js';

/** The sizes of the codec bench's WebAssembly rows: both sides of the codec's thresholds. */
const SIZES = [16, 125, 1024, 64 * 1024, 1024 * 1024];
const KINDS: readonly SimdBenchKind[] = ['unmask', 'UTF-8 ASCII', 'UTF-8 mixed'];
/** Batches long enough for every engine's coarsened `performance.now()`. */
const BATCH_MS = 40;
const ROUNDS = 5;

function formatSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function table(rows: readonly SimdBenchRow[]): string {
  const header = ['case', 'scalar JS GB/s', 'SIMD + copies GB/s', 'SIMD vs scalar'];
  const body = rows.map((r) => [
    `${r.kind} ${formatSize(r.size)}`,
    r.scalar.toPrecision(3),
    r.wasm.toPrecision(3),
    `${(r.wasm / r.scalar).toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

async function measureEngine(session: BrowserSession, origin: string): Promise<boolean> {
  await session.open(`${origin}/`);
  const check = JSON.parse(await session.evaluate('globalThis.wstsSimdBench.check()', 120_000)) as SimdBenchCheck;
  console.log(check.userAgent);
  if (!check.wasm) {
    console.log('no WebAssembly SIMD here (or compiling refused): the codec runs its scalar loops at every size');
    return true;
  }
  if (check.mismatches.length > 0) {
    console.log(`the kernel and the scalar loop DISAGREE: ${check.mismatches.join('; ')}`);
    return false;
  }
  const rows: SimdBenchRow[] = [];
  for (const kind of KINDS) {
    for (const size of SIZES) {
      const request: SimdBenchRequest = { kind, size, batchMs: BATCH_MS, rounds: ROUNDS };
      const json = await session.evaluate(
        `globalThis.wstsSimdBench.measure(${JSON.stringify(JSON.stringify(request))})`,
        120_000,
      );
      rows.push(JSON.parse(json) as SimdBenchRow);
    }
  }
  console.log(table(rows));
  return true;
}

/** Runs the engines named in `args` (all three when none), one after the other. Resolves to the exit code. */
export async function main(packageDir: string, args: readonly string[]): Promise<number> {
  const names = (args.length > 0 ? args : Object.keys(ENGINES)) as EngineName[];
  for (const name of names) if (!(name in ENGINES)) throw new Error(`unknown engine ${name}: chromium, firefox or webkit`);
  const require = createRequire(join(packageDir, 'package.json'));
  const paths = join(dirname(require.resolve('@wsts/protocol/package.json')), 'dist', 'simd', 'paths.js');
  const [kernels, page] = await Promise.all([
    bundleForBrowser(paths, 'wstsKernels'),
    bundleForBrowser(join(packageDir, 'src', 'simd-bench', 'page.ts')),
  ]);
  const js = 'text/javascript; charset=utf-8';
  const server = await startStaticServer(
    new Map([
      ['/', { body: pageHtml(['/kernels.js', '/bench.js']), type: 'text/html; charset=utf-8' }],
      ['/kernels.js', { body: kernels.code, type: js }],
      ['/bench.js', { body: page.code, type: js }],
    ]),
  );
  // Launchers take the e2e suite's certificate options; this page is plain HTTP and never uses it.
  const certificate = await createTestCertificate();
  let ok = true;
  try {
    for (const name of names) {
      console.log(`\n## ${name}`);
      let session: BrowserSession | undefined;
      try {
        session = await ENGINES[name]({ tls: certificate });
        console.log(session.description);
        if (!(await measureEngine(session, server.origin))) ok = false;
      } catch (error) {
        console.log(`${name}: ${(error as Error).message}`);
        ok = false;
      } finally {
        await session?.close();
      }
    }
  } finally {
    await server.close();
    await certificate.dispose();
  }
  console.log('\nOne run on one machine: indicative only. SIMD figures include copying into the WebAssembly memory and back.');
  return ok ? 0 : 1;
}
