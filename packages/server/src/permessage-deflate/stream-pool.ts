/**
 * Idle zlib streams shared by every connection without context takeover.
 *
 * Without context takeover a compressor (or decompressor) carries nothing from one message to the
 * next, so it need not belong to a connection: it is taken for one message and given back, reset.
 * Creating one costs a few hundred KiB of allocation and a native handle per message; keeping one per
 * connection costs that memory per idle connection. A small shared pool costs neither: at most
 * `concurrency` streams are ever busy (the limiter sees to that), and only a few are kept idle.
 */
import type { DeflateRaw, InflateRaw } from 'node:zlib';
import { DEFAULT_ZLIB_CONCURRENCY } from './limiter.js';

type ZlibStream = DeflateRaw | InflateRaw;

/** Idle zlib streams by configuration key, at most `maxIdlePerKey` of each. */
export class IdleStreamPool {
  private readonly idle = new Map<string, ZlibStream[]>();

  constructor(readonly maxIdlePerKey: number) {}

  /** An idle stream for `key`, or a new one from `create`. */
  take<S extends ZlibStream>(key: string, create: () => S): S {
    const stream = this.idle.get(key)?.pop() as S | undefined;
    return stream ?? create();
  }

  /** Returns a stream that finished a message cleanly; it is reset, or closed when the pool is full. */
  give(key: string, stream: ZlibStream): void {
    let list = this.idle.get(key);
    if (!list) {
      list = [];
      this.idle.set(key, list);
    }
    if (list.length >= this.maxIdlePerKey) {
      stream.close();
      return;
    }
    stream.reset();
    list.push(stream);
  }

  /** Idle streams held, over all keys. */
  get size(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }
}

/** The process-wide pool. */
export const idleStreams = new IdleStreamPool(DEFAULT_ZLIB_CONCURRENCY);

function ignore(): void {
  // A stream closed mid-way (bomb, dispose) may still report an error; nobody waits for it any more.
}

/**
 * The zlib stream of one direction of one connection, and its life: created on first use; without
 * context takeover borrowed from the shared pool per message and given back; closed on failure or
 * dispose. `abort` settles the message in progress, so `dispose` can reject it.
 */
export abstract class PooledZlibStream<S extends ZlibStream> {
  private stream: S | undefined;
  protected abort: ((error: Error) => void) | undefined;

  constructor(private readonly noContextTakeover: boolean) {}

  /** True while a zlib stream (and its state, up to a few hundred KiB) is allocated. */
  get allocated(): boolean {
    return this.stream !== undefined;
  }

  /** Frees the zlib stream; a message in progress rejects. */
  dispose(): void {
    this.abort?.(new Error(`permessage-deflate ${this.kind} disposed`));
    this.close();
  }

  /** 'compressor' or 'decompressor', for messages. */
  protected abstract readonly kind: string;
  /** Pool key: streams are interchangeable only with the same settings. */
  protected abstract readonly poolKey: string;
  /** A new stream with this direction's settings. */
  protected abstract create(): S;

  protected open(): S {
    if (this.stream) return this.stream;
    const create = (): S => {
      const stream = this.create();
      stream.on('error', ignore);
      return stream;
    };
    this.stream = this.noContextTakeover ? idleStreams.take(this.poolKey, create) : create();
    return this.stream;
  }

  /** After a clean message: without context takeover the stream goes back to the pool, reset. */
  protected finished(): void {
    if (this.noContextTakeover) {
      const stream = this.stream;
      this.stream = undefined;
      if (stream) idleStreams.give(this.poolKey, stream);
    }
  }

  protected close(): void {
    const stream = this.stream;
    this.stream = undefined;
    stream?.close();
  }
}
