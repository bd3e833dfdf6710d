/**
 * The options of {@link redisBroker}, their defaults, and their checks: an unknown name or a value out
 * of range is a TypeError or RangeError at construction, never a surprise at run time.
 * @module
 */
import type { RedisBrokerEvent } from './events.js';

/** Options of {@link redisBroker}. Every limit has a default ({@link REDIS_BROKER_DEFAULTS}). */
export interface RedisBrokerOptions {
  /**
   * Where Redis is: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Every
   * process that shares topics must use the same Redis (and the same {@link prefix}).
   */
  url: string;
  /** Prepended to each topic to name its Redis channel, so other users of the Redis are not disturbed. Default `'wsts:'`. */
  prefix?: string;
  /**
   * Bytes of publishes handed to Redis and not yet acknowledged (payload, header and channel name).
   * A Redis that is slow or stopped answering holds them; past this bound further publishes are
   * dropped and counted (`stats.droppedBackpressure`) instead of queued without limit. Default 16 MiB.
   */
  maxPendingBytes?: number;
  /** Milliseconds before the first reconnection attempt after a connection is lost (or refused). Default 100. */
  reconnectDelay?: number;
  /** The delay doubles with each failed attempt, up to this many milliseconds (with ±20% jitter). Default 5000. */
  maxReconnectDelay?: number;
  /** Milliseconds a TCP (and TLS) connection attempt may take before it counts as failed. Default 5000. */
  connectTimeout?: number;
  /** Milliseconds `close()` waits for unacknowledged publishes before cutting the connections. Default 2000. */
  closeTimeout?: number;
  /**
   * Told of connections made and lost and of errors, for your logs or metrics. Called synchronously;
   * an exception it throws is caught and written to the debug log, never into the server.
   */
  onEvent?: (event: RedisBrokerEvent) => void;
}

/** The default of every optional limit of {@link RedisBrokerOptions}. */
export const REDIS_BROKER_DEFAULTS = Object.freeze({
  prefix: 'wsts:',
  maxPendingBytes: 16 * 1024 * 1024,
  reconnectDelay: 100,
  maxReconnectDelay: 5_000,
  connectTimeout: 5_000,
  closeTimeout: 2_000,
});

/** The options with every default applied. */
export type ResolvedOptions = Required<Omit<RedisBrokerOptions, 'onEvent'>> & Pick<RedisBrokerOptions, 'onEvent'>;

/** Every key of `T`, exactly: the compiler rejects a missing or an extra name. */
type Names<T> = { readonly [K in keyof Required<T>]: true };

const NAMES: Names<RedisBrokerOptions> = {
  url: true,
  prefix: true,
  maxPendingBytes: true,
  reconnectDelay: true,
  maxReconnectDelay: true,
  connectTimeout: true,
  closeTimeout: true,
  onEvent: true,
};

/** Options of Redis clients, with what to do instead. */
const HINTS: Readonly<Record<string, string>> = {
  host: 'put it in url, e.g. redis://host:6379',
  port: 'put it in url, e.g. redis://host:6379',
  password: 'put it in url, e.g. redis://:password@host:6379',
  username: 'put it in url, e.g. redis://user:password@host:6379',
  keyPrefix: 'use prefix',
  channelPrefix: 'use prefix',
  enableOfflineQueue: 'publishes while disconnected are always dropped and counted (stats.droppedOffline)',
  disableOfflineQueue: 'publishes while disconnected are always dropped and counted (stats.droppedOffline)',
  retryStrategy: 'use reconnectDelay and maxReconnectDelay',
  reconnectStrategy: 'use reconnectDelay and maxReconnectDelay',
};

function nonNegative(name: string, value: unknown, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `redisBroker: ${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got ${String(value)}`,
    );
  }
  return value;
}

/** Checks `options` and applies the defaults. Throws TypeError or RangeError naming the option at fault. */
export function resolveOptions(options: RedisBrokerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('redisBroker: options must be an object with a url');
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(NAMES, name)) continue;
    const hint = HINTS[name];
    throw new TypeError(`redisBroker: unknown option ${JSON.stringify(name)}${hint === undefined ? '' : `; ${hint}`}`);
  }
  const { url, onEvent } = options;
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new TypeError(`redisBroker: url must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  const prefix = options.prefix ?? REDIS_BROKER_DEFAULTS.prefix;
  if (typeof prefix !== 'string') throw new TypeError(`redisBroker: prefix must be a string, got ${typeof prefix}`);
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('redisBroker: onEvent must be a function');
  const resolved: ResolvedOptions = {
    url,
    prefix,
    maxPendingBytes: nonNegative('maxPendingBytes', options.maxPendingBytes ?? REDIS_BROKER_DEFAULTS.maxPendingBytes, true),
    reconnectDelay: nonNegative('reconnectDelay', options.reconnectDelay ?? REDIS_BROKER_DEFAULTS.reconnectDelay, false),
    maxReconnectDelay: nonNegative(
      'maxReconnectDelay',
      options.maxReconnectDelay ?? REDIS_BROKER_DEFAULTS.maxReconnectDelay,
      false,
    ),
    connectTimeout: nonNegative('connectTimeout', options.connectTimeout ?? REDIS_BROKER_DEFAULTS.connectTimeout, false),
    closeTimeout: nonNegative('closeTimeout', options.closeTimeout ?? REDIS_BROKER_DEFAULTS.closeTimeout, false),
    onEvent,
  };
  if (resolved.maxReconnectDelay < resolved.reconnectDelay) {
    throw new RangeError(
      `redisBroker: maxReconnectDelay (${resolved.maxReconnectDelay}) is below reconnectDelay (${resolved.reconnectDelay})`,
    );
  }
  return resolved;
}
