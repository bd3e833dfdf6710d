/**
 * The messages between the orchestrator and the fan-out load generator processes. A job's subscribers
 * are split over one or more generator processes (see fanout-plan.ts); the first one also holds the
 * publisher. The others report how many messages their whole shard has (`progress`), and the
 * orchestrator relays the smallest of those counts to the publisher (`complete`), which keeps a window
 * of messages in flight over every subscriber of every generator.
 */
export interface FanoutJob {
  type: 'open';
  /** The servers' ports: subscriber k connects to `ports[k % ports.length]`, the publisher to `ports[0]`. */
  ports: number[];
  /** Payload bytes per published message. */
  size: number;
  /** Subscribers of the whole job, over every generator. */
  subscribers: number;
  /** This generator's subscribers: global indices `first` to `first + count - 1`. */
  first: number;
  count: number;
  /** This generator holds the publisher. */
  publisher: boolean;
  /** Other generators hold subscribers too (their progress then arrives as `complete` messages). */
  others: boolean;
  /** Messages of the throughput phase. */
  messages: number;
  /** Messages in flight in the throughput phase: a message leaves the window once every subscriber has it. */
  window: number;
  /** Messages of the latency phase, sent one at a time after the throughput phase. */
  latencyMessages: number;
  /** The latency phase stops sending after this long, with what it has. */
  latencyMs: number;
  /** Handshakes in flight per generator while the subscribers connect. */
  concurrency: number;
  /** Block of loopback source addresses (see `sourceAddress`). */
  addressBlock: number;
  timeoutMs: number;
}

export type FanoutPhase = 'throughput' | 'latency';

export type FanoutRequest =
  | FanoutJob
  | { type: 'run'; phase: FanoutPhase }
  /** To the publisher: every other generator's whole shard has this many messages. */
  | { type: 'complete'; complete: number }
  | { type: 'report' };

export type FanoutWorkerMessage =
  | { type: 'ready' }
  /** Something went wrong in this generator (a socket error, a short message, a close frame). */
  | { type: 'failed'; error: string }
  /** From a generator without the publisher: its whole shard has this many messages. */
  | { type: 'progress'; complete: number }
  /** From the publisher's generator: the phase ended (every subscriber has every message sent, or a timeout). */
  | { type: 'phase-done'; phase: FanoutPhase; ok: boolean; error?: string; sent: number; seconds: number }
  | {
      type: 'report';
      /** Messages received by this generator's subscribers, both phases. */
      deliveries: number;
      /** This generator's CPU use during the throughput phase, as a fraction of one core. */
      generatorCpu: number;
      /** Per latency-phase message: when this generator's last subscriber had it, in µs of the shared clock (NaN: never). */
      doneAt: number[];
      /** Per latency-phase message: when the publisher wrote it (the publisher's generator only, else empty). */
      sentAt: number[];
    };
