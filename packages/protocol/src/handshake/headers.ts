/**
 * Header access that accepts Node's `IncomingHttpHeaders`, a WHATWG `Headers`, a `Map` or a list of pairs.
 * @module
 */

/** Request or response headers in any of the usual shapes; names are matched case-insensitively. */
export type HeadersInput =
  | Record<string, string | string[] | undefined>
  | Iterable<readonly [string, string]>;

function isIterable(headers: HeadersInput): headers is Iterable<readonly [string, string]> {
  return typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Every value of header `name` (each occurrence separately; Node and WHATWG may pre-join them). */
export function getHeaderValues(headers: HeadersInput, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  if (isIterable(headers)) {
    for (const [key, value] of headers) if (key.toLowerCase() === wanted) out.push(value);
    return out;
  }
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(value);
    else out.push(...value);
  }
  return out;
}

/** Header entries as `[name, value]` pairs, arrays flattened. */
export function headerEntries(headers: HeadersInput): [string, string][] {
  const out: [string, string][] = [];
  if (isIterable(headers)) {
    for (const [key, value] of headers) out.push([key, value]);
    return out;
  }
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push([key, value]);
    else for (const v of value) out.push([key, v]);
  }
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
