import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCases } from '../src/cases/index.js';
import { killAll } from '../src/children.js';
import { runCase, type CaseResult } from '../src/runner.js';
import { settingsFor } from '../src/settings.js';
import { outcomeText, sentText, settingsText } from '../src/table.js';
import { TargetPool } from '../src/target-pool.js';
import { formatBytes } from '../src/units.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const settings = settingsFor('quick');
const pool = new TargetPool(settings.knobs);

/**
 * The quick form, as the repository's test command runs it: every case, small counts, against our server
 * only. Each case is its own test, failing with the suite's own account of what went wrong.
 */
describe('chaos, quick form, against @wsts/server', () => {
  let started = 0;

  beforeAll(async () => {
    // The targets run as compiled scripts from dist/: build them from the current sources first.
    execFileSync(process.execPath, [join(packageDir, '../../node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
      cwd: packageDir,
      stdio: 'inherit',
    });
    started = Date.now();
    // The first case's target tells how it took the knobs: printed once, like the CLI's header.
    const first = await pool.take('ours');
    console.log(settingsText(settings, new Map([['ours', first.applied]])));
    pool.keep(first);
  });

  afterAll(async () => {
    await pool.close();
    killAll();
    console.log(`quick chaos run: ${((Date.now() - started) / 1000).toFixed(1)} s for ${allCases.length} cases`);
  });

  for (const chaosCase of allCases) {
    it(chaosCase.name, { timeout: chaosCase.timeLimitMs(settings) + 30_000 }, async () => {
      const result: CaseResult = await runCase(chaosCase, 'ours', settings, {
        target: (id) => pool.take(id),
        afterAttack: () => pool.prepare('ours'),
      });
      console.log(
        `${chaosCase.name}: sent ${sentText(result)}; outcome ${outcomeText(result)}; RSS +${formatBytes(result.rssDelta)}; CPU ${result.cpuMs} ms` +
          (result.notes.length > 0 ? `; ${result.notes.join('; ')}` : ''),
      );
      expect(result.failures.map((f) => `[${f.tag}] ${f.detail}`)).toEqual([]);
    });
  }
});
