/**
 * What a connection reads from its options and never changes: its limits and the codec's options,
 * resolved once and shared by every connection made with the same values. WHY: a server holds
 * thousands of idle connections, and each field one of them holds costs it 8 bytes; a server gives all
 * its connections the same options, so one frozen copy serves them all (a server's, ws-compatible or
 * not, and a process's clients alike).
 * @module
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from '@wsts/protocol';
import type { WebSocketConnectionOptions } from './connection-types.js';
import { DEFAULTS } from './defaults.js';

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
  /** Frozen when shared: the codec then resolves it once for every connection too. */
  readonly codec: ConnectionOptions;
}

/**
 * Settings made so far, by what they were made from (see `keyOf`). Bounded: a process has a handful of
 * configurations (one per server, one for its clients); past this many, a connection keeps its own.
 */
const known = new Map<string, ConnectionSettings>();
const MAX_KNOWN = 64;

/**
 * The settings of a connection over `socket`: shared with every earlier connection made with the same
 * values, when it has no extensions of its own (each has its own compression state) and no random
 * source of its own. `codecOptions` makes the codec's options (the connection's callbacks and Node's
 * helpers), the same for every connection.
 */
export function connectionSettings(
  socket: Duplex,
  options: WebSocketConnectionOptions,
  codecOptions: (options: WebSocketConnectionOptions, limits: ConnectionLimits) => ConnectionOptions,
): ConnectionSettings {
  const consumesWrites = socket instanceof Socket;
  const shareable =
    (options.extensions === undefined || options.extensions.length === 0) &&
    options.random === undefined &&
    // The limits checkLimits does not see are keyed only when they are what they should be.
    (options.fragmentSize === undefined || typeof options.fragmentSize === 'number') &&
    (options.autoPong === undefined || typeof options.autoPong === 'boolean');
  if (!shareable) return resolve(options, consumesWrites, codecOptions);
  const key = keyOf(options, consumesWrites);
  const found = known.get(key);
  if (found !== undefined) return found;
  const made = resolve(options, consumesWrites, codecOptions);
  Object.freeze(made.codec);
  if (known.size < MAX_KNOWN) known.set(key, made);
  return made;
}

/**
 * Every value the settings are made from, as given (a default is the same for every connection):
 * equal keys make equal settings. Options that checkLimits accepted are numbers, booleans or absent.
 */
function keyOf(options: WebSocketConnectionOptions, consumesWrites: boolean): string {
  return `${options.role} ${consumesWrites} ${options.maxMessageSize} ${options.maxFragments} ${options.autoPong} ${options.fragmentSize} ${options.maxBufferedAmount} ${options.sendHighWaterMark} ${options.messageTimeout} ${options.closeTimeout}`;
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
