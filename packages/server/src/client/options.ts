import type { Agent } from 'node:http';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { headerPairs, isHandshakeHeader, type ClientExtensionNegotiator, type HeadersInput } from '@wsts/protocol';
import { checkLimits, DEFAULTS } from '../defaults.js';
import { checkClientOptionNames } from '../option-names.js';
import type { PerMessageDeflateOptions } from '../extensions-option.js';
import { type ProxyEnv, proxyVariableFor, snapshotProxyEnv } from './proxy-env.js';
import { parseProxyUrl } from './proxy-tunnel.js';

/** Default for {@link ClientOptions.handshakeTimeout} (`DEFAULTS.clientHandshakeTimeout`). */
export const DEFAULT_HANDSHAKE_TIMEOUT = DEFAULTS.clientHandshakeTimeout;
/** Default for {@link ClientOptions.maxRedirects} (`DEFAULTS.maxRedirects`). */
export const DEFAULT_MAX_REDIRECTS = DEFAULTS.maxRedirects;

/** Options for the Node client, shared by `connect()` and `new WebSocket(url, protocols, options)`. */
export interface ClientOptions {
  /** Extra request headers (Authorization, Cookie...). Handshake headers are set by the client. */
  headers?: HeadersInput;
  /** Value of the `Origin` header (browsers always send one; Node sends none unless set). */
  origin?: string;
  /** Milliseconds for the whole opening handshake (DNS, TCP, TLS, redirects, response). Default 30000. */
  handshakeTimeout?: number;
  /** How many HTTP redirects (301/302/303/307/308) to follow. Default 0: a redirect fails the connection. */
  maxRedirects?: number;
  /** wss: trusted CA certificates, replacing Node's default list (e.g. for a self-signed server). */
  ca?: string | Buffer | (string | Buffer)[];
  /** wss: verify the server's certificate. Default true; set false only for tests. */
  rejectUnauthorized?: boolean;
  /** wss: further TLS options (client certificate, servername, ciphers...) passed to `tls.connect`. */
  tls?: TlsConnectionOptions;
  /**
   * Offer permessage-deflate (RFC 7692). Default on (as `true`); `false` turns it off; an object
   * tunes it.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Further extension negotiators to offer, after permessage-deflate. */
  extensions?: readonly ClientExtensionNegotiator[];
  /** Largest incoming message in bytes (after decompression); larger ones fail with 1009. Default 64 MiB. */
  maxMessageSize?: number;
  /**
   * Cap on what is queued for a server that does not read (payload bytes plus the memory each queued
   * write costs); past it the connection is dropped. Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /**
   * Past this much queued for the server, we stop reading from it until half has drained. Default:
   * never (Infinity). A server that does the same (ours does) could then wait on this client forever,
   * each side's output stuck behind input the other does not read: set it only for a server known to
   * keep reading.
   */
  sendHighWaterMark?: number;
  /** Milliseconds one incoming message may take to arrive; past it, close with 1008. Default 60 s; 0 = off. */
  messageTimeout?: number;
  /** Most frames one incoming message may arrive in; more fail with 1008. Default 131,072. */
  maxFragments?: number;
  /** Milliseconds the closing handshake may take before the socket is destroyed. Default 10 s. */
  closeTimeout?: number;
  /** Ping every this many milliseconds and drop the connection when nothing came back. Default 0 (off). */
  heartbeatInterval?: number;
  /** Answer the server's pings automatically. Default true. */
  autoPong?: boolean;
  /** Split outgoing data messages into frames of at most this many payload bytes. Default: never split. */
  fragmentSize?: number;
  /** Cancels the opening handshake. */
  signal?: AbortSignal;
  /**
   * An `http.Agent` (ws://) or `https.Agent` (wss://) that makes the handshake's connection, on every
   * redirect hop too: its `createConnection`/`addRequest` are used, so third-party agents (proxy
   * agents, for one) work. The upgraded socket leaves the agent's pool, so `keepAlive` has no effect on
   * it. Default: none, a fresh direct connection. Cannot be combined with `proxy`.
   */
  agent?: Agent;
  /**
   * Tunnel through an HTTP proxy with `CONNECT` (wss:// stays TLS end to end, checked against the
   * target's name). `'env'` reads `HTTPS_PROXY` for wss:// (falling back to `HTTP_PROXY`), `HTTP_PROXY`
   * for ws://, and skips hosts listed in `NO_PROXY` (lowercase names too, and winning), as undici's
   * `EnvHttpProxyAgent` does; the variables are read when the connection is created. A URL
   * (`'http://user:password@proxy:3128'`) uses that proxy for every target; credentials in it are sent
   * as `Proxy-Authorization: Basic`. Only http: proxy URLs are supported. Default: none, even when
   * those variables are set. Cannot be combined with `agent`.
   */
  proxy?: 'env' | string | URL;
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441) when the server offers it: as a stream of one HTTP/2
   * connection shared by every WebSocket to the same origin (with the same trust settings), sent once
   * the server's SETTINGS announced the extended CONNECT. Falls back to the HTTP/1.1 upgrade on a new
   * connection when the server does not speak HTTP/2 or does not announce it, and whenever a proxy or
   * an `agent` is in use. For ws:// URLs this is h2c with prior knowledge: the HTTP/2 preface is sent
   * first, and an HTTP/1.1-only server's error answer leads to the fallback. Default false.
   *
   * `{ connectionWindowSize }` turns it on with a larger connection-level receive window than HTTP/2's
   * initial 65,535 bytes, the default: what all the WebSockets of the connection may have in flight
   * toward us together. WHY the small default: Node stops reading an HTTP/2 socket while a write to it
   * is in progress, on both ends; when each end may send the other more than the TCP buffers between
   * them hold, both can end up writing with neither reading, and every WebSocket of the connection
   * stops. Raise it only toward servers that keep reading while they write (anything but Node's
   * HTTP/2), or whose own connection window is small. From 65,535 to 2^31 - 1.
   */
  http2?: boolean | Http2ClientOptions;
}

/** The object form of the client's `http2` option. */
export interface Http2ClientOptions {
  /** The connection's receive window in bytes (default 65,535; see `ClientOptions.http2`). */
  connectionWindowSize?: number;
}

/** Options for `connect()`: {@link ClientOptions} plus the subprotocols to offer. */
export interface ConnectOptions extends ClientOptions {
  /** Subprotocols to offer, in order of preference. */
  protocols?: string | readonly string[];
}

/** {@link ClientOptions} with defaults applied and headers flattened to pairs. */
export interface ResolvedClientOptions {
  readonly protocols: readonly string[];
  /** Off, or on with the connection window to keep. */
  readonly http2: false | { readonly connectionWindowSize: number };
  readonly headers: readonly [string, string][];
  readonly handshakeTimeout: number;
  readonly maxRedirects: number;
  readonly ca: string | Buffer | (string | Buffer)[] | undefined;
  readonly rejectUnauthorized: boolean;
  readonly tls: TlsConnectionOptions;
  readonly signal: AbortSignal | undefined;
  readonly agent: Agent | undefined;
  readonly proxy: ProxySetting;
}

/** How the handshake's connection is routed, before looking at the target. */
export type ProxySetting =
  | { readonly mode: 'none' }
  /** `proxy: 'env'`: the proxy variables as they were when the connection was created. */
  | { readonly mode: 'env'; readonly env: ProxyEnv }
  | { readonly mode: 'url'; readonly url: URL };

/** Checks `agent` and `proxy` (TypeError for a value that cannot work, or for both at once). */
function resolveRoute(agent: unknown, proxy: unknown, env: ProxyEnv): { agent: Agent | undefined; proxy: ProxySetting } {
  if (agent !== undefined && proxy !== undefined) {
    throw new TypeError('agent and proxy cannot be combined: pass a proxy agent as agent, or proxy alone');
  }
  if (agent !== undefined) {
    // What Node's http.request itself requires of an agent; checking here makes it fail before any I/O.
    if (typeof agent !== 'object' || agent === null || typeof (agent as { addRequest?: unknown }).addRequest !== 'function') {
      throw new TypeError('agent must be an http.Agent or https.Agent (an object with addRequest())');
    }
    return { agent: agent as Agent, proxy: { mode: 'none' } };
  }
  if (proxy === undefined) return { agent: undefined, proxy: { mode: 'none' } };
  if (proxy === 'env') {
    const snapshot = snapshotProxyEnv(env);
    // A malformed variable is a configuration error worth hearing about at once, not only when a
    // connection happens to need it.
    for (const protocol of ['ws:', 'wss:']) {
      const variable = proxyVariableFor(protocol, snapshot);
      if (variable !== undefined) parseProxyUrl(variable.value, `proxy: 'env': ${variable.name}`);
    }
    return { agent: undefined, proxy: { mode: 'env', env: snapshot } };
  }
  if (typeof proxy === 'string' || proxy instanceof URL) {
    return { agent: undefined, proxy: { mode: 'url', url: parseProxyUrl(proxy, 'proxy') } };
  }
  throw new TypeError("proxy must be 'env', a proxy URL string, or a URL");
}

/** Flattens any accepted header shape to [name, value] pairs (arrays become repeated headers). */
export function toHeaderPairs(input: HeadersInput | undefined): [string, string][] {
  return input === undefined ? [] : headerPairs(input);
}

function checkNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
}

function checkPositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  return value;
}

/** Applies defaults and checks the knobs (RangeError for a bad number, TypeError for a reserved header). */
export function resolveClientOptions(
  options: ClientOptions,
  protocols: readonly string[],
  env: ProxyEnv = process.env,
): ResolvedClientOptions {
  checkClientOptionNames(options);
  const route = resolveRoute(options.agent, options.proxy, env);
  const headers = toHeaderPairs(options.headers);
  // The connection's own limits are checked again when it is created, but that is after the 101:
  // checking them here makes a bad value fail before any I/O.
  checkLimits({
    maxMessageSize: options.maxMessageSize,
    maxBufferedAmount: options.maxBufferedAmount,
    sendHighWaterMark: options.sendHighWaterMark,
    messageTimeout: options.messageTimeout,
    maxFragments: options.maxFragments,
    closeTimeout: options.closeTimeout,
    heartbeatInterval: options.heartbeatInterval,
  });
  for (const [name] of headers) {
    // The codec refuses these too, but only once a request is built; checking here makes a bad option
    // a synchronous TypeError from `new WebSocket()`, like the other argument errors.
    if (isHandshakeHeader(name)) {
      throw new TypeError(
        `header ${name} is set by the WebSocket handshake; use the protocols/perMessageDeflate/extensions options`,
      );
    }
  }
  if (options.origin !== undefined) {
    const withoutOrigin = headers.filter(([name]) => name.toLowerCase() !== 'origin');
    withoutOrigin.push(['Origin', options.origin]);
    headers.length = 0;
    headers.push(...withoutOrigin);
  }
  return {
    protocols,
    headers,
    handshakeTimeout: checkPositive('handshakeTimeout', options.handshakeTimeout ?? DEFAULTS.clientHandshakeTimeout),
    maxRedirects: Math.floor(checkNonNegative('maxRedirects', options.maxRedirects ?? DEFAULTS.maxRedirects)),
    ca: options.ca,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    tls: options.tls ?? {},
    signal: options.signal,
    agent: route.agent,
    proxy: route.proxy,
    http2: checkHttp2(options.http2),
  };
}

/**
 * HTTP/2's initial connection window (RFC 9113 section 6.9.2): the client's receive window for a shared
 * session unless `http2.connectionWindowSize` raises it, kept on purpose. WHY: Node stops reading an
 * HTTP/2 connection's socket while a write to it is in progress, and a Node server does the same. If
 * each end may send the other more than the TCP buffers between them hold, both can be left writing
 * with neither reading, and every WebSocket of the connection stops for good (many WebSockets sending
 * at once while the server echoes get there). What the server can have in flight to us is bounded by
 * this window, and any TCP connection buffers 64 KiB: the server's writes always complete, it reads
 * again, and ours drain in turn. The price is that everything the connection's WebSockets receive
 * together goes at up to 64 KiB per round trip.
 */
const INITIAL_CONNECTION_WINDOW = 65_535;
/** The largest window HTTP/2 allows. */
const MAX_WINDOW = 2 ** 31 - 1;

function checkHttp2(value: unknown): ResolvedClientOptions['http2'] {
  if (value === undefined || value === false) return false;
  if (value === true) return { connectionWindowSize: INITIAL_CONNECTION_WINDOW };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('http2 must be a boolean or { connectionWindowSize }');
  }
  for (const key of Object.keys(value)) {
    if (key !== 'connectionWindowSize') throw new TypeError(`unknown http2 option "${key}" (known: connectionWindowSize)`);
  }
  const size = (value as Http2ClientOptions).connectionWindowSize ?? INITIAL_CONNECTION_WINDOW;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < INITIAL_CONNECTION_WINDOW || size > MAX_WINDOW) {
    throw new RangeError(
      `http2.connectionWindowSize must be an integer from ${INITIAL_CONNECTION_WINDOW} to ${MAX_WINDOW}, got ${String(size)}`,
    );
  }
  return { connectionWindowSize: size };
}
