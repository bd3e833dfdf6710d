import type { ChildProcess } from 'node:child_process';

/**
 * Every target process the suite starts, so that any way out of the run (a thrown error, Ctrl-C, a CI
 * timeout's SIGTERM, a failed test hook) takes them down instead of leaving a server listening.
 */
const live = new Set<ChildProcess>();
let exitHooked = false;

export function track(child: ChildProcess): ChildProcess {
  if (!exitHooked) {
    exitHooked = true;
    // 'exit' handlers run synchronously on every normal way out, including process.exit().
    process.once('exit', killAll);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs whatever target is still running. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/**
 * For the CLI only: on SIGINT/SIGTERM kill the children, then exit with 128 + the signal number.
 * WHY not in `track`: inside a test runner's worker the runner owns the signals.
 */
export function killChildrenOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}
