/**
 * Header access that accepts Node's `IncomingHttpHeaders`, a WHATWG `Headers`, a `Map` or a list of pairs.
 * @module
 */

/** Request or response headers in any of the usual shapes; names are matched case-insensitively. */
export type HeadersInput = Record<string, string | string[] | undefined> | Iterable<readonly [string, string]>;

/**
 * Calls `visit(context, name, value)` for every header value in order, arrays flattened to one call per
 * value: the one walk over the accepted header shapes. WHY a context argument rather than a closure: the
 * server handshake walks the request headers once per upgrade and should not allocate a function for it.
 */
export function forEachHeader<C>(
  headers: HeadersInput,
  visit: (context: C, name: string, value: string) => void,
  context: C,
): void {
  if (typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<readonly [string, string]>) visit(context, name, value);
    return;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  // for-in with an own-property check visits the same keys as Object.keys without building an array.
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (value === undefined) continue;
    if (typeof value === 'string') visit(context, name, value);
    else for (const v of value) visit(context, name, v);
  }
}

interface Wanted {
  readonly name: string;
  readonly out: string[];
}

function collectValue(wanted: Wanted, name: string, value: string): void {
  if (name.toLowerCase() === wanted.name) wanted.out.push(value);
}

/** Every value of header `name` (each occurrence separately; Node and WHATWG may pre-join them). */
export function getHeaderValues(headers: HeadersInput, name: string): string[] {
  const wanted: Wanted = { name: name.toLowerCase(), out: [] };
  forEachHeader(headers, collectValue, wanted);
  return wanted.out;
}

function pushPair(out: [string, string][], name: string, value: string): void {
  out.push([name, value]);
}

/** Headers in any accepted shape as `[name, value]` pairs, in order; an array value becomes repeated pairs. */
export function headerPairs(headers: HeadersInput): [string, string][] {
  const out: [string, string][] = [];
  forEachHeader(headers, pushPair, out);
  return out;
}

/** Splits comma-separated list values (RFC 7230 section 7), trimming whitespace and dropping empties. */
export function splitList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const item = part.trim();
      if (item !== '') out.push(item);
    }
  }
  return out;
}

/** Whether a comma-separated list header contains `token` (ASCII case-insensitive). */
export function listHasToken(values: readonly string[], token: string): boolean {
  const wanted = token.toLowerCase();
  for (const value of values) if (valueHasToken(value, wanted)) return true;
  return false;
}

/**
 * Whether one list header value contains `lowerToken` (already lower case, no whitespace or comma).
 * WHY the shortcut: `Upgrade: websocket` and `Connection: Upgrade` are one bare token on nearly every
 * request; comparing the whole value answers without splitting into arrays. A value of the token's
 * length that differs can only match as a whole element, so the shortcut is exact.
 */
export function valueHasToken(value: string, lowerToken: string): boolean {
  if (value.length === lowerToken.length) return value === lowerToken || value.toLowerCase() === lowerToken;
  if (value.length < lowerToken.length) return false;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === lowerToken) return true;
  return false;
}

/**
 * RFC 7230 `tchar`, as a table indexed by code unit: the one definition of what a token is made of.
 * WHY a table: extension names and parameters are read one character at a time on every handshake
 * that offers an extension; a regex test per character cost more than the rest of the parse.
 */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Whether the code unit `code` is an RFC 7230 `tchar` (NaN, past the end of a string, is not). */
export function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Whether `value` is an RFC 7230 `token` (subprotocol names and extension names must be). */
export function isToken(value: string): boolean {
  const length = value.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}
