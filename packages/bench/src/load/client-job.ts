/** Messages between the orchestrator and a client worker, and the arithmetic of the client rows. */
import { formatSize } from '../report/units.js';

/**
 * The clients measured: ours through `connect()`, our WHATWG `WebSocket` class, `ws` 8 with its
 * native add-ons (the bar), undici's WHATWG `WebSocket`, and, receiving only, `ws` again with
 * `binaryType = 'arraybuffer'`: what the WHATWG classes are held to (an `ArrayBuffer` of its own per
 * binary message, which the standard requires and ws's default `Buffer` views skip).
 */
export type ClientId = 'ours' | 'whatwg' | 'ws' | 'undici' | 'ws-arraybuffer';
export const CLIENT_IDS: readonly ClientId[] = ['ours', 'whatwg', 'ws', 'undici', 'ws-arraybuffer'];

/** Receive: the client reads the firehose. Send: the client writes into the sink. */
export type ClientDirection = 'receive' | 'send';

/** The contenders of a direction: the binary type only matters to a client that receives. */
export function clientsFor(direction: ClientDirection): readonly ClientId[] {
  return direction === 'receive' ? CLIENT_IDS : CLIENT_IDS.filter((id) => id !== 'ws-arraybuffer');
}

export interface ClientCase {
  direction: ClientDirection;
  /** Payload bytes per binary message. */
  size: number;
}

/** One contender, one case, one connection, in a fresh worker process. */
export interface ClientJob {
  client: ClientId;
  direction: ClientDirection;
  size: number;
  port: number;
  warmupMs: number;
  durationMs: number;
  /** The firehose's count: a bound, far beyond what a job reads (the client closes first). */
  maxMessages: number;
  /** Sends in flight (connect(), ws) or messages' worth of `bufferedAmount` (WHATWG) at most. */
  window: number;
  /** The whole job, handshake to close, fails past this. */
  timeoutMs: number;
}

export type ClientReply =
  | {
      ok: true;
      /** Messages received, or handed to `send`, in the measured phase. */
      messages: number;
      seconds: number;
      /** The worker's own CPU (user + system, every thread) in the measured phase, in microseconds. */
      cpuMicros: number;
      /** Send rows: what the sink counted over the whole connection, and what the client sent. */
      peerMessages?: number;
      sentMessages?: number;
    }
  | { ok: false; error: string };

/** "receive 16 B", "send 64 KiB". */
export function clientCaseName(c: ClientCase): string {
  return `${c.direction} ${formatSize(c.size)}`;
}

/**
 * The `bufferedAmount` under which a WHATWG client may send another message: `window` messages' worth,
 * so the WHATWG contenders hold as much in flight as the others' windows do (at least one byte, so an
 * empty message can always go).
 */
export function bufferedBound(size: number, window: number): number {
  if (!(size >= 0) || !(window >= 1)) throw new RangeError(`size must be >= 0 and window >= 1, got ${size} and ${window}`);
  return Math.max(1, size * window);
}

/** Client CPU microseconds per message; undefined without a figure on either side. */
export function cpuMicrosPer(cpuMicros: number, messages: number): number | undefined {
  if (!(cpuMicros > 0) || !(messages > 0)) return undefined;
  return cpuMicros / messages;
}
