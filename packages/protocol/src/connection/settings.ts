/**
 * What a {@link Connection} reads from its options, checked and resolved: the limits, the callbacks,
 * the extensions. Kept apart from the connection's own state so one copy can serve every connection
 * made with the same options. WHY: a server holds thousands of idle connections, and every field costs
 * each of them 8 bytes; the settings are some twenty fields, the same for all of a server's
 * connections. A frozen options object cannot change, so its settings are resolved once and shared
 * (looked up by the object itself); any other options object gets settings of its own, as before.
 * @module
 */

import { type Allocate, allocateZeroed } from '../bytes/buffers.js';
import type { Extension } from '../extensions/extension.js';
import { type FrameDecoderOptions, RSV1 } from '../frames/decoder.js';
import type { ConnectionOptions } from './connection.js';
import type { ReceiverLimits } from './receiver.js';

/** 64 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/** Frames per data message. */
export const DEFAULT_MAX_FRAGMENTS = 131_072;

/** Shared by every connection without extensions (no empty array per connection). */
export const NO_EXTENSIONS: readonly Extension[] = Object.freeze([]);

/** A connection's options, checked, with their defaults applied. */
export interface ConnectionSettings {
  readonly role: 'server' | 'client';
  readonly autoPong: boolean;
  readonly extensions: readonly Extension[];
  /** Whether a negotiated extension claims RSV1 (a prepared message with RSV1 needs one). */
  readonly rsv1Allowed: boolean;
  readonly fragmentSize: number;
  readonly allocate: Allocate;
  readonly onWrite: ConnectionOptions['onWrite'];
  readonly onEvent: ConnectionOptions['onEvent'];
  readonly reuseAfterWrite: boolean;
  /** What the connection's FrameDecoder is made with: frozen and complete, so the decoder uses it as it is. */
  readonly decoder: Readonly<FrameDecoderOptions>;
  /** What the connection's Receiver checks messages against (also what its extensions' decoding is held to). */
  readonly receiver: ReceiverLimits;
}

const shared = new WeakMap<ConnectionOptions, ConnectionSettings>();

/**
 * The settings for `options`: those of an earlier connection made with the same frozen object, else
 * newly resolved. Throws TypeError/RangeError for invalid options, as the constructor documents.
 */
export function settingsOf(options: ConnectionOptions): ConnectionSettings {
  const known = shared.get(options);
  if (known !== undefined) return known;
  const settings = resolve(options);
  if (Object.isFrozen(options)) shared.set(options, settings);
  return settings;
}

function resolve(options: ConnectionOptions): ConnectionSettings {
  const role = options.role;
  if (role !== 'server' && role !== 'client') throw new TypeError(`Invalid role ${String(role)}`);
  if (role === 'client' && typeof options.random !== 'function') {
    throw new TypeError('A client connection needs a random source for masking keys');
  }
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (!(maxMessageSize >= 0)) throw new RangeError(`Invalid maxMessageSize ${maxMessageSize}`);
  const maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
  if (!(maxFragments >= 1)) throw new RangeError(`Invalid maxFragments ${maxFragments}`);
  const fragmentSize = options.fragmentSize ?? Infinity;
  if (!(fragmentSize >= 1)) throw new RangeError(`Invalid fragmentSize ${fragmentSize}`);
  const allocate = options.allocate ?? allocateZeroed;
  if (typeof allocate !== 'function') throw new TypeError('allocate must be a function');
  const validateUtf8 = options.validateUtf8;
  if (validateUtf8 !== undefined && typeof validateUtf8 !== 'function') throw new TypeError('validateUtf8 must be a function');
  const extensions = options.extensions !== undefined && options.extensions.length > 0 ? options.extensions : NO_EXTENSIONS;
  let allowedRsv = 0;
  for (const extension of extensions) if (extension.rsv1) allowedRsv |= RSV1;
  return Object.freeze({
    role,
    autoPong: options.autoPong ?? true,
    extensions,
    rsv1Allowed: allowedRsv !== 0,
    fragmentSize,
    allocate,
    onWrite: options.onWrite,
    onEvent: options.onEvent,
    reuseAfterWrite: options.reuseAfterWrite === true,
    decoder: Object.freeze({ role, allowedRsv, maxPayload: Number.MAX_SAFE_INTEGER, allocate }),
    receiver: Object.freeze({ maxMessageSize, maxFragments, allocate, validateUtf8 }),
  });
}
