/**
 * What a connection reads from its options and never changes: its limits and the codec's options,
 * resolved once and shared by every connection of a server. WHY: a server holds thousands of idle
 * connections, and each field one of them holds costs it 8 bytes; a server gives all its connections
 * the same options, so one frozen copy per server serves them all. A connection without a server (a
 * client) resolves its own.
 * @module
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from '@wsts/protocol';
import type { WebSocketConnectionOptions } from './connection-types.js';
import { DEFAULTS } from './defaults.js';
import type { Membership } from './membership.js';

/** A connection's limits with their defaults applied, and what its socket does with written bytes. */
export interface ConnectionLimits {
  /** See `WebSocketConnectionOptions.maxBufferedAmount`. */
  readonly maxBufferedAmount: number;
  /** See `WebSocketConnectionOptions.sendHighWaterMark`. */
  readonly sendHighWaterMark: number;
  /** See `WebSocketConnectionOptions.messageTimeout`. */
  readonly messageTimeout: number;
  /** See `WebSocketConnectionOptions.closeTimeout`. */
  readonly closeTimeout: number;
  /**
   * Whether the socket is done with a write's bytes once it has taken them (nothing left queued, or
   * the write's callback came): true for a kernel socket (TCP, a pipe, TLS, which encrypts what it
   * takes at once). Any other stream (an HTTP/2 stream, an application's own duplex, which may pass
   * the very chunk on to a reader and call back at once) may still hold what it was given, so memory
   * written to it is never reused: not the outbox's slab regions, nor a client's masked copies (the
   * codec's `reuseAfterWrite`, set from this).
   */
  readonly consumesWrites: boolean;
}

/** What a connection is made with: its limits, and the codec's options. */
export interface ConnectionSettings {
  readonly limits: ConnectionLimits;
  /** Frozen when shared (no extensions): the codec then resolves it once for every connection too. */
  readonly codec: ConnectionOptions;
}

/** One server's settings for each kind of socket (see `consumesWrites`), made by its first connection of that kind. */
interface ServerSettings {
  kernel: ConnectionSettings | undefined;
  other: ConnectionSettings | undefined;
}

const byServer = new WeakMap<Membership, ServerSettings>();

/**
 * The settings of a connection over `socket`: a server's connections without extensions share their
 * server's (`membership`), made from the first one's options; any other connection gets its own.
 * `codecOptions` makes the codec's options (the connection's callbacks and Node's helpers).
 */
export function connectionSettings(
  socket: Duplex,
  options: WebSocketConnectionOptions,
  membership: Membership | undefined,
  codecOptions: (options: WebSocketConnectionOptions, limits: ConnectionLimits) => ConnectionOptions,
): ConnectionSettings {
  const consumesWrites = socket instanceof Socket;
  const shareable = membership !== undefined && (options.extensions === undefined || options.extensions.length === 0);
  if (!shareable) return resolve(options, consumesWrites, codecOptions);
  let server = byServer.get(membership);
  if (server === undefined) byServer.set(membership, (server = { kernel: undefined, other: undefined }));
  const known = consumesWrites ? server.kernel : server.other;
  if (known !== undefined) return known;
  const made = resolve(options, consumesWrites, codecOptions);
  const shared: ConnectionSettings = { limits: made.limits, codec: Object.freeze(made.codec) };
  if (consumesWrites) server.kernel = shared;
  else server.other = shared;
  return shared;
}

function resolve(
  options: WebSocketConnectionOptions,
  consumesWrites: boolean,
  codecOptions: (options: WebSocketConnectionOptions, limits: ConnectionLimits) => ConnectionOptions,
): ConnectionSettings {
  const limits: ConnectionLimits = Object.freeze({
    maxBufferedAmount: options.maxBufferedAmount ?? DEFAULTS.maxBufferedAmount,
    // WHY a client keeps reading by default: a server (ours among them) stops reading a peer that does
    // not take its output, so a client doing the same could wait on that server forever, each side's
    // output stuck behind the other's unread input. A client's memory is bounded by maxBufferedAmount.
    sendHighWaterMark:
      options.sendHighWaterMark ?? (options.role === 'client' ? Number.POSITIVE_INFINITY : DEFAULTS.sendHighWaterMark),
    messageTimeout: options.messageTimeout ?? DEFAULTS.messageTimeout,
    closeTimeout: options.closeTimeout ?? DEFAULTS.closeTimeout,
    consumesWrites,
  });
  return { limits, codec: codecOptions(options, limits) };
}
