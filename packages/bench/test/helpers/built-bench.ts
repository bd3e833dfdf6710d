/**
 * The bench as its tests run it: built into dist/ (the orchestrator forks its workers and servers from
 * there, so the tests must too), and `bin/bench.sh` run end to end within a time budget.
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bench package's directory. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Compiles src/ into dist/ (`tsc -b`, so an unchanged tree costs little). */
export function buildBench(): void {
  execFileSync(process.execPath, [join(packageDir, '../../node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
    cwd: packageDir,
    stdio: 'inherit',
  });
}

/**
 * Runs `sh bin/bench.sh ...args` and resolves with its exit code and everything it printed. SIGTERM
 * once `budgetMs` has passed (the run then takes its servers and load generators down with it), SIGKILL
 * 10 s later, so a hung run cannot hang the tests.
 */
export async function runBench(args: readonly string[], budgetMs: number): Promise<{ exitCode: number | null; output: string }> {
  const child = spawn('sh', ['bin/bench.sh', ...args], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const killer = setTimeout(() => child.kill('SIGTERM'), budgetMs);
  const hardKiller = setTimeout(() => child.kill('SIGKILL'), budgetMs + 10_000);
  const exitCode = await new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  clearTimeout(killer);
  clearTimeout(hardKiller);
  return { exitCode, output };
}
