/** Messages between the orchestrator and the scale load generator process. */
export type ScaleRequest =
  | {
      type: 'open';
      port: number;
      count: number;
      concurrency: number;
      deflate: boolean;
      timeoutMs: number;
      /** Which block of source addresses to connect from (see `sourceAddress`). */
      addressBlock: number;
    }
  | { type: 'close' };

export type ScaleReply =
  | {
      type: 'opened';
      ok: true;
      count: number;
      ms: number;
      handshakesPerSec: number;
      deflateNegotiated: boolean;
      generatorCpu: number;
    }
  | { type: 'opened'; ok: false; error: string }
  | { type: 'closed' };
