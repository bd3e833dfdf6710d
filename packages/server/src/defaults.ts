/**
 * Safe defaults for every limit and timer, server and client, in one place so the README tables and the
 * code cannot drift apart. A value named like an option is that option's default; where the server and
 * the client default differently, the client's carries a `client` prefix (its option has the plain name).
 */
export const DEFAULTS = {
  /** Largest message (after reassembly and decompression) accepted, in bytes; larger ones fail with 1009. */
  maxMessageSize: 64 * 1024 * 1024,
  /**
   * Bytes we accept to hold for a peer that does not read. Past this, the connection is terminated.
   * A single message larger than this is still accepted when nothing else is buffered, so that the
   * message-size limit, not this cap, decides the largest message one can send.
   */
  maxBufferedAmount: 16 * 1024 * 1024,
  /**
   * Bytes (with the per-write cost) queued for a peer above which we stop reading from it until the
   * queue has drained to half.
   */
  sendHighWaterMark: 1024 * 1024,
  /** Milliseconds one incoming message may take to arrive; 0 turns the bound off. */
  messageTimeout: 60_000,
  /** Frames one incoming message may arrive in. */
  maxFragments: 131_072,
  /** Server: milliseconds allowed for the opening handshake (request headers plus the authorization hook). */
  handshakeTimeout: 10_000,
  /**
   * Client (`handshakeTimeout` of `connect()` and the WHATWG class): milliseconds for the whole opening
   * handshake, DNS, TCP, TLS, redirects and response. Longer than the server's: long enough for a slow
   * TLS handshake, short enough that a silent server does not hold a caller forever.
   */
  clientHandshakeTimeout: 30_000,
  /** Client: HTTP redirects followed during the handshake. Browsers never follow them for WebSockets. */
  maxRedirects: 0,
  /** Milliseconds allowed for the closing handshake before the socket is destroyed. */
  closeTimeout: 10_000,
  /** Milliseconds between heartbeat pings on a server; 0 turns the heartbeat off. */
  heartbeatInterval: 30_000,
  /** The same for a connection without a server (`connect()`, the WHATWG class, a bare connection): off. */
  clientHeartbeatInterval: 0,
  /** Answer pings automatically. */
  autoPong: true,
  /** Bytes held by a running async decode (inflate) above which we stop reading the socket. */
  maxBufferedIncoming: 1024 * 1024,
  /** Messages queued for a slow async-iterator consumer above which we stop reading the socket. */
  iteratorHighWaterMark: 64,
  /**
   * Bytes (counted as for `sendHighWaterMark`) queued for a subscriber past which a published message is
   * not queued for it (skipped, or the subscriber closed: `publishOverflow`).
   */
  publishHighWaterMark: 1024 * 1024,
  /** What happens to a subscriber past `publishHighWaterMark`: the message is skipped for it. */
  publishOverflow: 'skip',
  /** Longest topic name, in UTF-16 code units. */
  maxTopicLength: 1024,
  /** Milliseconds a refused handshake may take to flush its response before the socket is destroyed. */
  refusalFlushTimeout: 2_000,
} as const;

/** The numeric knobs shared by servers and connections, as validated by {@link checkLimits}. */
export interface LimitOptions {
  maxMessageSize?: number | undefined;
  maxBufferedAmount?: number | undefined;
  sendHighWaterMark?: number | undefined;
  messageTimeout?: number | undefined;
  maxFragments?: number | undefined;
  memoryBudget?: number | undefined;
  handshakeTimeout?: number | undefined;
  closeTimeout?: number | undefined;
  heartbeatInterval?: number | undefined;
  publishHighWaterMark?: number | undefined;
  maxTopicLength?: number | undefined;
}

const UNITS = {
  maxMessageSize: 'bytes',
  maxBufferedAmount: 'bytes',
  sendHighWaterMark: 'bytes',
  memoryBudget: 'bytes',
  maxFragments: 'frames',
  messageTimeout: 'milliseconds',
  handshakeTimeout: 'milliseconds',
  closeTimeout: 'milliseconds',
  heartbeatInterval: 'milliseconds',
  publishHighWaterMark: 'bytes',
  maxTopicLength: 'characters',
} as const;

/**
 * Throws a RangeError naming the first limit that is not a non-negative number. WHY up front: a bad
 * value found while opening a connection would surface after the 101 was already sent.
 */
export function checkLimits(options: LimitOptions): void {
  for (const name of [
    'maxMessageSize',
    'maxBufferedAmount',
    'sendHighWaterMark',
    'messageTimeout',
    'handshakeTimeout',
    'closeTimeout',
    'heartbeatInterval',
    'publishHighWaterMark',
  ] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
      throw new RangeError(`${name} must be a non-negative number of ${UNITS[name]}, got ${String(value)}`);
    }
  }
  for (const name of ['maxFragments', 'memoryBudget', 'maxTopicLength'] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 1)) {
      throw new RangeError(`${name} must be a positive number of ${UNITS[name]}, got ${String(value)}`);
    }
  }
}
