/**
 * One direction of compression for one connection: raw DEFLATE with a sync flush per message
 * (RFC 7692 section 7.2.1).
 */
import { constants, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { joinChunks, processInline } from './inline-zlib.js';
import { PooledZlibStream } from './stream-pool.js';

/** Settings of one compressor, fixed by the negotiation. */
export interface CompressorConfig {
  /** LZ77 window, 8..15. zlib cannot do 8 for raw deflate; Node asks for 9, which still only emits
   * distances a 256-byte window can resolve (checked against Python's zlib in the tests). */
  windowBits: number;
  level: number;
  memLevel: number;
  /** True when every message must start from an empty window (no context takeover). */
  noContextTakeover: boolean;
}

/** The empty stored block a sync flush ends with; section 7.2.1 strips it from the wire. */
const TAIL = [0x00, 0x00, 0xff, 0xff] as const;

/**
 * Compresses whole messages one at a time. With context takeover the zlib stream is created on first
 * use and kept; without, a stream is borrowed from the shared idle pool for each message and given
 * back, so an idle connection holds no zlib memory.
 */
export class Compressor extends PooledZlibStream<DeflateRaw> {
  protected readonly kind = 'compressor';
  protected readonly poolKey: string;

  constructor(private readonly config: CompressorConfig) {
    super(config.noContextTakeover);
    this.poolKey = `deflate:${config.windowBits}:${config.level}:${config.memLevel}`;
  }

  /**
   * Compresses one message and returns it without the trailing 0x00 0x00 0xff 0xff.
   * Calls must not overlap: the caller serialises them (the window is shared between messages).
   */
  compress(data: Uint8Array): Promise<Uint8Array> {
    const stream = this.open();
    return new Promise<Uint8Array>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        length += chunk.length;
      };
      const settle = (error: Error | undefined): void => {
        if (this.abort !== settle) return;
        stream.off('data', onData);
        stream.off('error', settle);
        this.abort = undefined;
        if (error) {
          this.close();
          reject(error);
          return;
        }
        const out = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
        this.finished();
        resolve(stripTail(out));
      };
      stream.on('data', onData);
      stream.on('error', settle);
      this.abort = settle;
      // The stream's default flush is Z_SYNC_FLUSH, so this single write both compresses and flushes:
      // one trip through the thread pool instead of a write and a flush.
      stream.write(data, (error) => settle(error ?? undefined));
    });
  }

  /**
   * Compresses one message on this thread (see inline-zlib.ts) and returns it without the trailing
   * 0x00 0x00 0xff 0xff. Only for small messages, when no other compression of this connection is in
   * progress, and only when `inlineZlibWorks()`.
   */
  compressInline(data: Uint8Array): Uint8Array {
    const stream = this.open();
    const result = processInline(stream, data, Infinity, Infinity, pooled);
    if (!('chunks' in result)) {
      this.close();
      throw result.kind === 'zlib' ? result.error : new Error('permessage-deflate: compressed output over the limit');
    }
    this.finished();
    return stripTail(joinChunks(result, pooled));
  }

  protected create(): DeflateRaw {
    return createDeflateRaw({
      windowBits: this.config.windowBits,
      level: this.config.level,
      memLevel: this.config.memLevel,
      flush: constants.Z_SYNC_FLUSH,
    });
  }
}

/** Compressed data is written to the socket and dropped: Node's pooled allocation is fine for it. */
function pooled(size: number): Buffer {
  return Buffer.allocUnsafe(size);
}

/** Section 7.2.3.6: an empty stored block, which is what an empty message compresses to. */
const EMPTY_BLOCK = Buffer.from([0x00]);

function stripTail(data: Buffer): Buffer {
  const n = data.length;
  // zlib emits nothing for a sync flush with no new input after an earlier flush (an empty message
  // with context takeover); an empty payload would make the receiver read its appended tail as a
  // broken stored block, so send the one-byte empty block instead.
  if (n === 0) return EMPTY_BLOCK;
  if (n >= 4 && data[n - 4] === TAIL[0] && data[n - 3] === TAIL[1] && data[n - 2] === TAIL[2] && data[n - 1] === TAIL[3]) {
    return data.subarray(0, n - 4);
  }
  // Unreachable with Z_SYNC_FLUSH, which always ends on an empty stored block; sending the data whole
  // would still inflate correctly, so there is no reason to fail.
  return data;
}
