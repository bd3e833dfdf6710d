import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Canary, type CanaryReport } from './canary.js';
import type { CaseContext, ChaosCase, SentCounts } from './case.js';
import { readCpuMs, readRss } from './proc.js';
import { Prng } from './prng.js';
import { RssSampler } from './rss-sampler.js';
import { releaseBoundMs, type Settings } from './settings.js';
import { startTarget, type Target, type TargetId } from './target-process.js';
import type { ServerStats } from './targets/ipc.js';
import { formatBytes } from './units.js';
import type { Failure } from './verdict.js';
import { connectTcp, openWebSocket } from './wire/handshake.js';
import { Peer } from './wire/peer.js';

/** Everything measured about one case against one target. */
export interface CaseResult {
  caseName: string;
  target: TargetId;
  sent: SentCounts;
  /** Outcome labels and how many connections ended that way, most frequent first. */
  outcomes: [string, number][];
  notes: string[];
  baselineRss: number;
  peakRss: number;
  /** Peak RSS minus the baseline taken right before the attack. */
  rssDelta: number;
  /**
   * RSS minus the baseline once everything was released and a full GC ran: what the attack left behind
   * (memory V8 freed but the allocator kept shows here; reported, not judged).
   */
  settledRssDelta: number | undefined;
  /** RSS growth allowed: the memory budget plus the slack for the connections open at the peak. */
  allowedGrowth: number;
  /** Most attacker connections open at once. */
  peakConnections: number;
  /** Server CPU (user + system) over the case, in ms. */
  cpuMs: number;
  canary: CanaryReport | undefined;
  /** Milliseconds from the end of the attack until the target held no connection, if it got there. */
  releasedMs: number | undefined;
  /** Peak of each numeric field of the server's own memory accounting (ours), sampled over IPC. */
  serverMemoryPeak: Record<string, number> | undefined;
  /** How the target process ended during the case, if it did. */
  crashed: string | undefined;
  failures: Failure[];
  durationMs: number;
  /** Where the time went: start and warm-up, the attack, the canary's shutdown, the release wait. */
  phasesMs: { setup: number; attack: number; canary: number; release: number };
}

/** Attackers' sockets, so that teardown reaches every one, and the open count peaks can be measured. */
class SocketRegistry {
  readonly sockets: Socket[] = [];
  readonly peers: Peer[] = [];
  open = 0;
  peak = 0;

  add(socket: Socket): void {
    this.sockets.push(socket);
    this.open++;
    if (this.open > this.peak) this.peak = this.open;
    socket.once('close', () => this.open--);
  }
}

/** How a target process ended, in one line. */
function crashText(target: Target): string | undefined {
  const exit = target.exit();
  if (exit === undefined) return undefined;
  if (exit.killedBecause !== undefined) return `killed by the suite: ${exit.killedBecause}`;
  const fatal = exit.stderrTail.split('\n').find((line) => /FATAL|out of memory|Error/i.test(line));
  return `exited (${exit.signal ?? `code ${exit.code}`})${fatal === undefined ? '' : `: ${fatal.trim().slice(0, 160)}`}`;
}

/** Polls the server's own memory accounting and keeps the peak of every field. */
function memoryPoller(target: Target): { stop(): Record<string, number> | undefined } {
  let peak: Record<string, number> | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void target.stats(1000).then((s) => {
      busy = false;
      if (s?.memory === undefined) return;
      peak ??= {};
      for (const [key, value] of Object.entries(s.memory)) peak[key] = Math.max(peak[key] ?? value, value);
    });
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Ways for the caller to supply targets and overlap the next one's start with this case's wind-down. */
export interface RunHooks {
  /** Where the target comes from. Default: started on the spot. It must be fresh: no case ran on it. */
  target?: (id: TargetId) => Promise<Target>;
  /** Called once the attack is over, when work elsewhere no longer disturbs this case's figures. */
  afterAttack?: () => void;
}

/**
 * Runs one case against a fresh target process: canary warm-up, baseline, attack (bounded), teardown of
 * every attacker socket, canary shutdown, then the release check. The target is stopped in every path.
 */
export async function runCase(
  chaosCase: ChaosCase,
  targetId: TargetId,
  settings: Settings,
  hooks: RunHooks = {},
): Promise<CaseResult> {
  const started = Date.now();
  const failures: Failure[] = [];
  const notes: string[] = [];
  const tally = new Map<string, number>();
  const sent: SentCounts = { connections: 0, frames: 0, bytes: 0 };
  const registry = new SocketRegistry();
  const target = await (hooks.target ?? ((id: TargetId) => startTarget(id, settings.knobs)))(targetId);
  let canary: Canary | undefined;
  let sampler: RssSampler | undefined;
  let poller: { stop(): Record<string, number> | undefined } | undefined;
  try {
    canary = await Canary.open(target.port);
    await canary.warmUp(40, 5000);
    await target.gc();
    await sleep(100);
    const baselineRss = readRss(target.pid) ?? 0;
    const cpuStart = readCpuMs(target.pid) ?? 0;
    let cpuEnd = cpuStart;
    sampler = new RssSampler(target.pid, settings.rssGuard, (rss) =>
      target.kill(`RSS ${formatBytes(rss)} passed the ${formatBytes(settings.rssGuard)} guard`),
    );
    sampler.start();
    poller = memoryPoller(target);
    canary.start();
    const attackStart = Date.now();

    const live = canary;
    const holdsCanary = (): number => (live.connected ? 1 : 0);
    async function waitHeld(max: () => number, withinMs: number): Promise<number | undefined> {
      const start = Date.now();
      const until = start + withinMs;
      for (;;) {
        if (target.exit() !== undefined) return undefined;
        const s: ServerStats | undefined = await target.stats(1000);
        if (s !== undefined && s.clients <= max() && s.sockets <= max()) return Date.now() - start;
        if (Date.now() >= until) return undefined;
        await sleep(50);
      }
    }

    const limit = chaosCase.timeLimitMs(settings);
    const ctx: CaseContext = {
      targetId,
      port: target.port,
      settings,
      knobs: settings.knobs,
      quick: settings.form === 'quick',
      rng: new Prng(settings.seed),
      until: Date.now() + limit,
      sent,
      async open(options, peerOptions) {
        const upgraded = await openWebSocket({ port: target.port, ...options }, 5000);
        registry.add(upgraded.socket);
        sent.connections++;
        const peer = new Peer(upgraded, peerOptions);
        registry.peers.push(peer);
        return peer;
      },
      async connect(options) {
        const socket = await connectTcp({ port: target.port, ...options }, 5000);
        socket.on('error', () => {});
        registry.add(socket);
        sent.connections++;
        return socket;
      },
      outcome(label, count = 1) {
        tally.set(label, (tally.get(label) ?? 0) + count);
      },
      note: (text) => notes.push(text),
      require(ok, failure) {
        if (!ok) failures.push({ tag: 'expect', detail: failure });
      },
      stats: () => target.stats(1000),
      waitReleased: (withinMs) => waitHeld(holdsCanary, withinMs),
      targetGone: () => target.exit() !== undefined,
    };

    // The attack, cut short at its limit plus a margin should it hang on something unforeseen.
    const margin = 5000;
    let overran = false;
    let hardTimer: NodeJS.Timeout | undefined;
    const hardStop = new Promise<void>((resolve) => {
      hardTimer = setTimeout(() => {
        overran = true;
        resolve();
      }, limit + margin);
    });
    try {
      await Promise.race([chaosCase.attack(ctx), hardStop]);
    } catch (error) {
      // Once the target is gone, connection errors are a consequence, not a harness problem.
      if (target.exit() === undefined) failures.push({ tag: 'harness', detail: `attack threw: ${(error as Error).message}` });
    } finally {
      clearTimeout(hardTimer);
    }
    if (overran) failures.push({ tag: 'harness', detail: `attack ran past its ${limit} ms limit (+${margin} ms margin)` });
    hooks.afterAttack?.();

    // Tear the attackers down: each peer's ending first (it is the server's doing until we let go).
    for (const peer of registry.peers) {
      const label = peer.outcome();
      tally.set(label, (tally.get(label) ?? 0) + 1);
      if (peer.stalledMs > 250) tally.set('stalled', (tally.get('stalled') ?? 0) + 1);
    }
    for (const socket of registry.sockets) {
      sent.bytes += Math.max(0, socket.bytesWritten - socket.writableLength);
      socket.destroy();
    }

    const canaryStart = Date.now();
    const canaryReport = await canary.stop(3000, chaosCase.exhausts === true ? undefined : settings.canaryStallMs);
    if (canaryReport.failure !== undefined && target.exit() === undefined)
      failures.push({ tag: 'canary', detail: canaryReport.failure });

    const releaseStart = Date.now();
    const bound = releaseBoundMs(settings);
    const releasedMs = target.exit() === undefined ? await waitHeld(() => 0, bound) : undefined;
    if (releasedMs === undefined && target.exit() === undefined) {
      const s = await target.stats(1000);
      failures.push({
        tag: 'release',
        detail: `still holding ${s?.clients ?? '?'} WebSocket connection(s) and ${s?.sockets ?? '?'} TCP socket(s) ${bound} ms after the attackers left`,
      });
    }
    cpuEnd = readCpuMs(target.pid) ?? cpuEnd;
    const peakRss = sampler.stop();
    let settledRssDelta: number | undefined;
    if (target.exit() === undefined) {
      await target.gc();
      await sleep(100);
      const settled = readRss(target.pid);
      if (settled !== undefined) settledRssDelta = settled - baselineRss;
    }
    const serverMemoryPeak = poller.stop();

    // What the server's own budget did, when it has one: the most connections it paused at once, and
    // how many it closed with 1013 (a running count since it started).
    if (serverMemoryPeak !== undefined) {
      const paused = serverMemoryPeak.paused ?? 0;
      const closed = serverMemoryPeak.closed ?? 0;
      if (paused > 0) tally.set('budget-paused', paused);
      if (closed > 0) tally.set('budget-closed', closed);
    }
    const crashed = crashText(target);
    if (crashed !== undefined) failures.unshift({ tag: 'crash', detail: crashed });
    const rssDelta = peakRss - baselineRss;
    const allowedGrowth = settings.knobs.memoryBudget + settings.slack.fixed + settings.slack.perConnection * registry.peak;
    if (rssDelta > allowedGrowth) {
      failures.push({
        tag: 'growth',
        detail: `RSS grew ${formatBytes(rssDelta)} over its ${formatBytes(baselineRss)} baseline; allowed ${formatBytes(allowedGrowth)} (budget ${formatBytes(settings.knobs.memoryBudget)} + slack)`,
      });
    }
    return {
      caseName: chaosCase.name,
      target: targetId,
      sent,
      outcomes: [...tally.entries()].sort((a, b) => b[1] - a[1]),
      notes,
      baselineRss,
      peakRss,
      rssDelta,
      settledRssDelta,
      allowedGrowth,
      peakConnections: registry.peak,
      cpuMs: cpuEnd - cpuStart,
      canary: canaryReport,
      releasedMs,
      serverMemoryPeak,
      crashed,
      failures,
      durationMs: Date.now() - started,
      phasesMs: {
        setup: attackStart - started,
        attack: canaryStart - attackStart,
        canary: releaseStart - canaryStart,
        release: Date.now() - releaseStart,
      },
    };
  } finally {
    poller?.stop();
    sampler?.stop();
    for (const socket of registry.sockets) socket.destroy();
    canary?.destroy();
    await target.stop();
  }
}
