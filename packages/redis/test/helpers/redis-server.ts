/**
 * A real `redis-server` for tests and the client benchmark: started on a free port on 127.0.0.1 in a
 * temporary directory, no persistence, no system service. It can be stopped and started again on the
 * same port (a restart as an operator would do it), killed, and paused (SIGSTOP: a Redis that accepts
 * connections but answers nothing, the "slow Redis" case).
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from './resp.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Whether a process is running now. */
  readonly running: boolean;
  /** Starts the server again on the same port (after {@link stop} or {@link kill}). */
  start(): Promise<void>;
  /** Shuts the server down (SIGTERM) and waits for its exit. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL), as a crash would, and waits for its exit. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and nothing is answered while paused. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it, we release it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Resolves once the server answers PING, or rejects after `timeoutMs`. */
async function waitReady(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode})`);
    try {
      if ((await command(port, ['PING'], 1_000)) === 'PONG') return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a `redis-server`. With `start: false` only reserves the port and directory, for the tests of
 * a Redis that is not up yet: call `start()` later.
 */
export async function startRedis(options: { start?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wsts-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) throw new Error('redis-server is running');
    stderr = '';
    // No persistence, no protected-mode surprises, warnings only, logs to the pipe we drain.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--loglevel', 'warning', '--logfile', '', '--daemonize', 'no', '--protected-mode', 'no');
    const started = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout!.resume();
    started.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    child = started;
    try {
      await waitReady(port, started, 10_000);
    } catch (error) {
      started.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${stderr}`);
    }
  };

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current === undefined) return;
    if (current.signalCode === null && current.exitCode === null) {
      current.kill('SIGCONT');
      current.kill(name);
    }
    await exited(current);
  };

  if (options.start !== false) await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    start: launch,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async dispose() {
      await signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
