/**
 * The primary process of `--workers N`: forks N workers that share one listening port (node:cluster
 * hands the connections out), says `listening on ...` once all of them listen, replaces a worker that
 * dies, and on SIGINT/SIGTERM stops them all and exits.
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';

/** How long the workers get to close their members' connections before they are killed. */
const SHUTDOWN_GRACE_MS = 15_000;

/** Runs the primary: forks `workers` workers (they run this same program) and supervises them. */
export function runPrimary(workers: number, printUrl: (port: number) => void): void {
  const listening = new Set<number>();
  let announced = false;
  let stopping = false;
  let failed = false;

  cluster.on('listening', (worker: Worker, address: AddressInfo | { port: number }) => {
    listening.add(worker.id);
    if (!announced && listening.size === workers) {
      announced = true;
      printUrl(address.port);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const hadListened = listening.delete(worker.id);
    if (stopping) {
      // The exit code says whether every worker shut down cleanly; a replaced worker does not count.
      if (code !== 0) failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    if (!hadListened) {
      // It died before it could serve (a bad address, a port in use): replacing it would loop.
      console.error(`chat: worker ${worker.process.pid} exited (${signal ?? code}) before listening; stopping`);
      stop(1);
      return;
    }
    console.error(`chat: worker ${worker.process.pid} exited (${signal ?? code}); starting a replacement`);
    cluster.fork();
  });

  function stop(exitCode = 0): void {
    if (stopping) return;
    stopping = true;
    if (exitCode !== 0) failed = true;
    const alive = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    if (alive.length === 0) process.exit(failed ? 1 : 0);
    // SIGTERM, not worker.disconnect(): the worker closes its members with 1001 itself, and a Ctrl-C
    // in a terminal has already sent each of them SIGINT, which it treats the same way.
    for (const worker of alive) worker.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      console.error('chat: workers did not stop in time; killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
  }

  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());
  for (let i = 0; i < workers; i++) cluster.fork();
}
