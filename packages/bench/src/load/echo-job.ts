import type { Fairness } from '../report/stats.js';

/** The messages between the orchestrator and the echo load generator process. */
export interface EchoJob {
  port: number;
  /** Payload bytes per message. */
  size: number;
  connections: number;
  /** Messages in flight per connection (closed loop: a reply lets the next message go). */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** The measured phase also ends once this many replies were counted. */
  maxMessages: number;
  /** Offer permessage-deflate and send pre-compressed messages (always text). */
  deflate: boolean;
  /** Send text (ASCII, so the server's UTF-8 validation runs) instead of binary. */
  text: boolean;
  connectTimeoutMs: number;
}

export interface EchoResult {
  ok: boolean;
  error?: string;
  messages: number;
  seconds: number;
  msgPerSec: number;
  /** Payload megabytes per second echoed (uncompressed size, one direction). */
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
  window: number;
  connectMs: number;
  /** Whether the server accepted permessage-deflate on every connection. */
  deflateNegotiated: boolean;
  /** CPU the load generator used during the measured phase, as a fraction of one core. Near 1 means
   * the generator, not the server, may have been the limit; the run logs a warning then. */
  generatorCpu: number;
  /** CPU the server used during the measured phase, as a fraction of one core (filled in by the orchestrator). */
  serverCpu?: number;
  /** Messages per second of server CPU time: robust to other work on the machine stealing cycles. */
  msgPerServerCpuSec?: number;
  /**
   * The server's peak resident set size during the job, in bytes (filled in by the orchestrator): a
   * window opened just before the job's connections, so it also holds what the process kept from
   * earlier cases. Absent where Linux's /proc peak reset is not available.
   */
  peakRss?: number;
  /**
   * Replies per connection in the measured phase: Jain's fairness index over the connections (1: all
   * equal), and the fewest, median and most any connection got.
   */
  fairness?: Fairness;
}

/**
 * A result with nothing measured: what the worker fills in as the job goes, and what stands for a job
 * whose worker never reported (so a failed round has every field a measured one has).
 */
export function emptyEchoResult(window: number, deflateNegotiated: boolean): EchoResult {
  return {
    ok: false,
    messages: 0,
    seconds: 0,
    msgPerSec: 0,
    mbPerSec: 0,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    window,
    connectMs: 0,
    deflateNegotiated,
    generatorCpu: 0,
  };
}

/** What the load generator process sends back: phase marks (so the orchestrator can read the server's
 * CPU counters at the edges of the measured phase), then the result. */
export type EchoWorkerMessage = { type: 'phase'; phase: 'start' | 'end' } | { type: 'result'; result: EchoResult };

/** Messages in flight per connection: enough to keep the server busy, bounded in bytes overall. */
export function windowFor(frameBytes: number, connections: number): number {
  const perConnection = Math.floor((256 * 1024) / frameBytes);
  const overall = Math.floor((64 * 1024 * 1024) / (frameBytes * connections));
  return Math.max(1, Math.min(16, perConnection, overall));
}
