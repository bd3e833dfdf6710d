import { forkWorker, nextMessage, reap } from '../load/fork-worker.js';
import type { ScaleReply, ScaleRequest } from '../load/scale-job.js';
import { makeRow, type Row } from '../report/row.js';
import { processCpuSeconds, startServer } from '../servers/server-process.js';
import { checkAddons, serverKinds } from '../servers/server-kinds.js';

export interface ScaleSuiteOptions {
  connections: number;
  deflate: boolean;
  log: (line: string) => void;
}

interface ScaleFigures {
  handshakesPerSec: number;
  /** Handshakes per second of server CPU: robust to the machine being busy. */
  handshakesPerServerCpuSec: number | undefined;
  rssPerConnKiB: number;
  deltaPerConnKiB: number;
}

/** One server: start it, measure its idle RSS, open N idle connections, measure again, tear down. */
async function measureServer(kind: ReturnType<typeof serverKinds>[number], options: ScaleSuiteOptions): Promise<ScaleFigures> {
  const server = await startServer(kind);
  checkAddons(kind, server.banner);
  const worker = forkWorker('scale-worker');
  try {
    const before = await server.collectAndMeasure();
    const open: ScaleRequest = { type: 'open', port: server.port, count: options.connections, concurrency: 128, deflate: options.deflate, timeoutMs: 30_000 };
    const cpuBefore = processCpuSeconds(server.pid);
    worker.send(open);
    const opened = await nextMessage<ScaleReply>(worker, 180_000, `scale ${kind.id}`);
    const cpuAfter = processCpuSeconds(server.pid);
    if (opened.type !== 'opened') throw new Error(`unexpected reply ${opened.type}`);
    if (!opened.ok) throw new Error(opened.error);
    if (options.deflate && !opened.deflateNegotiated) throw new Error('the server did not accept permessage-deflate');
    // Give the server a moment to finish any per-connection work it defers past the 101, then collect.
    await new Promise((r) => setTimeout(r, 500));
    const after = await server.collectAndMeasure();
    options.log(
      `  scale ${kind.label}: ${opened.count} conns in ${Math.round(opened.ms)} ms (${Math.round(opened.handshakesPerSec)}/s, generator CPU ${Math.round(opened.generatorCpu * 100)}%), RSS ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB`,
    );
    return {
      handshakesPerSec: opened.handshakesPerSec,
      handshakesPerServerCpuSec: opened.ok && cpuBefore !== undefined && cpuAfter !== undefined && cpuAfter > cpuBefore ? opened.count / (cpuAfter - cpuBefore) : undefined,
      rssPerConnKiB: after / opened.count / 1024,
      deltaPerConnKiB: (after - before) / opened.count / 1024,
    };
  } finally {
    if (worker.connected) {
      worker.send({ type: 'close' } satisfies ScaleRequest);
      await nextMessage<ScaleReply>(worker, 30_000, `scale ${kind.id} close`).catch(() => undefined);
    }
    await reap(worker);
    await server.stop();
  }
}

/**
 * Memory per idle connection (the server's RSS as the OS reports it, after a forced GC, over the count;
 * and the growth over the same server's idle RSS, over the count) and handshakes per second.
 */
export async function runScaleSuite(options: ScaleSuiteOptions): Promise<Row[]> {
  const kinds = serverKinds({ deflate: options.deflate, withoutAddons: false });
  const figures: Record<string, ScaleFigures | null> = {};
  const errors: string[] = [];
  for (const kind of kinds) {
    try {
      figures[kind.id] = await measureServer(kind, options);
    } catch (error) {
      figures[kind.id] = null;
      errors.push(`${kind.id}: ${(error as Error).message}`);
      options.log(`  scale ${kind.label}: FAILED ${(error as Error).message}`);
    }
  }
  const pick = (f: (x: ScaleFigures) => number): Record<string, number | null> =>
    Object.fromEntries(Object.entries(figures).map(([id, x]) => [id, x ? f(x) : null]));
  const section = options.deflate ? 'scale, permessage-deflate negotiated' : 'scale (idle connections)';
  const common = { section, case: `${options.connections.toLocaleString('en-US')} conns`, bar: 'ws', placeholder: kinds.some((k) => k.placeholder), ...(errors.length ? { error: errors.join('; ') } : {}) };
  return [
    makeRow({ ...common, metric: 'RSS/conn KiB', better: 'lower', values: pick((x) => x.rssPerConnKiB) }),
    makeRow({ ...common, metric: 'ΔRSS/conn KiB', better: 'lower', values: pick((x) => x.deltaPerConnKiB) }),
    makeRow({ ...common, metric: 'handshakes/s', better: 'higher', values: pick((x) => x.handshakesPerSec) }),
    makeRow({ ...common, metric: 'handshakes/server-CPU-s', better: 'higher', values: pick((x) => x.handshakesPerServerCpuSec ?? Number.NaN) }),
  ];
}
