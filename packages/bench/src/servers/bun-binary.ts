import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The bun executable the Bun contenders run under: the one the npm package `@oven/bun-linux-x64` (a
 * devDependency of this package) carries. Undefined where that package is not installed (it exists for
 * linux x64 only); the suites then leave Bun out and say so.
 */
export function bunBinary(): string | undefined {
  try {
    const bin = join(dirname(require.resolve('@oven/bun-linux-x64/package.json')), 'bin', 'bun');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Environment of every Bun server: no transpiler cache written to the user's home, no telemetry. */
export const BUN_ENV: Readonly<Record<string, string>> = { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0', DO_NOT_TRACK: '1' };
