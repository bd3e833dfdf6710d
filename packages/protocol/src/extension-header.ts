/**
 * `Sec-WebSocket-Extensions` parsing and formatting (RFC 6455 section 9.1 over the RFC 7230 list rules).
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * RFC 6455 writes this grammar with RFC 2616's implied linear whitespace, so optional whitespace is
 * accepted around ",", ";" and "=". Empty list elements are ignored as RFC 7230 section 7 requires.
 * @module
 */

import { HandshakeError } from './errors.js';
import type { ExtensionOffer } from './extension.js';
import { isToken } from './headers.js';

/**
 * RFC 7230 `tchar`, as a table indexed by code unit. WHY a table: names and parameters are read one
 * character at a time on every handshake that offers an extension; a regex test per character cost
 * more than the rest of the parse.
 */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function isTcharCode(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

function syntaxError(value: string, at: number, what: string): HandshakeError {
  return new HandshakeError(400, `Invalid Sec-WebSocket-Extensions header at offset ${at} (${what}): ${JSON.stringify(value)}`);
}

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 0x20 || c === 0x09; c = s.charCodeAt(++i));
  return i;
}

function readToken(s: string, i: number): number {
  // charCodeAt past the end is NaN, which is not a tchar: the loop stops at the end of the string.
  while (isTcharCode(s.charCodeAt(i))) i++;
  return i;
}

function parseInto(s: string, out: ExtensionOffer[]): void {
  let i = 0;
  const n = s.length;
  for (;;) {
    i = skipSpace(s, i);
    if (i >= n) return;
    if (s[i] === ',') {
      i++;
      continue;
    }
    const nameEnd = readToken(s, i);
    if (nameEnd === i) throw syntaxError(s, i, 'expected an extension name');
    const offer: ExtensionOffer = { name: s.slice(i, nameEnd), params: [] };
    i = skipSpace(s, nameEnd);
    while (s[i] === ';') {
      i = skipSpace(s, i + 1);
      const keyEnd = readToken(s, i);
      if (keyEnd === i) throw syntaxError(s, i, 'expected a parameter name');
      const key = s.slice(i, keyEnd);
      i = skipSpace(s, keyEnd);
      if (s[i] !== '=') {
        offer.params.push([key, true]);
        continue;
      }
      i = skipSpace(s, i + 1);
      let value: string;
      if (s[i] === '"') {
        // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
        i++;
        value = '';
        for (;;) {
          if (i >= n) throw syntaxError(s, i, 'unterminated quoted string');
          const c = s[i]!;
          if (c === '"') break;
          if (c === '\\') {
            if (i + 1 >= n) throw syntaxError(s, i, 'dangling escape');
            value += s[i + 1];
            i += 2;
            continue;
          }
          const code = c.charCodeAt(0);
          if ((code < 0x20 && code !== 0x09) || code === 0x7f) throw syntaxError(s, i, 'control character');
          value += c;
          i++;
        }
        i++;
        // RFC 6455 section 9.1: the unescaped value of a quoted parameter MUST itself be a token.
        if (!isToken(value)) throw syntaxError(s, i, 'quoted parameter value is not a token');
      } else {
        const valueEnd = readToken(s, i);
        if (valueEnd === i) throw syntaxError(s, i, 'expected a parameter value');
        value = s.slice(i, valueEnd);
        i = valueEnd;
      }
      offer.params.push([key, value]);
      i = skipSpace(s, i);
    }
    out.push(offer);
    if (i >= n) return;
    if (s[i] !== ',') throw syntaxError(s, i, 'expected "," or ";"');
    i++;
  }
}

/**
 * Parses one or more `Sec-WebSocket-Extensions` header values (repeated headers allowed) into offers,
 * in order. Throws HandshakeError(400) on bad syntax.
 */
export function parseExtensionHeader(values: string | readonly string[]): ExtensionOffer[] {
  const out: ExtensionOffer[] = [];
  if (typeof values === 'string') parseInto(values, out);
  else for (const value of values) parseInto(value, out);
  return out;
}

function formatValue(value: string): string {
  if (isToken(value)) return value;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Formats offers or responses as one `Sec-WebSocket-Extensions` value. */
export function formatExtensionHeader(list: readonly ExtensionOffer[]): string {
  // A plain loop: runs on every handshake that negotiates an extension (no closure, no array).
  let text = '';
  for (let i = 0; i < list.length; i++) {
    const offer = list[i]!;
    if (i > 0) text += ', ';
    text += offer.name;
    for (const [key, value] of offer.params) text += value === true ? `; ${key}` : `; ${key}=${formatValue(value)}`;
  }
  return text;
}
