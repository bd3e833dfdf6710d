/**
 * What `send` and `publish` take as a message and as options, checked in one place so both refuse the
 * same things with the same errors.
 * @module
 */
import { Buffer } from 'node:buffer';
import type { SendOptions } from './connection-types.js';

/** The bytes as a Node `Buffer`: the same object when it is one, else a view of the same memory (no copy). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * What `send` (or `publish`, named by `method`) makes of anything but a string or a Uint8Array: other
 * views and ArrayBuffers as their bytes; a number as its decimal text, as `ws` does; anything else is a
 * TypeError (never, say, a number read as a buffer length and sent as that many zero bytes).
 */
export function otherData(data: unknown, method = 'send'): { payload: Uint8Array; binary: boolean } | TypeError {
  if (ArrayBuffer.isView(data)) return { payload: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), binary: true };
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer)) {
    return { payload: new Uint8Array(data), binary: true };
  }
  if (typeof data === 'number') return { payload: Buffer.from(String(data), 'utf8'), binary: false };
  const what = data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data;
  return new TypeError(`${method}() takes a string, a Buffer, a typed array, a DataView or an ArrayBuffer; got ${what}`);
}

/** Hints for `ws`'s send options, which `send` does not take. */
const SEND_OPTION_HINTS: Record<string, string> = {
  compress: 'permessage-deflate compresses messages from its threshold on',
  fin: 'send whole messages (fragmentSize splits them into frames)',
  mask: 'masking follows the role: clients mask, servers do not',
};

/** A TypeError naming the first option `send` (or `publish`) does not know, or undefined. */
export function unknownSendOption(options: SendOptions, method = 'send'): TypeError | undefined {
  if (typeof options !== 'object' || options === null) return new TypeError(`${method}() options must be an object`);
  for (const key in options) {
    if (key === 'binary') continue;
    const hint = SEND_OPTION_HINTS[key];
    return new TypeError(`unknown ${method}() option ${JSON.stringify(key)}${hint === undefined ? '' : `: ${hint}`}`);
  }
  return undefined;
}

/**
 * A published message's payload and type, or the TypeError `publish` throws. The bytes are the
 * publish's own: a string is encoded, anything else copied once, because subscribers' sockets (and a
 * broker) may still hold them after `publish` returned, when the caller is free to reuse its buffer.
 */
export function publishedData(data: unknown, options: SendOptions | undefined): { payload: Buffer; binary: boolean } {
  if (options !== undefined) {
    const wrong = unknownSendOption(options, 'publish');
    if (wrong !== undefined) throw wrong;
  }
  if (typeof data === 'string') return { payload: Buffer.from(data, 'utf8'), binary: options?.binary ?? false };
  const converted = data instanceof Uint8Array ? { payload: data, binary: true } : otherData(data, 'publish');
  if (converted instanceof TypeError) throw converted;
  const payload = typeof data === 'number' ? (converted.payload as Buffer) : Buffer.from(converted.payload);
  return { payload, binary: options?.binary ?? converted.binary };
}
