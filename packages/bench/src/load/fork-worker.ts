import { fork, type ChildProcess } from 'node:child_process';
import { track } from '../children.js';

/** Forks one of the load generator scripts (a sibling .js file in dist/load) with an IPC channel. */
export function forkWorker(
  name: 'echo-worker' | 'scale-worker' | 'fanout-worker' | 'h2-worker' | 'client-worker',
  execArgv: readonly string[] = [],
): ChildProcess {
  const script = new URL(`./${name}.js`, import.meta.url);
  return track(fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...execArgv] }));
}

/** Resolves with the next IPC message of the worker, or rejects on exit or timeout. */
export function nextMessage<T>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.removeListener('message', onMessage);
      child.removeListener('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${what}: load generator exited (${code}) without answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${what}: load generator did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Waits for the worker to exit (killing it after `ms`). */
export function reap(child: ChildProcess, ms = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
