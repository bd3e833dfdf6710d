import type { Reporter, TestCase, TestModule } from 'vitest/node';

declare module 'vitest' {
  interface TaskMeta {
    /** Set by the launch test: which route drives the engine and its version. */
    engineRoute?: string;
  }
}

interface EngineTally {
  route: string | undefined;
  passed: string[];
  failed: string[];
  skipped: string[];
  moduleErrors: string[];
}

/**
 * Prints, after the run, one block per engine (the top-level describe of each e2e file): its route and
 * every test that passed, failed or was skipped. CI logs then answer "what works in WebKit?" at a glance.
 */
export default class EngineSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const engines = new Map<string, EngineTally>();
    const tally = (name: string): EngineTally => {
      let entry = engines.get(name);
      if (entry === undefined) {
        entry = { route: undefined, passed: [], failed: [], skipped: [], moduleErrors: [] };
        engines.set(name, entry);
      }
      return entry;
    };
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      if (tests.length === 0) {
        const entry = tally(module.relativeModuleId);
        for (const error of module.errors()) entry.moduleErrors.push(error.message);
        if (entry.moduleErrors.length === 0) entry.moduleErrors.push('no tests collected');
      }
      for (const test of tests) record(tally(engineOf(test)), test);
    }
    const lines = ['', '=== e2e per engine ==='];
    for (const [name, entry] of engines) {
      const total = entry.passed.length + entry.failed.length + entry.skipped.length;
      const verdict = entry.failed.length === 0 && entry.moduleErrors.length === 0 && total > 0 ? 'PASS' : 'FAIL';
      lines.push(
        `${verdict} ${name}: ${entry.passed.length}/${total} passed${entry.route === undefined ? '' : ` — ${entry.route}`}`,
      );
      for (const title of entry.passed) lines.push(`    ok    ${title}`);
      for (const title of entry.failed) lines.push(`    FAIL  ${title}`);
      for (const title of entry.skipped) lines.push(`    skip  ${title}`);
      for (const message of entry.moduleErrors) lines.push(`    ERROR ${message}`);
    }
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
}

function engineOf(test: TestCase): string {
  return test.fullName.split(' > ')[0] ?? test.module.relativeModuleId;
}

function record(entry: EngineTally, test: TestCase): void {
  const route = test.meta().engineRoute;
  if (route !== undefined) entry.route = route;
  const title = test.fullName.split(' > ').slice(1).join(' > ');
  const result = test.result();
  if (result.state === 'passed') entry.passed.push(title);
  else if (result.state === 'failed') entry.failed.push(`${title}: ${result.errors[0]?.message.split('\n')[0] ?? ''}`);
  else if (result.state === 'skipped') {
    // A failed beforeAll leaves its tests "skipped"; that is a failure of the engine, not a skip.
    const hookError = ancestorError(test);
    if (hookError !== undefined) entry.failed.push(`${title}: not run, setup failed: ${hookError}`);
    else entry.skipped.push(result.note === undefined ? title : `${title} (${result.note})`);
  } else entry.failed.push(`${title}: did not finish`);
}

/** First line of the first error recorded on a suite around `test` (a failed beforeAll/afterAll). */
function ancestorError(test: TestCase): string | undefined {
  let parent: TestCase['parent'] | undefined = test.parent;
  while (parent !== undefined) {
    const error = parent.errors()[0];
    if (error !== undefined) return error.message.split('\n')[0] ?? '';
    parent = parent.type === 'suite' ? parent.parent : undefined;
  }
  return undefined;
}
