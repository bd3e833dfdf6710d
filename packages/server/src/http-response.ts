import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { isToken } from '@wsts/protocol';
import { debug, debugEnabled, peerOf } from './debug.js';
import { DEFAULTS } from './defaults.js';

/**
 * What a header value must never contain: anything but tab, visible ASCII, space and obs-text (RFC 9110
 * section 5.5; the rule Node's own `setHeader` applies). Above all CR and LF, which would let a value
 * end its line and start another. Hoisted: a regex literal in the loop is a new object each time.
 */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** The status line of every accepted handshake, built once. */
const SWITCHING_PROTOCOLS = `HTTP/1.1 101 ${STATUS_CODES[101] ?? 'Switching Protocols'}\r\n`;

/** Header lines as the codec produces them: `[name, value]` pairs, in order. */
export type HeaderList = readonly (readonly [string, string])[];

/**
 * Writes a raw HTTP/1.1 response head (and optional body) on a socket that Node's HTTP server handed
 * over in its 'upgrade' event - where no `ServerResponse` exists. Used for the 101 that opens a
 * WebSocket and for every refusal.
 */
export function writeHttpResponse(socket: Duplex, status: number, headers: HeaderList, body?: string): void {
  let head: string;
  if (status === 101) head = SWITCHING_PROTOCOLS;
  else {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`Invalid HTTP status ${status}`);
    head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  }
  // An indexed loop, not for-of with destructuring: this runs on every handshake, and the iterator
  // protocol is more code to interpret and to compile in a server that has just started.
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    const name = header[0];
    const value = header[1];
    // Headers may come from application hooks ('headers' event, authorize): never let one smuggle a
    // line break into the response.
    if (typeof name !== 'string' || !isToken(name)) throw new TypeError(`Invalid HTTP header name ${quote(name)}`);
    if (typeof value !== 'string' || INVALID_VALUE.test(value)) {
      throw new TypeError(
        `Invalid value ${quote(value)} for HTTP header ${name}: only tab, space, visible ASCII and bytes 0x80-0xff`,
      );
    }
    head += name + ': ' + value + '\r\n';
  }
  if (body !== undefined) {
    head += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  }
  head += '\r\n';
  socket.write(body === undefined ? head : head + body);
}

/**
 * What a `'headers'` listener may add to the 101: a `[name, value]` pair, or a `'Name: value'` line as
 * `ws`'s listeners push.
 */
export type HeaderEntry = [name: string, value: string] | string;

/**
 * The `[name, value]` pairs of `entries`, with `'Name: value'` lines split at their first colon (the
 * value without surrounding spaces or tabs). Throws a TypeError naming the entry for anything that would
 * not be a valid header line: an empty or non-token name, a value with CR, LF or another control
 * character, a line without a colon, or something that is neither a string nor a pair.
 */
export function headerPairsOf(entries: readonly HeaderEntry[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    let name: unknown;
    let value: unknown;
    if (typeof entry === 'string') {
      const colon = entry.indexOf(':');
      if (colon === -1) throw new TypeError(`Invalid header line ${quote(entry)}: expected "Name: value"`);
      name = entry.slice(0, colon);
      value = entry.slice(colon + 1).replace(OUTER_WHITESPACE, '');
    } else if (Array.isArray(entry) && entry.length === 2) {
      [name, value] = entry as unknown[];
    } else {
      throw new TypeError(`Invalid header ${quote(entry)}: expected a [name, value] pair or a "Name: value" string`);
    }
    if (typeof name !== 'string' || !isToken(name)) {
      throw new TypeError(
        `Invalid HTTP header name ${quote(name)}: a name is a non-empty token (no spaces, colons or line breaks)`,
      );
    }
    if (typeof value !== 'string' || INVALID_VALUE.test(value)) {
      throw new TypeError(
        `Invalid value ${quote(value)} for HTTP header ${name}: only tab, space, visible ASCII and bytes 0x80-0xff`,
      );
    }
    pairs.push([name, value]);
  }
  return pairs;
}

const OUTER_WHITESPACE = /^[ \t]+|[ \t]+$/g;

/** A short printable rendering of a rejected header part (it may be long, or hold the CR LF being refused). */
function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value);
  } catch {
    text = Object.prototype.toString.call(value); // a BigInt or a cycle inside an array
  }
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

/** Characters of a refusal's reason sent in its body; the rest is cut. */
export const MAX_REASON = 200;

/**
 * Refuses a handshake: writes `status` with `reason` as a plain-text body, then closes the socket
 * once the response is flushed. Throws TypeError for a header name that is not a token or a value with
 * a line break.
 */
export function rejectHandshake(socket: Duplex, status: number, reason: string, headers: HeaderList = []): void {
  if (debugEnabled) debug(`handshake from ${peerOf(socket as Partial<Socket>)} refused: ${status} ${reason}`);
  // A client that resets while its refusal is flushed must not raise an unhandled 'error' (which
  // would crash the process): the socket is being thrown away anyway.
  if (!socket.listeners('error').includes(ignore)) socket.on('error', ignore);
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Short, whatever the reason quotes: a refusal must never reflect a client's 15 KB header back at it.
  const body = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}...` : reason;
  writeHttpResponse(socket, status, [['Connection', 'close'], ...headers], body.endsWith('\n') ? body : `${body}\n`);
  socket.end();
  // A client that never reads its refusal must not hold the socket open.
  const timer = setTimeout(() => socket.destroy(), DEFAULTS.refusalFlushTimeout);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function ignore(): void {}
