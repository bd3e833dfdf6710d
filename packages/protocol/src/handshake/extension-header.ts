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

import { excerpt, HandshakeError } from '../errors.js';
import type { ExtensionOffer } from '../extensions/extension.js';
import { isTchar, isToken } from './headers.js';

function syntaxError(value: string, at: number, what: string): HandshakeError {
  return new HandshakeError(400, `Invalid Sec-WebSocket-Extensions header at offset ${at} (${what}): ${excerpt(value, at)}`);
}

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 0x20 || c === 0x09; c = s.charCodeAt(++i));
  return i;
}

function readToken(s: string, i: number): number {
  // charCodeAt past the end is NaN, which is not a tchar: the loop stops at the end of the string.
  while (isTchar(s.charCodeAt(i))) i++;
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

/**
 * Offers parsed from recently seen header values, frozen and shared. WHY: a server hears the same few
 * values over and over (every Chromium sends `permessage-deflate; client_max_window_bits`); parsing
 * each afresh, and then negotiating each afresh, was most of the extra handshake cost of
 * permessage-deflate, much of it V8 compiling those parsers in a fresh process. Bounded: values longer
 * than {@link SHARED_VALUE_MAX_LENGTH} are never kept, and the cache is emptied when it reaches
 * {@link SHARED_VALUES_MAX} entries, so a client sending endless distinct values only turns it off.
 */
const sharedOffers = new Map<string, readonly ExtensionOffer[]>();
const SHARED_VALUES_MAX = 64;
const SHARED_VALUE_MAX_LENGTH = 256;

/**
 * {@link parseExtensionHeader} for the server handshake: the same offers, deeply frozen, and for a
 * short single value the very same objects every time that value is seen again. Negotiators may key
 * their own decisions on an offer's identity when `Object.isFrozen(offer)` (see PerMessageDeflateServer).
 * Throws HandshakeError(400) on bad syntax, like the parser (a bad value is never kept).
 */
export function parseSharedOffers(values: string | readonly string[]): readonly ExtensionOffer[] {
  if (typeof values !== 'string' || values.length > SHARED_VALUE_MAX_LENGTH) return freezeOffers(parseExtensionHeader(values));
  let offers = sharedOffers.get(values);
  if (offers === undefined) {
    offers = freezeOffers(parseExtensionHeader(values));
    if (sharedOffers.size >= SHARED_VALUES_MAX) sharedOffers.clear();
    sharedOffers.set(values, offers);
  }
  return offers;
}

/** Freezes offers, their parameter lists and each parameter pair: shared objects must not change. */
function freezeOffers(offers: ExtensionOffer[]): readonly ExtensionOffer[] {
  for (const offer of offers) freezeOffer(offer);
  return Object.freeze(offers);
}

/** Freezes one offer or response deeply (see {@link freezeOffers}); returns it. */
export function freezeOffer(offer: ExtensionOffer): ExtensionOffer {
  for (const param of offer.params) Object.freeze(param);
  Object.freeze(offer.params);
  return Object.freeze(offer);
}

function formatValue(value: string): string {
  if (isToken(value)) return value;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Header values formatted from frozen (so unchanging) responses, by response (see {@link formatSharedResponses}). */
const formattedResponses = new WeakMap<ExtensionOffer, string>();

/**
 * {@link formatExtensionHeader} for the server handshake: a single frozen response (a negotiator's
 * shared decision) is formatted once and the text reused; anything else is formatted afresh.
 */
export function formatSharedResponses(list: readonly ExtensionOffer[]): string {
  if (list.length !== 1 || !Object.isFrozen(list[0])) return formatExtensionHeader(list);
  const response = list[0]!;
  let text = formattedResponses.get(response);
  if (text === undefined) {
    text = formatExtensionHeader(list);
    formattedResponses.set(response, text);
  }
  return text;
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
