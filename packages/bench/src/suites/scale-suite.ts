import { forkWorker, nextMessage, reap } from '../load/fork-worker.js';
import type { ScaleReply, ScaleRequest } from '../load/scale-job.js';
import { metricRow, type RoundFigures } from '../report/round-figures.js';
import type { Row } from '../report/row.js';
import { processCpuSeconds, startServer } from '../servers/server-process.js';
import { checkAddons, serverKinds } from '../servers/server-kinds.js';
import { nextAddressBlock } from '../wire/handshake.js';

export interface ScaleSuiteOptions {
  connections: number;
  /** Runs per server, alternating servers; the figures are the medians. */
  rounds: number;
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
async function measureServer(
  kind: ReturnType<typeof serverKinds>[number],
  options: ScaleSuiteOptions,
  round: string,
): Promise<ScaleFigures> {
  const server = await startServer(kind);
  checkAddons(kind, server.banner);
  const worker = forkWorker('scale-worker');
  try {
    const before = await server.collectAndMeasure();
    const open: ScaleRequest = {
      type: 'open',
      port: server.port,
      count: options.connections,
      concurrency: 128,
      deflate: options.deflate,
      timeoutMs: 30_000,
      addressBlock: nextAddressBlock(),
    };
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
      `  scale${round} ${kind.label}: ${opened.count} conns in ${Math.round(opened.ms)} ms (${Math.round(opened.handshakesPerSec)}/s, generator CPU ${Math.round(opened.generatorCpu * 100)}%), RSS ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB`,
    );
    return {
      handshakesPerSec: opened.handshakesPerSec,
      handshakesPerServerCpuSec:
        opened.ok && cpuBefore !== undefined && cpuAfter !== undefined && cpuAfter > cpuBefore
          ? opened.count / (cpuAfter - cpuBefore)
          : undefined,
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
 * and the growth over the same server's idle RSS, over the count) and handshakes per second. Each round
 * starts every server afresh (so JIT warm-up is in every figure, as in a real cold start), alternating
 * which goes first; the figures are the medians over the rounds.
 */
export async function runScaleSuite(options: ScaleSuiteOptions): Promise<Row[]> {
  const kinds = serverKinds({ deflate: options.deflate, withoutAddons: false });
  const runs: Record<string, ScaleFigures[]> = Object.fromEntries(kinds.map((k) => [k.id, []]));
  const errors: string[] = [];
  const failed = (id: string): boolean => errors.some((e) => e.startsWith(`${id}:`));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      if (failed(kind.id)) continue;
      const label = options.rounds > 1 ? ` round ${round + 1}` : '';
      try {
        runs[kind.id]!.push(await measureServer(kind, options, label));
      } catch (error) {
        errors.push(`${kind.id}: ${(error as Error).message}`);
        options.log(`  scale${label} ${kind.label}: FAILED ${(error as Error).message}`);
      }
    }
  }
  const figures: RoundFigures<ScaleFigures> = { runs: Object.entries(runs), failed };
  const section = options.deflate ? 'scale, permessage-deflate negotiated' : 'scale (idle connections)';
  const common = {
    section,
    case: `${options.connections.toLocaleString('en-US')} conns`,
    bar: 'ws',
    placeholder: kinds.some((k) => k.placeholder),
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
  const rss = (x: ScaleFigures): number => x.rssPerConnKiB;
  const delta = (x: ScaleFigures): number => x.deltaPerConnKiB;
  const rate = (x: ScaleFigures): number => x.handshakesPerSec;
  const perCpu = (x: ScaleFigures): number => x.handshakesPerServerCpuSec ?? Number.NaN;
  return [
    metricRow(common, figures, 'RSS/conn KiB', 'lower', rss),
    metricRow(common, figures, 'ΔRSS/conn KiB', 'lower', delta),
    metricRow(common, figures, 'handshakes/s', 'higher', rate),
    metricRow(common, figures, 'handshakes/server-CPU-s', 'higher', perCpu),
  ];
}
