// Entry of `pnpm --filter @wsts/e2e simd-bench`: compiles src/simd-bench/run.ts with esbuild (this package
// has no build step; Node 20 cannot run TypeScript) into node_modules/.cache, where its imports of this
// package's dependencies resolve, then runs it. Arguments: the engines to run (default: all three).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(packageDir, 'node_modules', '.cache', 'wsts-simd-bench');
const outFile = join(outDir, `run-${process.pid}.mjs`);
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(packageDir, 'src', 'simd-bench', 'run.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: outFile,
  logLevel: 'warning',
});
try {
  const { main } = await import(pathToFileURL(outFile).href);
  process.exitCode = await main(packageDir, process.argv.slice(2).filter((a) => a !== '--'));
} finally {
  rmSync(outFile, { force: true });
}
