/**
 * The option names each constructor takes. An unknown name is a TypeError, never ignored: an option
 * that is silently dropped (a `ws` user's `verifyClient`, a typo in `maxMesageSize`) turns off what its
 * author meant to turn on. Names `ws` users bring along get a hint to the one to use.
 * @module
 */
import type { ClientOptions, ConnectOptions } from './client/options.js';
import type { WebSocketConnectionOptions } from './connection-types.js';
import type { CloseOptions, WebSocketServerOptions } from './websocket-server.js';

/** Every key of `T`, exactly: the compiler rejects a missing or an extra name. */
type Names<T> = { readonly [K in keyof Required<T>]: true };

/** The per-connection limits and behaviours every kind of options shares. */
const connectionLimits = {
  maxMessageSize: true,
  maxBufferedAmount: true,
  sendHighWaterMark: true,
  messageTimeout: true,
  maxFragments: true,
  closeTimeout: true,
  heartbeatInterval: true,
  autoPong: true,
  fragmentSize: true,
} as const;

const serverNames: Names<WebSocketServerOptions> = {
  port: true,
  host: true,
  tls: true,
  server: true,
  http2: true,
  noServer: true,
  path: true,
  selectProtocol: true,
  authorize: true,
  perMessageDeflate: true,
  extensions: true,
  clientTracking: true,
  memoryBudget: true,
  handshakeTimeout: true,
  publishHighWaterMark: true,
  publishOverflow: true,
  maxTopicLength: true,
  broker: true,
  ...connectionLimits,
};

const connectionNames: Names<WebSocketConnectionOptions> = {
  role: true,
  protocol: true,
  extensions: true,
  extensionsHeader: true,
  ...connectionLimits,
  random: true,
};

const clientNames: Names<ClientOptions & Pick<ConnectOptions, 'protocols'>> = {
  headers: true,
  origin: true,
  handshakeTimeout: true,
  maxRedirects: true,
  ca: true,
  rejectUnauthorized: true,
  tls: true,
  perMessageDeflate: true,
  extensions: true,
  ...connectionLimits,
  signal: true,
  agent: true,
  proxy: true,
  http2: true,
  protocols: true,
};

const closeNames: Names<CloseOptions> = { timeout: true };

/** Options of `ws` (and typos of ours) with what to use instead. */
const HINTS: Readonly<Record<string, string>> = {
  verifyClient: 'use authorize(request, info), which may return a promise or a refusal',
  handleProtocols: 'use selectProtocol(offered, request)',
  maxPayload: 'use maxMessageSize',
  skipUTF8Validation: 'text messages are always validated, as RFC 6455 requires',
  allowSynchronousEvents: 'events are always emitted as messages are decoded',
  backlog: 'listen on your own http.Server and pass it as server',
  WebSocket: 'connections are always WebSocketConnection',
  followRedirects: 'use maxRedirects',
  protocolVersion: 'version 13 is the only one',
  maxMesageSize: 'did you mean maxMessageSize?',
  heartbeat: 'use heartbeatInterval (milliseconds)',
};

function check(options: object, known: object, owner: string): void {
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(known, name)) continue;
    const hint = HINTS[name];
    throw new TypeError(`${owner}: unknown option ${JSON.stringify(name)}${hint === undefined ? '' : `; ${hint}`}`);
  }
}

/** Throws a TypeError naming the first option `new WebSocketServer()` does not know. */
export function checkServerOptionNames(options: object): void {
  check(options, serverNames, 'WebSocketServer');
}

/** Throws a TypeError naming the first option `new WebSocketConnection()` does not know. */
export function checkConnectionOptionNames(options: object): void {
  check(options, connectionNames, 'WebSocketConnection');
}

/** Throws a TypeError naming the first option `connect()` or `new WebSocket()` does not know. */
export function checkClientOptionNames(options: object): void {
  check(options, clientNames, 'WebSocket client');
}

/** Throws a TypeError naming the first option `WebSocketServer.close()` does not know. */
export function checkCloseOptionNames(options: object): void {
  check(options, closeNames, 'WebSocketServer.close()');
}
