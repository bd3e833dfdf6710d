/**
 * The live permessage-deflate extension of one connection: what the Connection calls for every data
 * message once the handshake has agreed on the extension.
 */
import { concatBytes, type EncodedMessage, type Extension } from './contract.js';
import { Compressor, type CompressorConfig } from './compressor.js';
import { Decompressor, type DecompressorConfig, type InflateWatcher, UnfinishedInflate } from './decompressor.js';
import { inlineZlibWorks } from './inline-zlib.js';
import type { ZlibLimiter } from './limiter.js';
import { EXTENSION_NAME, type DeflateParams } from './params.js';
import { sharedCompressionOf, type SharedCompression } from './shared-compression.js';

/** Everything one connection's extension needs, worked out by a negotiator. */
export interface DeflatePlan {
  /** The parameters agreed on, as the server's response states them. */
  agreed: DeflateParams;
  deflate: CompressorConfig;
  inflate: DecompressorConfig;
  threshold: number;
  /** Largest outgoing message compressed on the calling thread instead of libuv's thread pool (0: none). */
  inlineDeflateLimit: number;
  /** Largest incoming compressed payload inflated on the calling thread (0: none). */
  inlineInflateLimit: number;
  limiter: ZlibLimiter;
}

/**
 * permessage-deflate on one connection. Outgoing messages of at least `threshold` bytes are
 * compressed (RSV1 set on their first frame by the Connection); incoming messages with RSV1 are
 * inflated under the size limit. Small messages are done synchronously on the calling thread when
 * their direction is idle (see inline-zlib.ts: a thread-pool trip costs far more than the work); the
 * rest go to libuv's thread pool through the shared limiter, one job per message. Each direction runs
 * its messages strictly in order because the LZ77 window carries over.
 */
export class PerMessageDeflate implements Extension {
  // The plan is shared by every connection that made the same offer (see PerMessageDeflateServer), and
  // each direction's zlib wrapper is made on its first compressed message: an idle connection holds
  // six small fields here, not a dozen plus two wrappers (the scale rows of `pnpm bench --only deflate`
  // measure RSS per idle connection).
  private readonly plan: DeflatePlan;
  private compressor: Compressor | undefined;
  private decompressor: Decompressor | undefined;
  private watcher: InflateWatcher | undefined = undefined;
  private holding = false;
  // Each direction's thread-pool jobs, created on its first one: a connection whose messages all go
  // inline (or that sends nothing) never holds one.
  private sending: OrderedJobs | undefined;
  private receiving: OrderedJobs | undefined;
  private disposed = false;

  constructor(plan: DeflatePlan) {
    this.plan = plan;
  }

  /** `permessage-deflate`. */
  get name(): string {
    return EXTENSION_NAME;
  }

  /** Bytes inflated so far for an incoming message still on the thread pool (0 when none). */
  get bufferedBytes(): number {
    return this.decompressor?.inflated ?? 0;
  }

  /** Holds back (or lets go) the output of an inflate on the thread pool; see `Decompressor.hold`. */
  hold(held: boolean): void {
    this.holding = held;
    this.decompressor?.hold(held);
  }

  /** Told as an inflate on the thread pool grows (the adapter's memory budget); see `Decompressor.watcher`. */
  watch(watcher: InflateWatcher): void {
    this.watcher = watcher;
    if (this.decompressor !== undefined) this.decompressor.watcher = watcher;
  }

  /** Always true: compressed messages are flagged with RSV1 (RFC 7692 section 6). */
  get rsv1(): boolean {
    return true;
  }

  /** The parameters agreed on in the handshake. */
  get agreed(): DeflateParams {
    return this.plan.agreed;
  }

  /**
   * How a server's publish can compress for this connection once for all (server_no_context_takeover),
   * or undefined when its compressor keeps its window between messages (see shared-compression.ts).
   */
  get sharedCompression(): SharedCompression | undefined {
    return sharedCompressionOf(this.plan);
  }

  /** True while this connection holds zlib memory (for tests and the memory script). */
  get zlibAllocated(): { deflate: boolean; inflate: boolean } {
    return { deflate: this.compressor?.allocated ?? false, inflate: this.decompressor?.allocated ?? false };
  }

  /** Compresses `data` unless it is shorter than the threshold, in which case it goes out as is. */
  encode(data: Uint8Array, _binary: boolean): EncodedMessage | Promise<EncodedMessage> {
    if (data.length < this.plan.threshold || this.disposed) return { data, rsv1: false };
    const compressor = (this.compressor ??= new Compressor(this.plan.deflate));
    if (!this.sending?.pending && data.length <= inlineLimit(this.plan.inlineDeflateLimit)) {
      return { data: compressor.compressInline(data), rsv1: true };
    }
    const compress = (): Promise<EncodedMessage> =>
      compressor.compress(data).then((compressed): EncodedMessage => ({ data: compressed, rsv1: true }));
    return (this.sending ??= new OrderedJobs()).add(() => this.onThreadPool(compress));
  }

  /**
   * Inflates a message whose first frame had RSV1; passes others through. Rejects with
   * ProtocolError(1009) as soon as the output passes `maxSize`, and ProtocolError(1007) on bad data.
   */
  decode(fragments: readonly Uint8Array[], rsv1: boolean, maxSize: number): Uint8Array | Promise<Uint8Array> {
    if (!rsv1) return concatBytes(fragments);
    if (this.disposed) return Promise.reject(new Error('permessage-deflate extension disposed'));
    let decompressor = this.decompressor;
    if (decompressor === undefined) {
      decompressor = this.decompressor = new Decompressor(this.plan.inflate);
      decompressor.watcher = this.watcher;
      if (this.holding) decompressor.hold(true);
    }
    let work: () => Promise<Uint8Array>;
    if (!this.receiving?.pending && compressedLength(fragments) <= inlineLimit(this.plan.inlineInflateLimit)) {
      const inflated = decompressor.decompressInline(fragments, maxSize);
      if (!(inflated instanceof UnfinishedInflate)) return inflated;
      // It inflates to more than an inline pass may produce: the rest goes to the thread pool.
      work = () => decompressor.finish(inflated, maxSize);
    } else {
      work = () => decompressor.decompress(fragments, maxSize);
    }
    return (this.receiving ??= new OrderedJobs()).add(() => this.onThreadPool(work));
  }

  /** Frees both zlib streams; work in progress rejects, queued work never starts zlib. */
  dispose(): void {
    this.disposed = true;
    this.compressor?.dispose();
    this.decompressor?.dispose();
  }

  /** One zlib job through the shared limiter; a job whose turn comes after dispose never starts zlib. */
  private onThreadPool<T>(work: () => Promise<T>): Promise<T> {
    return this.plan.limiter.run(() =>
      this.disposed ? Promise.reject(new Error('permessage-deflate extension disposed')) : work(),
    );
  }
}

/**
 * An inline limit as the codec applies it: -1 (nothing inline) when it is 0 or when this Node lacks the
 * internals the inline path relies on (checked once per process, see inline-zlib.ts).
 */
function inlineLimit(limit: number): number {
  return limit > 0 && inlineZlibWorks() ? limit : -1;
}

/** One direction's thread-pool jobs, run strictly in order because the LZ77 window carries over. */
class OrderedJobs {
  /**
   * Jobs not settled yet. This count, not the tail, says whether the direction is idle: it drops as a
   * job settles, before the Connection hears of it, so the next message can already go inline.
   */
  pending = 0;
  private tail: Promise<unknown> | undefined = undefined;

  /** Starts `work` once every earlier job has settled (at once when none is pending). */
  add<T>(work: () => Promise<T>): Promise<T> {
    const job = this.pending > 0 && this.tail !== undefined ? this.tail.then(work) : work();
    this.pending++;
    const settled = (): void => {
      this.pending--;
    };
    // Registered before the caller's reaction, so the count is down when the caller continues.
    this.tail = job.then(settled, settled);
    return job;
  }
}

/** Bytes of a compressed message as received (the 4-byte tail zlib needs is not counted). */
function compressedLength(fragments: readonly Uint8Array[]): number {
  let total = 0;
  for (const fragment of fragments) total += fragment.length;
  return total;
}
