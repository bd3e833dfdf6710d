/**
 * ws's connection options (`maxPayload`, `autoPong`, `closeTimeout`, ...) as the options of our
 * `WebSocketConnection`, plus the limits ws does not have, which keep their safe defaults here.
 * @module
 */
import type { WebSocketConnectionOptions } from '@wsts/server';

/** The per-connection options the client and the server take. */
export interface ConnectionLimitOptions {
  /** Largest incoming message in bytes, after decompression. Default 64 MiB (ws: 100 MiB). */
  maxPayload?: number;
  /** Most frames in one incoming message. Default 131,072 (as ws). */
  maxFragments?: number;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean;
  /** Milliseconds for the closing handshake before the socket is destroyed. Default 10 s (ws: 30 s). */
  closeTimeout?: number;
  /** Accepted for compatibility: events are always emitted synchronously as they are decoded. */
  allowSynchronousEvents?: boolean;
  /** Accepted for compatibility: the memory an incoming message holds is bounded by `maxPayload`. */
  maxBufferedChunks?: number;
  /** Must be false or absent: text is always validated (a TypeError otherwise). */
  skipUTF8Validation?: boolean;
  /** Ours: what may be queued for a peer that does not read (default 16 MiB); past it the connection is dropped. */
  maxBufferedAmount?: number;
  /** Ours: milliseconds one incoming message may take to arrive (default 60 s, 0 off); past it, close 1008. */
  messageTimeout?: number;
  /** Ours: stop reading the peer while more than this is queued for it (default 1 MiB). */
  sendHighWaterMark?: number;
  /** Ours: ping every this many milliseconds and drop a silent peer (default 0, off, as ws). */
  heartbeatInterval?: number;
}

type Limits = Omit<WebSocketConnectionOptions, 'role' | 'protocol' | 'extensions' | 'extensionsHeader' | 'random'>;

/** Our connection options for ws's; a `skipUTF8Validation: true` is refused with a TypeError. */
export function connectionLimits(options: ConnectionLimitOptions, side: 'client' | 'server'): Limits {
  if (options.skipUTF8Validation === true) {
    throw new TypeError(`skipUTF8Validation is not supported (${side}): text messages are always validated as UTF-8`);
  }
  const limits: Limits = {};
  if (options.maxPayload !== undefined) limits.maxMessageSize = options.maxPayload;
  if (options.maxFragments !== undefined) limits.maxFragments = options.maxFragments;
  if (options.autoPong !== undefined) limits.autoPong = options.autoPong;
  if (options.closeTimeout !== undefined) limits.closeTimeout = options.closeTimeout;
  if (options.maxBufferedAmount !== undefined) limits.maxBufferedAmount = options.maxBufferedAmount;
  if (options.messageTimeout !== undefined) limits.messageTimeout = options.messageTimeout;
  if (options.sendHighWaterMark !== undefined) limits.sendHighWaterMark = options.sendHighWaterMark;
  if (options.heartbeatInterval !== undefined) limits.heartbeatInterval = options.heartbeatInterval;
  return limits;
}
