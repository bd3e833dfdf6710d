/**
 * URL and subprotocol checks from the WHATWG WebSocket constructor, shared by `new WebSocket()` and
 * `connect()` so that both reject the same inputs.
 */

import { isToken } from '@wsts/protocol';

/** Why a URL or subprotocol list was rejected; the WHATWG class turns this into a SyntaxError. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/**
 * Parses a WebSocket URL the way the WHATWG constructor does: http: becomes ws:, https: becomes wss:,
 * any other scheme and any fragment (even an empty one, `ws://h/#`) is rejected.
 */
export function parseWebSocketUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new InvalidInputError(`invalid URL: ${JSON.stringify(String(input))}`);
  }
  if (url.protocol === 'http:') url = new URL(`ws:${url.href.slice('http:'.length)}`);
  else if (url.protocol === 'https:') url = new URL(`wss:${url.href.slice('https:'.length)}`);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new InvalidInputError(`URL scheme must be ws: or wss: (or http:/https:), got ${url.protocol} in ${url.href}`);
  }
  // `url.hash` is '' both for "no fragment" and for an empty fragment; the serialized form keeps the
  // '#' for the latter, and '#' cannot appear unescaped anywhere else in a serialized URL.
  if (url.href.includes('#')) {
    throw new InvalidInputError(`URL must not have a fragment: ${url.href}`);
  }
  return url;
}

/** Normalizes the constructor's `protocols` argument and checks each entry is a unique token. */
export function parseProtocols(protocols: string | readonly string[] | undefined): string[] {
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    const value = String(protocol);
    if (!isToken(value)) {
      throw new InvalidInputError(`subprotocol ${JSON.stringify(value)} is not a valid token`);
    }
    if (seen.has(value)) throw new InvalidInputError(`subprotocol ${JSON.stringify(value)} is listed twice`);
    seen.add(value);
  }
  return list.map(String);
}

/** Host and port for `net`/`tls`: the URL's hostname without IPv6 brackets, and the default port. */
export function socketAddress(url: URL): { host: string; port: number } {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (url.protocol === 'wss:' ? 443 : 80) : Number(url.port);
  return { host, port };
}
