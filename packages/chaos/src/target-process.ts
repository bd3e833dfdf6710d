import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './children.js';
import { isReply, type Reply, type ServerStats } from './targets/ipc.js';
import { knobArgs, type TargetKnobs } from './targets/knobs.js';

export type TargetId = 'ours' | 'ws';
export const TARGET_IDS: readonly TargetId[] = ['ours', 'ws'];

/**
 * The compiled target scripts. Resolved from the package root so that the suite finds them whether it
 * runs from dist/ (the CLI) or from src/ under the test runner: both sit next to dist/.
 */
function targetScript(id: TargetId): string {
  return fileURLToPath(new URL(`../dist/targets/${id}.js`, import.meta.url));
}

/** How a target process ended, when it did. */
export interface TargetExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the suite killed it, when the suite did. */
  killedBecause: string | undefined;
  /** The last lines it wrote to stderr (a V8 "heap out of memory" report, a stack trace). */
  stderrTail: string;
}

/** A target server running in its own process, driven over IPC. */
export interface Target {
  readonly id: TargetId;
  readonly pid: number;
  readonly port: number;
  /** The knobs as the target says it applied them, one line each. */
  readonly applied: readonly string[];
  /** Its figures over IPC, or undefined when it did not answer within `timeoutMs` (or is gone). */
  stats(timeoutMs?: number): Promise<ServerStats | undefined>;
  /** Runs a full GC in the target (it runs with --expose-gc), so a baseline starts from a clean heap. */
  gc(timeoutMs?: number): Promise<void>;
  /** Set once the process has exited. */
  exit(): TargetExit | undefined;
  /** SIGKILL, recording why (the RSS guard). */
  kill(reason: string): void;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Starts a target and resolves once it is listening on 127.0.0.1. */
export function startTarget(id: TargetId, knobs: TargetKnobs, timeoutMs = 15_000): Promise<Target> {
  const child: ChildProcess = track(
    spawn(process.execPath, ['--expose-gc', targetScript(id), ...knobArgs(knobs)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    }),
  );
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  let exited: TargetExit | undefined;
  let killedBecause: string | undefined;
  const waiters = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal, killedBecause, stderrTail: stderrTail.trim() };
      for (const wake of waiters.values()) wake({ type: 'gc-done', id: -1, collected: false });
      waiters.clear();
      resolve();
    });
  });
  child.on('message', (message: unknown) => {
    if (!isReply(message) || message.type === 'listening') return;
    const wake = waiters.get(message.id);
    waiters.delete(message.id);
    wake?.(message);
  });
  // An IPC write to a process that just died fails asynchronously: the exit handler covers it.
  child.on('error', () => {});

  function ask(type: 'stats' | 'gc', timeoutMs: number): Promise<Reply | undefined> {
    if (exited !== undefined || !child.connected) return Promise.resolve(undefined);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(id);
        resolve(undefined);
      }, timeoutMs);
      waiters.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send({ type, id }, (error) => {
        if (error) {
          clearTimeout(timer);
          waiters.delete(id);
          resolve(undefined);
        }
      });
    });
  }

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${id} target not listening within ${timeoutMs} ms; stderr: ${stderrTail.trim()}`));
    }, timeoutMs);
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error(`${id} target exited (${exited?.code ?? exited?.signal}) before listening; stderr: ${stderrTail.trim()}`));
    });
    child.on('message', (message: unknown) => {
      if (!isReply(message) || message.type !== 'listening') return;
      clearTimeout(timer);
      resolve({
        id,
        pid: child.pid!,
        port: message.port,
        applied: message.applied,
        async stats(ms = 2000) {
          const reply = await ask('stats', ms);
          return reply?.type === 'stats' ? reply.stats : undefined;
        },
        async gc(ms = 5000) {
          await ask('gc', ms);
        },
        exit: () => exited,
        kill(reason) {
          if (exited !== undefined) return;
          killedBecause ??= reason;
          child.kill('SIGKILL');
        },
        async stop() {
          if (exited !== undefined) return;
          const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.kill('SIGTERM');
          await exitPromise;
          clearTimeout(hard);
        },
      });
    });
  });
}
