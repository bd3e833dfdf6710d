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
