/**
 * Close frame payloads (RFC 6455 sections 5.5.1 and 7.4): a 2-byte code then a UTF-8 reason.
 * @module
 */

import { utf8Decoder, utf8Encoder } from '../text/encoding.js';
import { CloseCode, invalidPayload, isValidCloseCode, protocolViolation } from '../errors.js';
import { isValidUtf8 } from '../text/utf8.js';

/** Longest reason that fits a control frame: 125 bytes minus the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Encodes a close payload for sending. No code means an empty payload (and then no reason is allowed).
 * Throws RangeError for a code that may not be sent or a reason over 123 bytes, TypeError for a reason
 * without a code.
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('A close reason requires a close code');
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`Close code ${code} may not be sent (RFC 6455 section 7.4)`);
  const text = utf8Encoder.encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`Close reason is ${text.length} bytes; at most ${MAX_CLOSE_REASON_BYTES} are allowed`);
  }
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/** A received close frame's status: 1005 when the payload was empty. */
export interface CloseStatus {
  code: number;
  reason: string;
}

/**
 * Decodes a received close payload. Throws ProtocolError 1002 for a 1-byte payload or a code that may
 * not appear on the wire, 1007 for a reason that is not valid UTF-8.
 */
export function decodeClosePayload(payload: Uint8Array): CloseStatus {
  if (payload.length === 0) return { code: CloseCode.NO_STATUS, reason: '' };
  if (payload.length === 1) throw protocolViolation('Close frame with a 1-byte payload');
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) throw protocolViolation(`Invalid close code ${code}`);
  const reason = payload.subarray(2);
  if (!isValidUtf8(reason)) throw invalidPayload('Close reason is not valid UTF-8');
  return { code, reason: utf8Decoder.decode(reason) };
}

/** `text` cut to at most `limit` UTF-8 bytes without splitting a character (for generated reasons). */
export function truncateUtf8(text: string, limit = MAX_CLOSE_REASON_BYTES): string {
  const bytes = utf8Encoder.encode(text);
  if (bytes.length <= limit) return text;
  let end = limit;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return utf8Decoder.decode(bytes.subarray(0, end));
}
