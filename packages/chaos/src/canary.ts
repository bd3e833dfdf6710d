import { Prng } from './prng.js';
import { closeFrame, frame, Opcode } from './wire/frames.js';
import { openWebSocket } from './wire/handshake.js';
import { Peer } from './wire/peer.js';

/** What the canary saw over one case. */
export interface CanaryReport {
  sent: number;
  echoed: number;
  /** Longest wait for an echo while messages were outstanding, in ms. */
  maxWaitMs: number;
  /** Why the canary counts as failed (lost, corrupted or reordered echo, cut by the server, stalled). */
  failure: string | undefined;
}

/** Messages in flight at once: enough to catch reordering, few enough to stay a light client. */
const WINDOW = 4;
/** One new message every this many ms at most: a steady trickle that does not compete with the attackers. */
const PACE_MS = 5;

/** Payload sizes cycled through: every length encoding (7-bit, 16-bit, 64-bit), and the empty message. */
const SIZES = [0, 1, 16, 125, 126, 1000, 4096, 65535, 65536, 200_000];

/**
 * The payload of message `seq`, the same every time it is computed: the sequence number up front, then
 * bytes from a generator seeded with it. Even sequence numbers go as text (ASCII), odd ones as binary.
 */
function expected(seq: number): { opcode: number; payload: Buffer } {
  const rng = new Prng(seq * 2654435761);
  // Mostly small messages; one in 25 takes a size from the whole list.
  const size = seq % 25 === 0 ? SIZES[rng.below(SIZES.length)]! : rng.below(200);
  const text = seq % 2 === 0;
  const payload = Buffer.allocUnsafe(Math.max(size, 12));
  payload.write(`#${String(seq).padStart(10, '0')}:`, 'latin1');
  for (let i = 12; i < payload.length; i++) payload[i] = text ? 0x20 + (rng.next() % 95) : rng.next() & 0xff;
  return { opcode: text ? Opcode.text : Opcode.binary, payload };
}

/**
 * A well-behaved client that keeps echoing sequence-numbered messages through a case and checks every
 * reply byte for byte and in order. It answers pings, so a heartbeat never takes it for dead.
 */
export class Canary {
  private seq = 0;
  private echoed = 0;
  private readonly outstanding: number[] = [];
  private lastProgress = Date.now();
  private maxWaitMs = 0;
  private failure: string | undefined;
  private stopping = false;
  private pacer: NodeJS.Timeout | undefined;
  private progressWaiters: (() => void)[] = [];

  private constructor(private readonly peer: Peer) {}

  static async open(port: number): Promise<Canary> {
    const upgraded = await openWebSocket({ port }, 5000);
    let canary: Canary | undefined;
    const peer = new Peer(upgraded, {
      read: true,
      answerPings: true,
      sink: {
        message: (opcode, data) => canary?.onEcho(opcode, data),
        close: (code, reason) => canary?.fail(`closed by the server with ${code}${reason === '' ? '' : ` (${reason})`}`),
        broken: (reason) => canary?.fail(`unparsable reply stream: ${reason}`),
      },
    });
    canary = new Canary(peer);
    peer.socket.on('close', () =>
      canary?.fail(`connection lost without a close frame (${peer.errorCode ?? 'FIN'}) after ${canary.echoed} echoes`),
    );
    return canary;
  }

  /** True while the canary's connection is up (the server holds one connection for it). */
  get connected(): boolean {
    return !this.peer.closed;
  }

  /** `count` round trips one after the other: warms both ends up before the baseline is taken. */
  async warmUp(count: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (let i = 0; i < count && this.failure === undefined && Date.now() < until; i++) {
      this.sendNext();
      await this.settled(until);
    }
    if (this.failure !== undefined) throw new Error(`canary warm-up failed: ${this.failure}`);
  }

  /** Starts the steady trickle of messages. */
  start(): void {
    this.lastProgress = Date.now();
    this.pacer = setInterval(() => this.tick(), PACE_MS);
  }

  /**
   * Stops sending, waits (up to `timeoutMs`) for the echoes still due, then closes cleanly.
   * `stallLimitMs` undefined: the case may exhaust the server, so a stall is reported but not a failure.
   */
  async stop(timeoutMs: number, stallLimitMs: number | undefined): Promise<CanaryReport> {
    if (this.pacer !== undefined) clearInterval(this.pacer);
    this.pacer = undefined;
    const until = Date.now() + timeoutMs;
    await this.settled(until);
    this.observeWait();
    if (this.failure === undefined && this.outstanding.length > 0) {
      this.failure = `${this.outstanding.length} echo(es) lost: no reply to #${this.outstanding[0]} within ${timeoutMs} ms of the end`;
    }
    if (this.failure === undefined && stallLimitMs !== undefined && this.maxWaitMs > stallLimitMs) {
      this.failure = `stalled: waited ${this.maxWaitMs} ms for an echo (limit ${stallLimitMs} ms)`;
    }
    this.stopping = true;
    if (!this.peer.closed) {
      this.peer.send(closeFrame(1000, 'canary done'));
      await this.peer.waitClosed(Math.max(500, until - Date.now()));
      this.peer.destroy();
    }
    return { sent: this.seq, echoed: this.echoed, maxWaitMs: this.maxWaitMs, failure: this.failure };
  }

  /** Drops the connection at once (the runner's last resort). */
  destroy(): void {
    this.stopping = true;
    if (this.pacer !== undefined) clearInterval(this.pacer);
    this.peer.destroy();
  }

  private tick(): void {
    this.observeWait();
    if (this.failure !== undefined) return;
    if (this.outstanding.length < WINDOW) this.sendNext();
  }

  private sendNext(): void {
    const seq = this.seq++;
    const { opcode, payload } = expected(seq);
    if (this.outstanding.length === 0) this.lastProgress = Date.now();
    this.outstanding.push(seq);
    this.peer.send(frame(opcode, payload));
  }

  private onEcho(opcode: number, data: Buffer): void {
    const seq = this.outstanding.shift();
    if (seq === undefined) {
      this.fail(`unexpected message of ${data.length} bytes (nothing outstanding)`);
      return;
    }
    const want = expected(seq);
    if (opcode !== want.opcode) {
      this.fail(`echo of #${seq} came back with opcode ${opcode}, sent ${want.opcode}`);
      return;
    }
    if (!data.equals(want.payload)) {
      const got = data.subarray(0, 12).toString('latin1');
      this.fail(`echo of #${seq} differs (${data.length} bytes starting "${got}", sent ${want.payload.length})`);
      return;
    }
    this.observeWait();
    this.echoed++;
    this.lastProgress = Date.now();
    for (const wake of this.progressWaiters.splice(0)) wake();
  }

  /** Longest wait so far: measured whenever something is outstanding. */
  private observeWait(): void {
    if (this.outstanding.length === 0) return;
    const wait = Date.now() - this.lastProgress;
    if (wait > this.maxWaitMs) this.maxWaitMs = wait;
  }

  /** Resolves once nothing is outstanding, the canary failed, or `until` passed. */
  private async settled(until: number): Promise<void> {
    while (this.outstanding.length > 0 && this.failure === undefined && Date.now() < until) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, Math.max(0, until - Date.now())));
        this.progressWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private fail(reason: string): void {
    if (this.stopping || this.failure !== undefined) return;
    this.failure = reason;
  }
}
