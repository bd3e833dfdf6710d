/**
 * How a published message travels in a Redis pub/sub payload. Redis carries bytes and nothing else,
 * so the header says what the server needs back (text or binary) and which broker sent it (so that
 * a broker can drop its own messages, which Redis returns to every subscriber including the sender):
 *
 * ```text
 * byte 0      0x77 ('w'), marks a wsts broker message
 * byte 1      format version, 1
 * byte 2      flags: bit 0 set = binary; the other bits are reserved and must be 0
 * bytes 3-10  origin: the publishing broker's random id
 * bytes 11-   the payload, as published
 * ```
 *
 * A later format gets a new version byte; a broker drops (and counts) versions it does not know
 * rather than guessing, so brokers of two releases can share a Redis during a rolling upgrade.
 * @module
 */
import { isUtf8 } from 'node:buffer';

/** The first byte of every message. */
export const MAGIC = 0x77;
/** The format this package writes and reads. */
export const FORMAT_VERSION = 1;
/** Length of the random id that tells brokers apart. */
export const ORIGIN_LENGTH = 8;
/** Bytes before the payload. */
export const HEADER_LENGTH = 3 + ORIGIN_LENGTH;

const FLAG_BINARY = 0x01;

/** A message read back from Redis. `data` is a view into the received bytes, not a copy. */
export interface DecodedMessage {
  readonly origin: Uint8Array;
  readonly binary: boolean;
  readonly data: Uint8Array;
}

/** Why a payload could not be read: it goes into the debug line of the dropped message. */
export type DecodeFailure = { readonly error: string };

/** Encodes one message for PUBLISH: the header followed by a copy of `data`. */
export function encodeMessage(origin: Uint8Array, data: Uint8Array, binary: boolean): Buffer {
  if (origin.length !== ORIGIN_LENGTH) throw new RangeError(`origin must be ${ORIGIN_LENGTH} bytes, got ${origin.length}`);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + data.length);
  out[0] = MAGIC;
  out[1] = FORMAT_VERSION;
  out[2] = binary ? FLAG_BINARY : 0;
  out.set(origin, 3);
  out.set(data, HEADER_LENGTH);
  return out;
}

/**
 * Decodes a payload received from Redis, or says why it cannot. Never throws: anything can be
 * published on a channel, by anyone with access to the Redis. Text payloads are checked to be UTF-8,
 * since the server sends them to its clients as text frames without checking again.
 */
export function decodeMessage(payload: Uint8Array): DecodedMessage | DecodeFailure {
  if (payload.length < HEADER_LENGTH) return { error: `${payload.length} bytes, shorter than the ${HEADER_LENGTH}-byte header` };
  if (payload[0] !== MAGIC) return { error: `first byte 0x${payload[0]!.toString(16)} is not a wsts broker message` };
  if (payload[1] !== FORMAT_VERSION) return { error: `format version ${payload[1]} is not supported (only ${FORMAT_VERSION})` };
  const flags = payload[2]!;
  if ((flags & ~FLAG_BINARY) !== 0) return { error: `reserved flag bits set (0x${flags.toString(16)})` };
  const binary = (flags & FLAG_BINARY) !== 0;
  const data = payload.subarray(HEADER_LENGTH);
  if (!binary && !isUtf8(data)) return { error: 'text payload is not valid UTF-8' };
  return { origin: payload.subarray(3, HEADER_LENGTH), binary, data };
}
