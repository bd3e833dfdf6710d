import type { ChildProcess } from 'node:child_process';

/**
 * Every process the run starts (servers under test, load generators), so an interrupted run (Ctrl-C, a
 * CI timeout's SIGTERM) takes them down with it instead of leaving servers listening in the background.
 */
const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs whatever is still running. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** On SIGINT/SIGTERM: kill the children, then exit with the conventional 128 + signal number. */
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
