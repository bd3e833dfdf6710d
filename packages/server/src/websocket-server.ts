import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  HandshakeError,
  isWebSocketUpgrade,
  upgrade,
  type Extension,
  type ServerExtensionNegotiator,
  type ServerHandshakeOptions,
  WEBSOCKET_GUID,
} from '@wsts/protocol';
import { checkLimits, DEFAULTS } from './defaults.js';
import { perMessageDeflateNegotiators, type PerMessageDeflateOptions } from './extensions-option.js';
import { HeartbeatGroup } from './heartbeat.js';
import { defaultMemoryBudget, MemoryBudget, type MemoryReport } from './memory-budget.js';
import { rejectHandshake, writeHttpResponse } from './http-response.js';
import { answerPlainRequest } from './plain-http.js';
import { watchRequestHeads, type RequestWatch } from './request-watch.js';
import { attachToHttpServer, detachFromHttpServer, pathOf } from './upgrade-router.js';
import { WebSocketConnection } from './websocket-connection.js';

/** A refusal from the `authorize` hook: the HTTP status, a human-readable reason, extra headers. */
export interface HandshakeRejection {
  status: number;
  reason?: string;
  headers?: readonly (readonly [string, string])[];
}

/**
 * What `authorize` may return: `true`/`undefined` to accept, `false` for 401, or a rejection.
 * Throwing (or rejecting) refuses with 500 and emits the error on the server.
 */
export type AuthorizationResult = boolean | undefined | void | HandshakeRejection;

/** What the `authorize` hook learns about a handshake besides the request itself. */
export interface AuthorizationInfo {
  /** The `Origin` header (browsers always send it), or undefined. */
  origin: string | undefined;
  /** True when the request came over TLS. */
  secure: boolean;
}

/** Options of a {@link WebSocketServer}. Exactly one of `port`, `server` or `noServer` is required. */
export interface WebSocketServerOptions {
  /** Listen on this port (0 = any free port), with a server of our own. */
  port?: number;
  /** Host to listen on with `port`. Default: Node's default (all interfaces). */
  host?: string;
  /** With `port`: serve wss with these TLS options (key, cert...) instead of plain ws. */
  tls?: https.ServerOptions;
  /** Attach to an existing `http.Server`/`https.Server`. Several WebSocketServers may share one by `path`. */
  server?: http.Server | https.Server;
  /** Handle nothing by itself: call `handleUpgrade` from your own 'upgrade' listener. */
  noServer?: boolean;
  /** Only accept upgrades for this exact path (query ignored). Default: any path. */
  path?: string;
  /** Picks one of the client's subprotocols (in the client's order), or undefined for none. */
  selectProtocol?: (offered: readonly string[], request: http.IncomingMessage) => string | undefined;
  /**
   * Async gate run after the request is known to be a valid WebSocket handshake and before the 101:
   * check Origin, cookies, tokens. See {@link AuthorizationResult}. Bounded by `handshakeTimeout`.
   */
  authorize?: (request: http.IncomingMessage, info: AuthorizationInfo) => AuthorizationResult | Promise<AuthorizationResult>;
  /** permessage-deflate (RFC 7692). Default on (as `true`); `false` turns it off; options tune it. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Further extension negotiators, after permessage-deflate, in order of preference. */
  extensions?: readonly ServerExtensionNegotiator[];
  /** Track connections in `clients` (needed for `close()` to close them). Default true. */
  clientTracking?: boolean;
  /** Largest incoming message in bytes. Default 64 MiB; larger ones fail with 1009. */
  maxMessageSize?: number;
  /**
   * Cap on what is queued for a client that does not read: payload bytes plus the memory each queued
   * write costs. Default 16 MiB; past it the client is terminated.
   */
  maxBufferedAmount?: number;
  /** Past this much queued for a client, we stop reading it until half has drained. Default 1 MiB. */
  sendHighWaterMark?: number;
  /** Milliseconds one incoming message may take to arrive; past it, close with 1008. Default 60 s; 0 = off. */
  messageTimeout?: number;
  /** Most frames one incoming message may arrive in; more fail with 1008. Default 131,072. */
  maxFragments?: number;
  /**
   * Bytes all connections together may hold: queued output (with the cost of each queued write),
   * partly received messages, inflate output. Past three quarters of it, the connections holding the
   * most stop reading; at the budget, the largest are closed with 1013 (Try Again Later) until the
   * total is back under three quarters. Default: a quarter of V8's heap limit. See `memory`.
   */
  memoryBudget?: number;
  /**
   * Milliseconds allowed for the opening handshake. With our own server (`port`) this also drops a
   * client that trickles its request headers. Default 10 s.
   */
  handshakeTimeout?: number;
  /** Milliseconds allowed for the closing handshake before the socket is destroyed. Default 10 s. */
  closeTimeout?: number;
  /** Milliseconds between heartbeat pings; a client silent for a whole interval is terminated. 0 = off. Default 30 s. */
  heartbeatInterval?: number;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean;
  /** Split outgoing data messages into frames of at most this many payload bytes. Default: never split. */
  fragmentSize?: number;
}

/** Typed events of a {@link WebSocketServer}. */
export interface WebSocketServerEvents {
  /** A client completed the handshake (not emitted for `handleUpgrade` calls: the callback gets it). */
  connection: [connection: WebSocketConnection, request: http.IncomingMessage];
  /** The 101 response headers are about to be written; push to `headers` to add some. */
  headers: [headers: [string, string][], request: http.IncomingMessage];
  /** Our own server is listening. */
  listening: [];
  /**
   * A server-level error: a listen failure (thrown if nobody listens, like any EventEmitter), or a
   * throwing `authorize` hook (only emitted when a listener exists; the client gets 500 either way).
   */
  error: [error: Error];
  /** `close()` finished: no client left. */
  close: [];
}

/**
 * A WebSocket server. Accepts upgrades on its own port, on an existing HTTP(S) server, or from your
 * code through {@link WebSocketServer.handleUpgrade}; hands out one {@link WebSocketConnection} per client.
 */
export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  /** Connected clients (when `clientTracking` is on). */
  readonly clients = new Set<WebSocketConnection>();
  /** The HTTP(S) server accepting upgrades, or undefined with `noServer`. */
  readonly httpServer: http.Server | https.Server | undefined;
  /** The path filter, if any. */
  readonly path: string | undefined;

  private readonly options: WebSocketServerOptions;
  private readonly negotiators: readonly ServerExtensionNegotiator[];
  private readonly heartbeatGroup: HeartbeatGroup;
  private readonly budget: MemoryBudget;
  private readonly handshakeTimeout: number;
  private readonly ownsServer: boolean;
  /**
   * Sockets waiting for an asynchronous `authorize` verdict, so `close()` can drop them. A synchronous
   * handshake never needs to be here: nothing can run between its 'upgrade' event and its 101.
   */
  private readonly handshaking = new Set<Duplex>();
  private closing: Promise<void> | undefined;
  /** Own-server sockets whose first request head has not arrived yet, dropped after `handshakeTimeout`. */
  private readonly requestWatch: RequestWatch | undefined;
  /** Codec options, made once: `selectProtocol` (if any) reads the request from `negotiating`. */
  private readonly upgradeOptions: ServerHandshakeOptions;
  /** The request whose headers the codec is validating (set only during the synchronous `upgrade` call). */
  private negotiating: http.IncomingMessage | undefined;

  constructor(options: WebSocketServerOptions) {
    super();
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError('WebSocketServer needs exactly one of the options port, server or noServer');
    }
    checkLimits(options);
    this.options = options;
    this.path = options.path;
    this.handshakeTimeout = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
    this.heartbeatGroup = new HeartbeatGroup(options.heartbeatInterval ?? DEFAULTS.heartbeatInterval);
    this.budget = new MemoryBudget(options.memoryBudget ?? defaultMemoryBudget());
    this.negotiators = [...perMessageDeflateNegotiators(options.perMessageDeflate), ...(options.extensions ?? [])];
    const selectProtocol = options.selectProtocol;
    // WHY not a closure per handshake: the codec calls selectProtocol synchronously inside upgrade(),
    // so the request can be handed over through a field instead of two allocations per connection.
    this.upgradeOptions =
      selectProtocol === undefined
        ? { extensions: this.negotiators, computeAccept: nativeAccept }
        : { extensions: this.negotiators, computeAccept: nativeAccept, selectProtocol: (offered) => selectProtocol(offered, this.negotiating!) };

    if (options.port !== undefined) {
      const server =
        options.tls !== undefined
          ? https.createServer({ handshakeTimeout: this.handshakeTimeout, ...options.tls })
          : http.createServer();
      this.httpServer = server;
      this.ownsServer = true;
      // Drop clients that trickle their request: the watch runs from TCP (or TLS) accept until the
      // request head is complete, where the handshake timer takes over.
      this.requestWatch = this.handshakeTimeout > 0 ? watchRequestHeads(server, options.tls !== undefined, this.handshakeTimeout) : undefined;
      server.on('request', answerPlainRequest);
      server.on('error', (error) => this.emit('error', error));
      attachToHttpServer(server, this);
      server.listen(options.port, options.host, () => this.emit('listening'));
    } else if (options.server !== undefined) {
      this.httpServer = options.server;
      this.ownsServer = false;
      attachToHttpServer(options.server, this);
    } else {
      this.httpServer = undefined;
      this.ownsServer = false;
    }
  }

  /** The port the underlying server listens on (the real one when you asked for 0), or undefined. */
  get port(): number | undefined {
    const address = this.httpServer?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** The listening address of the underlying server (null before it listens). */
  address(): AddressInfo | string | null {
    return this.httpServer?.address() ?? null;
  }

  /**
   * What the server's connections hold in memory right now, against `memoryBudget`: for dashboards and
   * alerts. `used` is the last count (exact when the budget is under pressure, otherwise updated as
   * connections report after their reads and flushes).
   */
  get memory(): MemoryReport {
    return this.budget.snapshot();
  }

  /** True when this server handles upgrades for `request`'s path. */
  shouldHandle(request: http.IncomingMessage): boolean {
    return this.path === undefined || pathOf(request.url) === this.path;
  }

  /**
   * Runs the whole server handshake on a socket Node handed to an 'upgrade' listener: method and
   * header checks (405, 400, 426 + `Sec-WebSocket-Version: 13`), subprotocol and extension negotiation,
   * the `authorize` hook, then the 101. `callback` receives the open connection; on refusal the socket
   * gets the HTTP error and is closed, and `callback` is not called.
   */
  handleUpgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: http.IncomingMessage) => void,
  ): void {
    this.runHandshake(request, socket, head, callback);
  }

  /**
   * Stops accepting, sends 1001 (Going Away) to every client and resolves once all are gone (each is
   * destroyed after `closeTimeout` at the latest). Closes the HTTP server only if we created it.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      if (this.httpServer !== undefined) detachFromHttpServer(this.httpServer, this);
      for (const socket of this.handshaking) socket.destroy();
      this.handshaking.clear();
      this.requestWatch?.destroyAll();
      const gone: Promise<void>[] = [];
      for (const client of this.clients) {
        if (client.state === 'closed') continue;
        gone.push(new Promise((resolve) => client.once('close', () => resolve())));
        client.close(1001, 'server shutting down');
      }
      const serverClosed =
        this.ownsServer && this.httpServer !== undefined && this.httpServer.listening
          ? new Promise<void>((resolve) => this.httpServer!.close(() => resolve()))
          : Promise.resolve();
      await Promise.all(gone);
      this.heartbeatGroup.stop();
      this.budget.stop();
      await serverClosed;
      this.emit('close');
    })();
    return this.closing;
  }

  /**
   * The handshake. Synchronous unless `authorize` returns a promise. WHY not one async function: an
   * async function defers the 101 and the connection setup by a microtask on every handshake and costs
   * promise machinery that showed up in handshake profiles; most hooks answer synchronously. WHY no
   * timer, no `handshaking` entry and no error guard on the synchronous path: nothing else can run
   * before it ends (the 101 is written or the refusal is sent), so they would be armed and removed
   * unobserved on every connection.
   */
  private runHandshake(request: http.IncomingMessage, socket: Duplex, head: Buffer, callback: HandshakeCallback): void {
    if (this.closing !== undefined) {
      rejectHandshake(socket, 503, 'The server is shutting down');
      return;
    }
    let result: AcceptedUpgrade | undefined;
    let verdict: AuthorizationResult | Promise<AuthorizationResult>;
    try {
      result = this.negotiate(request, socket);
      if (result === undefined) return;
      const authorize = this.options.authorize;
      verdict =
        authorize === undefined
          ? true
          : authorize(request, {
              origin: request.headers.origin,
              secure: (request.socket as Partial<{ encrypted: boolean }>).encrypted === true,
            });
    } catch (error) {
      if (result !== undefined) disposeExtensions(result.extensions);
      this.reportHandshakeError(socket, error);
      return;
    }
    if (isPromiseLike(verdict)) {
      this.awaitVerdict({ request, socket, head, callback, result, timer: undefined }, verdict);
    } else {
      this.completeHandshake(request, socket, head, callback, result, verdict);
    }
  }

  /** An asynchronous `authorize`: guard the socket, bound the wait by `handshakeTimeout`, then finish. */
  private awaitVerdict(pending: PendingHandshake, verdict: PromiseLike<AuthorizationResult>): void {
    const socket = pending.socket;
    // Until the connection owns the socket, a reset by the client must not become an uncaught error.
    socket.on('error', swallow);
    this.handshaking.add(socket);
    if (this.handshakeTimeout > 0) {
      pending.timer = setTimeout(destroySocket, this.handshakeTimeout, socket);
      pending.timer.unref();
    }
    const settle = (settled: AuthorizationResult | undefined, error: unknown, failed: boolean): void => {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      this.handshaking.delete(socket);
      socket.off('error', swallow);
      if (failed) {
        disposeExtensions(pending.result.extensions);
        this.reportHandshakeError(socket, error);
      } else {
        this.completeHandshake(pending.request, socket, pending.head, pending.callback, pending.result, settled);
      }
    };
    verdict.then(
      (settled) => settle(settled, undefined, false),
      (error: unknown) => settle(undefined, error, true),
    );
  }

  /** Method and header checks, then subprotocol and extension negotiation; answers refusals itself. */
  private negotiate(request: http.IncomingMessage, socket: Duplex): AcceptedUpgrade | undefined {
    if (request.method !== 'GET') {
      rejectHandshake(socket, 405, `Method ${request.method ?? ''} not allowed: a WebSocket handshake is a GET`, [['Allow', 'GET']]);
      return undefined;
    }
    let result: ReturnType<typeof upgrade>;
    // Saved and restored: a selectProtocol hook could (oddly) run another handshake inside this one.
    const outer = this.negotiating;
    this.negotiating = request;
    try {
      result = upgrade(request.headers, this.upgradeOptions);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      rejectHandshake(socket, error.status, error.message, error.headers);
      return undefined;
    } finally {
      this.negotiating = outer;
    }
    if (!result.ok) {
      // The codec checks Upgrade and Connection first, so a request that is no WebSocket upgrade at all
      // fails there; it gets our own wording. Asked only on failure: the codec already checked both.
      if (result.status === 400 && !isWebSocketUpgrade(request.headers)) {
        rejectHandshake(socket, 400, 'Not a WebSocket handshake: expected Upgrade: websocket and Connection: upgrade');
      } else {
        rejectHandshake(socket, result.status, result.reason, result.headers);
      }
      return undefined;
    }
    return result;
  }

  /** Applies the authorization verdict, then writes the 101 and opens the connection. */
  private completeHandshake(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: HandshakeCallback,
    result: AcceptedUpgrade,
    verdict: AuthorizationResult,
  ): void {
    let opened: WebSocketConnection | undefined;
    try {
      if (verdict === false) return rejectHandshake(socket, 401, 'Unauthorized');
      if (typeof verdict === 'object' && verdict !== null) {
        return rejectHandshake(socket, verdict.status, verdict.reason ?? http.STATUS_CODES[verdict.status] ?? 'Rejected', verdict.headers ?? []);
      }
      if (socket.destroyed || !socket.writable) return; // timed out or gone during authorize
      const headers = result.headers;
      if (this.listenerCount('headers') > 0) this.emit('headers', headers, request);
      // After the 'headers' listeners: one of them may have called close().
      if (this.closing !== undefined) return rejectHandshake(socket, 503, 'The server is shutting down');
      writeHttpResponse(socket, 101, headers);
      opened = new WebSocketConnection(socket, head, {
        role: 'server',
        protocol: result.protocol,
        extensions: result.extensions,
        extensionsHeader: extensionsHeaderOf(headers),
        maxMessageSize: this.options.maxMessageSize,
        maxBufferedAmount: this.options.maxBufferedAmount,
        sendHighWaterMark: this.options.sendHighWaterMark,
        messageTimeout: this.options.messageTimeout,
        maxFragments: this.options.maxFragments,
        budget: this.budget,
        closeTimeout: this.options.closeTimeout,
        autoPong: this.options.autoPong,
        fragmentSize: this.options.fragmentSize,
        heartbeatGroup: this.heartbeatGroup,
        clientSet: this.options.clientTracking === false ? undefined : this.clients,
      });
    } catch (error) {
      this.reportHandshakeError(socket, error);
    } finally {
      // Extensions no connection took (refused, timed out, or the connection could not be made).
      if (opened === undefined) disposeExtensions(result.extensions);
    }
    if (opened === undefined) return;
    try {
      callback(opened, request);
    } catch (error) {
      // The 101 is out: an application error must not turn into an HTTP response on a WebSocket
      // stream. Rethrown on its own tick, it behaves like a throwing event listener.
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private reportHandshakeError(socket: Duplex, error: unknown): void {
    if (!socket.destroyed) rejectHandshake(socket, 500, 'Internal Server Error');
    // Only when observed: a throwing hook must cost one handshake, not the process.
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

}

function swallow(): void {}

/**
 * `Sec-WebSocket-Accept` with Node's native SHA-1 (the codec's hook; same result as its own
 * computeAccept). WHY: the codec's TypeScript SHA-1 is interpreted, then compiled by TurboFan on a
 * background thread, in every freshly started server; profiles of the scale bench showed that compile
 * work as the main CPU difference to ws, which hashes natively.
 */
function nativeAccept(key: string): string {
  return createHash('sha1').update(key).update(WEBSOCKET_GUID).digest('base64');
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

function disposeExtensions(extensions: readonly Extension[]): void {
  for (const extension of extensions) extension.dispose();
}

/** The `Sec-WebSocket-Extensions` value among the 101's headers (a 'headers' listener may have added it). */
function extensionsHeaderOf(headers: readonly (readonly [string, string])[]): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    if (header[0].toLowerCase() === 'sec-websocket-extensions') return header[1];
  }
  return undefined;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

type HandshakeCallback = (connection: WebSocketConnection, request: http.IncomingMessage) => void;
type AcceptedUpgrade = Extract<ReturnType<typeof upgrade>, { ok: true }>;

/** A handshake waiting for an asynchronous `authorize` verdict. */
interface PendingHandshake {
  request: http.IncomingMessage;
  socket: Duplex;
  head: Buffer;
  callback: HandshakeCallback;
  timer: NodeJS.Timeout | undefined;
  /** Holds live extensions not yet handed to a connection (disposed if the handshake fails). */
  result: AcceptedUpgrade;
}
