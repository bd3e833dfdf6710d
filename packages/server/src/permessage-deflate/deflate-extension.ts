/**
 * The live permessage-deflate extension of one connection: what the Connection calls for every data
 * message once the handshake has agreed on the extension.
 */
import type { EncodedMessage, Extension } from './contract.js';
import { Compressor, type CompressorConfig } from './compressor.js';
import { Decompressor, type DecompressorConfig } from './decompressor.js';
import type { ZlibLimiter } from './limiter.js';
import { EXTENSION_NAME, type DeflateParams } from './params.js';

/** Everything one connection's extension needs, worked out by a negotiator. */
export interface DeflatePlan {
  /** The parameters agreed on, as the server's response states them. */
  agreed: DeflateParams;
  deflate: CompressorConfig;
  inflate: DecompressorConfig;
  threshold: number;
  limiter: ZlibLimiter;
}

/**
 * permessage-deflate on one connection. Outgoing messages of at least `threshold` bytes are
 * compressed (RSV1 set on their first frame by the Connection); incoming messages with RSV1 are
 * inflated under the size limit. zlib work goes through the shared limiter, one job per message, and
 * each direction runs its messages strictly in order because the LZ77 window carries over.
 */
export class PerMessageDeflate implements Extension {
  readonly name = EXTENSION_NAME;
  readonly rsv1 = true;
  /** The parameters agreed on in the handshake. */
  readonly agreed: DeflateParams;
  private readonly compressor: Compressor;
  private readonly decompressor: Decompressor;
  private readonly threshold: number;
  private readonly limiter: ZlibLimiter;
  // Tails of the per-direction job chains; undefined when the direction is idle.
  private sending: Promise<unknown> | undefined;
  private receiving: Promise<unknown> | undefined;
  private disposed = false;

  constructor(plan: DeflatePlan) {
    this.agreed = plan.agreed;
    this.compressor = new Compressor(plan.deflate);
    this.decompressor = new Decompressor(plan.inflate);
    this.threshold = plan.threshold;
    this.limiter = plan.limiter;
  }

  /** True while this connection holds zlib memory (for tests and the memory script). */
  get zlibAllocated(): { deflate: boolean; inflate: boolean } {
    return { deflate: this.compressor.allocated, inflate: this.decompressor.allocated };
  }

  /** Compresses `data` unless it is shorter than the threshold, in which case it goes out as is. */
  encode(data: Uint8Array, _binary: boolean): EncodedMessage | Promise<EncodedMessage> {
    if (data.length < this.threshold || this.disposed) return { data, rsv1: false };
    const job = this.chain(this.sending, () => this.compressor.compress(data)).then(
      (compressed): EncodedMessage => ({ data: compressed, rsv1: true }),
    );
    const tail = job.then(ignore, ignore);
    this.sending = tail;
    void tail.then(() => {
      if (this.sending === tail) this.sending = undefined;
    });
    return job;
  }

  /**
   * Inflates a message whose first frame had RSV1; passes others through. Rejects with
   * ProtocolError(1009) as soon as the output passes `maxSize`, and ProtocolError(1007) on bad data.
   */
  decode(fragments: readonly Uint8Array[], rsv1: boolean, maxSize: number): Uint8Array | Promise<Uint8Array> {
    if (!rsv1) return concat(fragments);
    if (this.disposed) return Promise.reject(new Error('permessage-deflate extension disposed'));
    const job = this.chain(this.receiving, () => this.decompressor.decompress(fragments, maxSize));
    const tail = job.then(ignore, ignore);
    this.receiving = tail;
    void tail.then(() => {
      if (this.receiving === tail) this.receiving = undefined;
    });
    return job;
  }

  /** Frees both zlib streams; work in progress rejects, queued work never starts zlib. */
  dispose(): void {
    this.disposed = true;
    this.compressor.dispose();
    this.decompressor.dispose();
  }

  private chain<T>(previous: Promise<unknown> | undefined, work: () => Promise<T>): Promise<T> {
    const run = (): Promise<T> =>
      this.limiter.run(() =>
        this.disposed ? Promise.reject(new Error('permessage-deflate extension disposed')) : work(),
      );
    return previous ? previous.then(run) : run();
  }
}

function ignore(): void {
  // Chains only order the jobs; each job's own promise carries its result to the Connection.
}

function concat(fragments: readonly Uint8Array[]): Uint8Array {
  if (fragments.length === 1) return fragments[0] as Uint8Array;
  let total = 0;
  for (const fragment of fragments) total += fragment.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const fragment of fragments) {
    out.set(fragment, offset);
    offset += fragment.length;
  }
  return out;
}
