/**
 * `pnpm chaos [--quick] [--target ours|ws]... [--case NAME]... [--json FILE] [--seed N]`
 *
 * Runs every case (or those named) against each target, each case in a fresh target process, prints the
 * settings, one line per case as it finishes, then the table. Exit code 1 when a case failed against our
 * server; ws's failures are reported for comparison and never fail the run.
 */
import { writeFileSync } from 'node:fs';
import { allCases } from './cases/index.js';
import { killChildrenOnSignals } from './children.js';
import { failedResult } from './failed-result.js';
import { runCase, type CaseResult } from './runner.js';
import { settingsFor } from './settings.js';
import { resultsTable, settingsText } from './table.js';
import { startTarget, TARGET_IDS, type TargetId } from './target-process.js';
import { TargetPool } from './target-pool.js';
import { formatBytes } from './units.js';
import { verdictText } from './verdict.js';

interface Args {
  quick: boolean;
  targets: TargetId[];
  cases: string[];
  json: string | undefined;
  seed: number | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, targets: [], cases: [], json: undefined, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--target') {
      const id = value();
      if (!TARGET_IDS.includes(id as TargetId)) throw new Error(`unknown target ${id} (ours or ws)`);
      args.targets.push(id as TargetId);
    } else if (arg === '--case') args.cases.push(value());
    else if (arg === '--json') args.json = value();
    else if (arg === '--seed') args.seed = Number(value());
    else if (arg === '--') continue;
    else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const settings = settingsFor(args.quick ? 'quick' : 'full', args.seed);
  const targets = args.targets.length > 0 ? args.targets : [...TARGET_IDS];
  // A name picks that case; a name no case has picks every case whose name contains it ("flood").
  const picks = (name: string, caseName: string): boolean =>
    caseName === name || (!allCases.some((c) => c.name === name) && caseName.includes(name));
  const cases = args.cases.length > 0 ? allCases.filter((c) => args.cases.some((name) => picks(name, c.name))) : allCases;
  if (cases.length === 0) throw new Error(`no case matches ${args.cases.join(', ')}`);

  // Ask each target how it took the knobs, for the header; the processes become the first cases' targets.
  const pool = new TargetPool(settings.knobs);
  const applied = new Map<string, readonly string[]>();
  const results: CaseResult[] = [];
  try {
    for (const id of targets) {
      const target = await startTarget(id, settings.knobs);
      applied.set(id, target.applied);
      pool.keep(target);
    }
    console.log(settingsText(settings, applied));
    console.log('');

    const plan = cases.flatMap((chaosCase) => targets.map((id) => ({ chaosCase, id })));
    for (const [index, { chaosCase, id }] of plan.entries()) {
      const next = plan[index + 1];
      let result: CaseResult;
      try {
        result = await runCase(chaosCase, id, settings, {
          target: (targetId) => pool.take(targetId),
          afterAttack: () => {
            if (next !== undefined) pool.prepare(next.id);
          },
        });
      } catch (error) {
        result = failedResult(chaosCase.name, id, error);
      }
      results.push(result);
      console.log(
        `${chaosCase.name} / ${id}: ${verdictText(result.failures)} (RSS +${formatBytes(result.rssDelta)}, ${result.cpuMs} ms CPU, ${(result.durationMs / 1000).toFixed(1)} s)` +
          (result.notes.length > 0 ? ` - ${result.notes.join('; ')}` : ''),
      );
    }
  } finally {
    await pool.close();
  }
  console.log('');
  console.log(resultsTable(results));
  if (args.json !== undefined)
    writeFileSync(args.json, `${JSON.stringify({ settings, applied: Object.fromEntries(applied), results }, null, 2)}\n`);
  const ourFailures = results.filter((r) => r.target === 'ours' && r.failures.length > 0).length;
  console.log('');
  console.log(ourFailures === 0 ? 'ours: every case passed' : `ours: ${ourFailures} case(s) failed`);
  return ourFailures === 0 ? 0 : 1;
}

killChildrenOnSignals();
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
