/**
 * The `http2` option of a WebSocketServer: WebSockets over HTTP/2 (RFC 8441), its knobs and defaults.
 * @module
 */

/** Knobs of WebSockets over HTTP/2; `http2: true` takes every default. */
export interface Http2Options {
  /**
   * WebSockets one HTTP/2 connection may carry at once (handshakes in progress included). Past it an
   * extended CONNECT gets 503 and the other streams go on. WHY a cap of our own rather than a small
   * SETTINGS_MAX_CONCURRENT_STREAMS: that setting also limits the page's ordinary requests, and a
   * browser that hits it queues the WebSocket silently instead of failing it. Default 100.
   */
  maxWebSocketsPerSession?: number;
  /**
   * The HTTP/2 flow-control window each stream starts with (SETTINGS_INITIAL_WINDOW_SIZE), in bytes:
   * how much a peer may send on one WebSocket before we acknowledge it. HTTP/2's own default, 65,535,
   * caps one WebSocket at 64 KiB per round trip. It is also what Node buffers for a stream whose
   * reading is paused (backpressure), so it bounds that memory per WebSocket. Default 1 MiB.
   */
  windowSize?: number;
  /**
   * The connection-level window, in bytes (raised with `session.setLocalWindowSize`): what all the
   * streams of one connection may have in flight together. Default 16 MiB.
   */
  connectionWindowSize?: number;
}

/** The checked values, every default filled in. */
export interface Http2Settings {
  maxWebSocketsPerSession: number;
  windowSize: number;
  connectionWindowSize: number;
}

export const HTTP2_DEFAULTS: Readonly<Http2Settings> = {
  maxWebSocketsPerSession: 100,
  windowSize: 1024 * 1024,
  connectionWindowSize: 16 * 1024 * 1024,
};

/** HTTP/2 windows are 31-bit (RFC 9113 section 6.9.1). */
const MAX_WINDOW = 2 ** 31 - 1;

const NAMES: ReadonlySet<string> = new Set(['maxWebSocketsPerSession', 'windowSize', 'connectionWindowSize']);

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`http2.${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The `http2` option checked (unknown names and bad values throw), or undefined when HTTP/2 is off. */
export function checkHttp2Option(option: boolean | Http2Options | undefined): Http2Settings | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { ...HTTP2_DEFAULTS };
  if (typeof option !== 'object' || option === null) throw new TypeError('http2 must be a boolean or an object');
  for (const name of Object.keys(option)) {
    if (!NAMES.has(name)) throw new TypeError(`WebSocketServer: unknown option "http2.${name}"`);
  }
  return {
    maxWebSocketsPerSession: integer(
      'maxWebSocketsPerSession',
      option.maxWebSocketsPerSession,
      1,
      2 ** 31 - 1,
      HTTP2_DEFAULTS.maxWebSocketsPerSession,
    ),
    windowSize: integer('windowSize', option.windowSize, 65_535, MAX_WINDOW, HTTP2_DEFAULTS.windowSize),
    connectionWindowSize: integer(
      'connectionWindowSize',
      option.connectionWindowSize,
      65_535,
      MAX_WINDOW,
      HTTP2_DEFAULTS.connectionWindowSize,
    ),
  };
}
