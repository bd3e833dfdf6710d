import type { ChildProcess } from 'node:child_process';
import type { FanoutJob, FanoutPhase, FanoutRequest, FanoutWorkerMessage } from './fanout-job.js';
import { forkWorker, reap } from './fork-worker.js';

type Reply<T extends FanoutWorkerMessage['type']> = Extract<FanoutWorkerMessage, { type: T }>;

/**
 * The orchestrator's side of a fan-out job's load generators (fanout-worker.ts): forks one process per
 * shard, relays the other shards' progress to the publisher's generator, and turns a `failed` message or
 * an unexpected exit of any of them into a rejection of whatever is being waited for.
 */
export class FanoutGenerators {
  private readonly workers: ChildProcess[];
  private readonly inbox: FanoutWorkerMessage[][];
  private readonly waiters: (() => void)[] = [];
  private readonly othersComplete: number[];
  private relayed = 0;
  private failure: Error | undefined;

  constructor(
    jobs: readonly FanoutJob[],
    private readonly what: string,
  ) {
    this.workers = jobs.map(() => forkWorker('fanout-worker'));
    this.inbox = jobs.map(() => []);
    this.othersComplete = jobs.map(() => 0);
    this.workers.forEach((worker, index) => {
      worker.on('message', (message: FanoutWorkerMessage) => this.onMessage(index, message));
      worker.once('exit', (code) => this.fail(new Error(`${what}: load generator ${index} exited (${code})`)));
    });
    jobs.forEach((job, index) => {
      this.workers[index]!.send(job satisfies FanoutRequest);
    });
  }

  private onMessage(index: number, message: FanoutWorkerMessage): void {
    if (message.type === 'failed') {
      this.fail(new Error(`${this.what}: generator ${index}: ${message.error}`));
      return;
    }
    if (message.type === 'progress') {
      this.othersComplete[index] = message.complete;
      // Generator 0 holds the publisher: it needs the smallest count over all the others.
      const least = Math.min(...this.othersComplete.slice(1));
      if (least > this.relayed) {
        this.relayed = least;
        this.workers[0]!.send({ type: 'complete', complete: least } satisfies FanoutRequest);
      }
      return;
    }
    this.inbox[index]!.push(message);
    this.wake();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next message of `type` from generator `index` (earlier messages of other types are an error). */
  private next<T extends FanoutWorkerMessage['type']>(index: number, type: T, timeoutMs: number): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        check = () => {};
        this.fail(new Error(`${this.what}: load generator ${index} sent no "${type}" within ${timeoutMs} ms`));
        reject(this.failure);
      }, timeoutMs);
      let check = (): void => {
        const message = this.inbox[index]!.shift();
        if (message !== undefined) {
          clearTimeout(timer);
          if (message.type === type) resolve(message as Reply<T>);
          else reject(new Error(`${this.what}: expected "${type}" from generator ${index}, got "${message.type}"`));
          return;
        }
        if (this.failure !== undefined) {
          clearTimeout(timer);
          reject(this.failure);
          return;
        }
        this.waiters.push(() => check());
      };
      check();
    });
  }

  /** Resolves once every generator has opened its sockets. */
  async ready(timeoutMs: number): Promise<void> {
    await Promise.all(this.workers.map((_, i) => this.next(i, 'ready', timeoutMs)));
  }

  /** Runs one phase on every generator; resolves with the publisher's account of it. */
  async run(phase: FanoutPhase, timeoutMs: number): Promise<Reply<'phase-done'>> {
    for (const worker of this.workers) worker.send({ type: 'run', phase } satisfies FanoutRequest);
    const done = await this.next(0, 'phase-done', timeoutMs);
    if (!done.ok) throw new Error(`${this.what}: ${done.error ?? 'failed'}`);
    if (this.failure !== undefined) throw this.failure;
    return done;
  }

  /** Every generator's counts and timestamps, in generator order. */
  report(timeoutMs: number): Promise<Reply<'report'>[]> {
    for (const worker of this.workers) worker.send({ type: 'report' } satisfies FanoutRequest);
    return Promise.all(this.workers.map((_, i) => this.next(i, 'report', timeoutMs)));
  }

  /** Disconnects every generator (they close their sockets and exit) and waits for their exit. */
  async close(): Promise<void> {
    this.failure ??= new Error(`${this.what}: closed`);
    for (const worker of this.workers) if (worker.connected) worker.disconnect();
    await Promise.all(this.workers.map((w) => reap(w)));
  }
}
