import type { Socket } from 'node:net';
import type { Prng } from './prng.js';
import type { Settings } from './settings.js';
import type { TargetId } from './target-process.js';
import type { ServerStats } from './targets/ipc.js';
import type { TargetKnobs } from './targets/knobs.js';
import type { ConnectOptions, RequestOptions } from './wire/handshake.js';
import type { Peer, PeerOptions } from './wire/peer.js';

/** What the attacker put on the wire in one case. */
export interface SentCounts {
  connections: number;
  frames: number;
  /** Bytes that left the attacker's buffers for the kernel. */
  bytes: number;
}

/** What a case's attack gets to work with. Every socket it opens goes through here, so none outlives it. */
export interface CaseContext {
  readonly targetId: TargetId;
  readonly port: number;
  readonly settings: Settings;
  readonly knobs: TargetKnobs;
  readonly quick: boolean;
  readonly rng: Prng;
  /** Epoch ms by which the attack must be over; the runner tears everything down shortly after. */
  readonly until: number;
  readonly sent: SentCounts;
  /** Opens a WebSocket connection through the handshake and wraps it in a Peer (counted, torn down later). */
  open(options: Partial<ConnectOptions> & RequestOptions, peer: PeerOptions): Promise<Peer>;
  /** Opens a plain TCP connection (counted, torn down later). */
  connect(options?: Partial<ConnectOptions>): Promise<Socket>;
  /** Counts one outcome ("1008", "terminated", "http 431", ...) for the table. */
  outcome(label: string, count?: number): void;
  /** A free-text observation for the detailed report. */
  note(text: string): void;
  /** Records a failure of the case when `ok` is false. */
  require(ok: boolean, failure: string): void;
  /** The target's figures over IPC (undefined when it did not answer or is gone). */
  stats(): Promise<ServerStats | undefined>;
  /**
   * Waits until the target holds no connection but the canary's (WebSocket and TCP alike), polling over
   * IPC. Resolves with the milliseconds it took, or undefined when `withinMs` passed first.
   */
  waitReleased(withinMs: number): Promise<number | undefined>;
  /** True once the target process is gone (crashed or killed by the RSS guard). */
  targetGone(): boolean;
}

/** One chaos case: an attack with its own bounds and its own expectations of the server. */
export interface ChaosCase {
  readonly name: string;
  /** One line: what the attacker does and what the server must do about it. */
  readonly summary: string;
  /** The most the attack may take in this form, in ms (the runner cuts it at this plus a margin). */
  timeLimitMs(settings: Settings): number;
  /** The case sets out to exhaust the server: the canary may stall (it still must not see a wrong echo). */
  readonly exhausts?: boolean;
  attack(ctx: CaseContext): Promise<void>;
}
