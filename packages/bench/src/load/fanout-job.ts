/** The messages between the orchestrator and the fan-out load generator process. */
export interface FanoutJob {
  type: 'open';
  port: number;
  /** Payload bytes per published message. */
  size: number;
  subscribers: number;
  /** Messages the publisher sends. */
  messages: number;
  /** Messages in flight: the publisher sends the next once a message has reached every subscriber. */
  window: number;
  timeoutMs: number;
}

export type FanoutWorkerMessage =
  | { type: 'ready' }
  | {
      type: 'done';
      ok: boolean;
      error?: string;
      /** Messages received by subscribers in all (messages x subscribers when complete). */
      deliveries: number;
      seconds: number;
      /** The generator's own CPU use, as a fraction of one core. */
      generatorCpu: number;
    };

export type FanoutRequest = FanoutJob | { type: 'run' };
