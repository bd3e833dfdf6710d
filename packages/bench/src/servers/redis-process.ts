/**
 * The redis-server the cross-process fan-out rows publish through: started by the bench itself on a
 * free port on 127.0.0.1, in a temporary directory, without persistence, and stopped at the end of the
 * suite. `redis-server` comes from the system (scripts/setup-system.sh installs Debian's).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from '../children.js';
import { RespConnection } from '../wire/resp.js';

export interface RunningRedis {
  port: number;
  url: string;
  pid: number;
  /** A connection for the bench's own commands (PING, PUBSUB, INFO). */
  control: RespConnection;
  stop(): Promise<void>;
}

/** Whether `redis-server` can be run here. */
export function haveRedisServer(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it; redis-server then binds it). */
async function freePort(): Promise<number> {
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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts redis-server and resolves once it answers PING (bounded by `timeoutMs`). */
export async function startRedis(timeoutMs = 10_000): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'wsts-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  args.push('--loglevel', 'warning', '--logfile', '', '--daemonize', 'no', '--protected-mode', 'no');
  const child = track(spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    try {
      const control = await RespConnection.open(port, 1000);
      if ((await control.command(['PING'], 1000)) === 'PONG') {
        return {
          port,
          url: `redis://127.0.0.1:${port}`,
          pid: child.pid!,
          control,
          stop: async () => {
            control.close();
            await stop();
          },
        };
      }
      control.close();
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
