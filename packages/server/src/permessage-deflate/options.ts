/**
 * The knobs of permessage-deflate, their safe defaults and their validation.
 */
import { constants } from 'node:zlib';
import { ZlibLimiter, sharedZlibLimiter } from './limiter.js';

/**
 * How one end treats a `*_no_context_takeover` parameter.
 * - `'request'`: ask for it (client: put it in the offer; server: put it in every response).
 * - `'accept'`: go along with whatever the peer says (the default).
 * - `'refuse'`: never agree to it (server: decline offers naming it; client: fail a response naming it).
 *
 * `true` means `'request'` and `false` means `'accept'`.
 */
export type ParameterPolicy = 'request' | 'accept' | 'refuse' | boolean;

/** Options shared by the server and client negotiators. Every field has a safe default. */
export interface PerMessageDeflateOptions {
  /**
   * Whether the server's compressor resets after each message. Default `'accept'`. Requesting it saves
   * the server its compressor state between messages (about 256 KiB per connection at the default
   * window and memLevel; docs/permessage-deflate.md, "Memory") at some cost in ratio.
   */
  serverNoContextTakeover?: ParameterPolicy;
  /** Whether the client's compressor resets after each message. Default `'accept'`. */
  clientNoContextTakeover?: ParameterPolicy;
  /**
   * Largest LZ77 window (as a power of two, 8..15) the server compresses with. Default 15. Below 15 a
   * server puts it in its response; a client puts it in its offer. `'refuse'`: a server declines offers
   * that name it, a client fails a response that names it.
   */
  serverMaxWindowBits?: number | 'refuse';
  /**
   * Largest LZ77 window (8..15) the client compresses with. Default 15. A client always offers
   * `client_max_window_bits` (with this value when below 15) so the server may lower it; a server
   * answers with the smaller of this and the offered value. `'refuse'`: a client does not offer it, a
   * server declines offers that name it. A server configured with 8 answers 9 unless the client
   * offered 8 itself: zlib-based clients (Python's websockets) cannot compress with a 256-byte window.
   */
  clientMaxWindowBits?: number | 'refuse';
  /** Messages shorter than this many bytes are sent uncompressed (RSV1 clear). Default 1024. */
  threshold?: number;
  /**
   * Outgoing messages of at most this many bytes are compressed synchronously on the calling thread
   * instead of on libuv's thread pool. Default 4096. For small messages the trip through the thread
   * pool costs many times the zlib work itself; for large ones the work dominates and the pool keeps it
   * off the event loop. `0` compresses every message on the thread pool.
   */
  inlineDeflateLimit?: number;
  /**
   * Incoming messages whose compressed payload is at most this many bytes are inflated synchronously on
   * the calling thread. Default 1 MiB. Inflating costs ~1 ms per MiB of output here, while the thread
   * pool hands its output back 16 KiB per trip (~70 µs each): a 1 MiB message took 64 trips, 3-6 ms.
   * An inline inflate stops at the message size limit (1009) and hands anything past 1 MiB of output
   * to the thread pool, so no message (a bomb included) holds the event loop for more than about 1 MiB
   * of zlib work. `0` inflates every message on the thread pool.
   */
  inlineInflateLimit?: number;
  /** zlib compression level, 0..9 or -1 for zlib's default (6). Default -1. */
  level?: number;
  /** zlib memLevel, 1..9: memory of the compressor's internal state. Default 8. */
  memLevel?: number;
  /**
   * Most zlib jobs (one message compressed or inflated) running at once. When given, this negotiator
   * gets its own limiter; otherwise every negotiator in the process shares one (see `limiter`).
   */
  concurrency?: number;
  /** A limiter to share between several servers or clients. Wins over `concurrency`. */
  limiter?: ZlibLimiter;
}

/** The options after defaults and checks, as the negotiators and the codec use them. */
export interface ResolvedDeflateOptions {
  serverNoContextTakeover: 'request' | 'accept' | 'refuse';
  clientNoContextTakeover: 'request' | 'accept' | 'refuse';
  serverMaxWindowBits: number | 'refuse';
  clientMaxWindowBits: number | 'refuse';
  threshold: number;
  inlineDeflateLimit: number;
  inlineInflateLimit: number;
  level: number;
  memLevel: number;
  limiter: ZlibLimiter;
}

/** Default for `threshold`: below about 1 KiB the zlib round trip costs more than the bytes it saves. */
export const DEFAULT_THRESHOLD = 1024;

/**
 * Defaults for `inlineDeflateLimit` and `inlineInflateLimit`. Deflating 4 KiB of text at level 6 already
 * costs more than a thread-pool trip, so beyond that the pool's parallelism and an unblocked event loop
 * are worth the trip. Inflating is far cheaper than deflating and its output, not its input, is what
 * takes time; the inline pass already stops at 1 MiB of output, so the input limit only needs to cover
 * large messages (docs/permessage-deflate.md, "Inline zlib").
 */
export const DEFAULT_INLINE_DEFLATE_LIMIT = 4 * 1024;
export const DEFAULT_INLINE_INFLATE_LIMIT = 1024 * 1024;

function policy(value: ParameterPolicy | undefined, name: string): 'request' | 'accept' | 'refuse' {
  if (value === undefined || value === false || value === 'accept') return 'accept';
  if (value === true || value === 'request') return 'request';
  if (value === 'refuse') return 'refuse';
  throw new TypeError(`${name} must be 'request', 'accept', 'refuse' or a boolean, got ${String(value)}`);
}

function windowBits(value: number | 'refuse' | undefined, name: string): number | 'refuse' {
  if (value === undefined) return 15;
  if (value === 'refuse') return value;
  if (!Number.isInteger(value) || value < 8 || value > 15) {
    throw new RangeError(`${name} must be an integer from 8 to 15 or 'refuse', got ${String(value)}`);
  }
  return value;
}

function integerIn(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Applies defaults and validates.
 * @throws TypeError or RangeError naming the first bad option.
 */
export function resolveDeflateOptions(options: PerMessageDeflateOptions = {}): ResolvedDeflateOptions {
  const limiter =
    options.limiter ??
    (options.concurrency === undefined
      ? sharedZlibLimiter()
      : new ZlibLimiter(integerIn(options.concurrency, 1, 1, 1 << 16, 'concurrency')));
  return {
    serverNoContextTakeover: policy(options.serverNoContextTakeover, 'serverNoContextTakeover'),
    clientNoContextTakeover: policy(options.clientNoContextTakeover, 'clientNoContextTakeover'),
    serverMaxWindowBits: windowBits(options.serverMaxWindowBits, 'serverMaxWindowBits'),
    clientMaxWindowBits: windowBits(options.clientMaxWindowBits, 'clientMaxWindowBits'),
    threshold: integerIn(options.threshold, DEFAULT_THRESHOLD, 0, Number.MAX_SAFE_INTEGER, 'threshold'),
    inlineDeflateLimit: integerIn(
      options.inlineDeflateLimit,
      DEFAULT_INLINE_DEFLATE_LIMIT,
      0,
      Number.MAX_SAFE_INTEGER,
      'inlineDeflateLimit',
    ),
    inlineInflateLimit: integerIn(
      options.inlineInflateLimit,
      DEFAULT_INLINE_INFLATE_LIMIT,
      0,
      Number.MAX_SAFE_INTEGER,
      'inlineInflateLimit',
    ),
    level: integerIn(options.level, constants.Z_DEFAULT_COMPRESSION, -1, 9, 'level'),
    memLevel: integerIn(options.memLevel, 8, 1, 9, 'memLevel'),
    limiter,
  };
}
