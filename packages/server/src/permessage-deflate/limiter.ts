/**
 * A FIFO concurrency limiter for zlib work.
 *
 * Node runs zlib on libuv's small thread pool and every job in flight holds its input, its output and
 * (for a fresh stream) a few hundred KiB of zlib state. Without a cap, thousands of connections that
 * compress at the same moment would all allocate at once; with it, at most `concurrency` jobs run and
 * the rest wait in order.
 */

/** Runs async jobs with at most `concurrency` of them started and not yet settled. */
export class ZlibLimiter {
  /** How many jobs may run at once. */
  readonly concurrency: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** @throws RangeError when `concurrency` is not a positive integer. */
  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`zlib concurrency must be a positive integer, got ${concurrency}`);
    }
    this.concurrency = concurrency;
  }

  /** Jobs started and not yet settled. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a free slot. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Runs `job` once a slot is free; settles like the job does. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
      return this.execute(job);
    }
    // The finishing job hands its slot straight to us (see execute), so `running` is not touched here
    // and a newcomer cannot slip in between.
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.execute(job));
  }

  private execute<T>(job: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = job();
    } catch (error) {
      result = Promise.reject(error);
    }
    return result.finally(() => {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    });
  }
}

/**
 * The default cap: 10 jobs. libuv runs zlib on 4 threads by default; a few more jobs than threads keeps
 * them busy while the main thread handles finished ones (a cap equal to the thread count left the pool
 * idle between jobs), and 10 bounds zlib's working memory to a few MiB whatever the number of
 * connections. `ws` uses 10 too.
 */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

let shared: ZlibLimiter | undefined;

/** The process-wide limiter used by every negotiator that is not given its own. */
export function sharedZlibLimiter(): ZlibLimiter {
  shared ??= new ZlibLimiter(DEFAULT_ZLIB_CONCURRENCY);
  return shared;
}
