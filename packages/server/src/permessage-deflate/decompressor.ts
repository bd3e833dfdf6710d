/**
 * One direction of decompression for one connection (RFC 7692 section 7.2.2), bounded by the message
 * size limit while it runs.
 */
import { constants, createInflateRaw, type InflateRaw } from 'node:zlib';
import { corruptData, messageTooBig } from './contract.js';
import { joinChunks, processInline } from './inline-zlib.js';
import { PooledZlibStream } from './stream-pool.js';

/** Settings of one decompressor, fixed by the negotiation. */
export interface DecompressorConfig {
  /** The peer's LZ77 window, 8..15: the inflater needs no more than that. */
  windowBits: number;
  /** True when the peer starts every message from an empty window. */
  noContextTakeover: boolean;
}

/**
 * Output after which an inline inflate hands the rest of its message to the thread pool: inflating
 * 1 MiB is about a millisecond of work, a bound on how long one small compressed message can hold the
 * event loop.
 */
export const INLINE_OUTPUT_PAUSE = 1024 * 1024;

/** Who learns that an inflate on the thread pool holds more output (the connection, for its memory budget). */
export interface InflateWatcher {
  inflateGrew(): void;
}

/**
 * Output growth between two reports to the watcher: a bomb inflating toward the message size limit is
 * seen by the server's memory budget every 256 KiB, not only when its message ends.
 */
const GROWTH_REPORT = 256 * 1024;

/** A message an inline inflate stopped part-way: its unread input and the output so far. */
export class UnfinishedInflate {
  constructor(
    readonly rest: Buffer,
    readonly chunks: Buffer[],
    readonly length: number,
  ) {}
}

/** Section 7.2.2: the receiver appends the empty stored block the sender stripped. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Inflates whole messages one at a time, counting output as zlib produces it (one chunk of
 * `chunkSize` bytes per trip through the thread pool): past `maxSize` it closes the stream at once
 * and rejects with ProtocolError(1009), so a bomb costs at most the limit plus one chunk.
 */
export class Decompressor extends PooledZlibStream<InflateRaw> {
  protected readonly kind = 'decompressor';
  protected readonly poolKey: string;
  /** Bytes inflated so far for the message on the thread pool (what a server's memory budget counts). */
  inflated = 0;
  /** Told each time `inflated` grows by another {@link GROWTH_REPORT} bytes (a server's memory budget). */
  watcher: InflateWatcher | undefined = undefined;
  private reported = 0;
  /** Output is held back (see {@link hold}). */
  private held = false;
  /** The stream of the inflate in progress on the thread pool, if any. */
  private running: InflateRaw | undefined = undefined;

  constructor(private readonly config: DecompressorConfig) {
    super(config.noContextTakeover);
    this.poolKey = `inflate:${config.windowBits}`;
  }

  /** Inflates one message given as its frames' payloads on the thread pool. Calls must not overlap. */
  decompress(fragments: readonly Uint8Array[], maxSize: number): Promise<Uint8Array> {
    return this.inflate(withTail(fragments), [], 0, maxSize);
  }

  /**
   * Inflates one message on this thread (see inline-zlib.ts). Only for small compressed input, when no
   * other inflate of this connection is in progress, and only when `inlineZlibWorks()`. A message that
   * inflates past {@link INLINE_OUTPUT_PAUSE} comes back unfinished: pass it to {@link finish}.
   * @throws ProtocolError(1009) past `maxSize`, ProtocolError(1007) on bad data.
   */
  decompressInline(fragments: readonly Uint8Array[], maxSize: number): Uint8Array | UnfinishedInflate {
    const stream = this.open();
    const input = withTail(fragments);
    const result = processInline(stream, input, maxSize, INLINE_OUTPUT_PAUSE, own);
    if (!('chunks' in result)) {
      // The window is now out of step with the peer's: the connection is failing anyway.
      this.close();
      throw result.kind === 'zlib' ? corruptData(result.error.message) : messageTooBig(maxSize);
    }
    if (!result.complete) {
      return new UnfinishedInflate(input.subarray(input.length - result.inputLeft), result.chunks, result.length);
    }
    // Input left over means a final block (BFINAL) ended zlib's stream: start afresh next time.
    if (result.inputLeft > 0) this.close();
    else this.finished();
    return joinChunks(result, own);
  }

  /**
   * Holds back (true) or lets go (false) the output of the inflate on the thread pool: zlib stops once
   * the stream's readable buffer is full, so a bomb stops growing while a server's memory budget is
   * under pressure. Later inflates start held as well until let go.
   */
  hold(held: boolean): void {
    this.held = held;
    const stream = this.running;
    if (stream === undefined) return;
    if (held) stream.pause();
    else stream.resume();
  }

  /** Inflates the rest of a message {@link decompressInline} left unfinished, on the thread pool. */
  finish(unfinished: UnfinishedInflate, maxSize: number): Promise<Uint8Array> {
    return this.inflate(unfinished.rest, unfinished.chunks, unfinished.length, maxSize);
  }

  /** `input` through the stream on the thread pool, after `chunks` (`length` bytes) already inflated. */
  private inflate(input: Buffer, chunks: Buffer[], length: number, maxSize: number): Promise<Uint8Array> {
    const stream = this.open();
    return new Promise<Uint8Array>((resolve, reject) => {
      const settle = (error: Error | undefined): void => {
        if (this.abort !== settle) return;
        this.abort = undefined;
        this.inflated = 0;
        this.reported = 0;
        this.running = undefined;
        stream.off('data', onData);
        stream.off('error', onError);
        if (error) {
          // The window is now out of step with the peer's: the connection is failing anyway.
          this.close();
          reject(error);
          return;
        }
        // A final block (BFINAL) ends zlib's stream: later input would be ignored, so start afresh.
        if (stream.readableEnded || stream.writableEnded) this.close();
        else this.finished();
        resolve(chunks.length === 1 ? unpinned(chunks[0] as Buffer) : Buffer.concat(chunks, length));
      };
      const onData = (chunk: Buffer): void => {
        length += chunk.length;
        if (length > maxSize) settle(messageTooBig(maxSize));
        else {
          chunks.push(chunk);
          this.inflated = length;
          if (length - this.reported >= GROWTH_REPORT && this.watcher !== undefined) {
            this.reported = length;
            this.watcher.inflateGrew();
          }
        }
      };
      const onError = (error: Error): void => settle(corruptData(error.message));
      stream.on('data', onData);
      stream.on('error', onError);
      // A pooled stream may have been left paused by an earlier hold: flowing is set either way.
      if (this.held) stream.pause();
      else stream.resume();
      this.running = stream;
      this.abort = settle;
      // An empty rest still goes through zlib: it may hold output it had no room for.
      stream.write(input, (error) => settle(error ? corruptData(error.message) : undefined));
    });
  }

  protected create(): InflateRaw {
    return createInflateRaw({ windowBits: this.config.windowBits, flush: constants.Z_SYNC_FLUSH });
  }
}

/** One buffer holding every fragment and the tail: one zlib write instead of one per fragment. */
function withTail(fragments: readonly Uint8Array[]): Buffer {
  let total = TAIL.length;
  for (const fragment of fragments) total += fragment.length;
  const input = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const fragment of fragments) {
    input.set(fragment, offset);
    offset += fragment.length;
  }
  input.set(TAIL, offset);
  return input;
}

/** Inflated messages go to the application, which may keep them: memory of their own, not a pool slice. */
function own(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}

/**
 * A lone output chunk is a view into zlib's 16 KiB output buffer: an application keeping a small
 * message (a chat history) would pin all of it, over ten times the message. Copy such chunks into a
 * buffer of their own (not from Node's shared pool, which would pin 8 KiB the same way).
 */
function unpinned(chunk: Buffer): Buffer {
  if (chunk.buffer.byteLength <= 2 * chunk.length) return chunk;
  const own = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(own);
  return own;
}
