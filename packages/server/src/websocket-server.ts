import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Extension, ServerExtensionNegotiator } from '@wsts/protocol';
import type { TopicBroker } from './broker.js';
import type { SendOptions, WebSocketData } from './connection-types.js';
import { debug, debugEnabled } from './debug.js';
import { checkLimits, DEFAULTS } from './defaults.js';
import { HandshakeRefusedError, type HandshakeRefusalKind } from './errors.js';
import { perMessageDeflateNegotiators, type PerMessageDeflateOptions } from './extensions-option.js';
import { type HeaderEntry, type HeaderList, headerPairsOf } from './http-response.js';
import { checkHttp2Option, type Http2Options, type Http2Settings } from './h2-options.js';
import {
  type AnyHttp2Server,
  attachToHttp2Server,
  detachFromHttp2Server,
  http2ServerSettings,
  isHttp2Server,
  prepareSession,
  type StreamRoute,
  takeSlot,
} from './h2-router.js';
import { http2Wire, rejectStream, requestOfStream, resetWhenEnded } from './h2-wire.js';
import { HeartbeatGroup } from './heartbeat.js';
import { defaultMemoryBudget, MemoryBudget, type MemoryReport } from './memory-budget.js';
import { Membership } from './membership.js';
import { answerPlainRequest } from './plain-http.js';
import { watchRequestHeads, type RequestWatch } from './request-watch.js';
import {
  ServerHandshake,
  type AuthorizationInfo,
  type AuthorizationResult,
  type AuthorizeHook,
  type HandshakeCallback,
  type HandshakeHost,
  type ServerHandshakeConfig,
} from './server-handshake.js';
import { attachToHttpServer, detachFromHttpServer, pathOf } from './upgrade-router.js';
import { checkCloseOptionNames, checkServerOptionNames } from './option-names.js';
import { publishedData } from './message-data.js';
import { checkTopic, type PublishReport, Topics } from './topics.js';
import { WebSocketConnection } from './websocket-connection.js';

/**
 * Options of a {@link WebSocketServer}. Exactly one of `port`, `server` or `noServer` is required.
 * `Data` is what `authorize` hands each connection (`connection.data`).
 */
export interface WebSocketServerOptions<Data = unknown> {
  /** Listen on this port (0 = any free port), with a server of our own. */
  port?: number;
  /** Host to listen on with `port`. Default: Node's default (all interfaces). */
  host?: string;
  /** With `port`: serve wss with these TLS options (key, cert...) instead of plain ws. */
  tls?: https.ServerOptions;
  /**
   * Attach to an existing `http.Server`/`https.Server`, or an HTTP/2 server from `node:http2` (which
   * turns `http2` on). Several WebSocketServers may share one by `path`.
   */
  server?: http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer;
  /**
   * WebSockets over HTTP/2 (RFC 8441): extended CONNECT streams, beside HTTP/1.1 upgrades. With `port`
   * and `tls`, our server speaks h2 and HTTP/1.1 on the same port (ALPN); with `port` alone, h2c
   * (HTTP/2 without TLS, prior knowledge only: no HTTP/1.1 on that port). `true` takes the defaults;
   * an object tunes them. See {@link Http2Options}.
   */
  http2?: boolean | Http2Options;
  /** Handle nothing by itself: call `handleUpgrade` from your own 'upgrade' listener. */
  noServer?: boolean;
  /** Only accept upgrades for this exact path (query ignored). Default: any path. */
  path?: string;
  /** Picks one of the client's subprotocols (in the client's order), or undefined for none. */
  selectProtocol?: (offered: readonly string[], request: http.IncomingMessage) => string | undefined;
  /**
   * Async gate run after the request is known to be a valid WebSocket handshake and before the 101:
   * check Origin, cookies, tokens. Return `{ data }` to accept and hand `data` (the user a token names,
   * say) to the connection as `connection.data`. See {@link AuthorizationResult}. Bounded by
   * `handshakeTimeout`: past it the client gets 503 and a late verdict is ignored.
   *
   * WHY `Data` is never inferred from this hook (NoInfer) but given, as in `new WebSocketServer<User>()`:
   * TypeScript widens a hook that returns `{ status }` or `{ data }` object literals to a union where
   * each has the other's properties as optional `undefined`, so an inferred `Data` would always include
   * `undefined`, and a hook returning `new Promise(...)` would infer nothing useful at all.
   */
  authorize?: NoInfer<
    (request: http.IncomingMessage, info: AuthorizationInfo) => AuthorizationResult<Data> | Promise<AuthorizationResult<Data>>
  >;
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
  /**
   * Bytes queued for a subscriber (its socket's buffer and what waits in its codec, with the per-write
   * cost, as for `sendHighWaterMark`) past which a published message is not queued for it: a slow
   * subscriber neither slows the others nor grows memory. Default 1 MiB. One message always goes to a
   * subscriber with nothing queued.
   */
  publishHighWaterMark?: number;
  /**
   * What a subscriber past `publishHighWaterMark` gets: `'skip'` (default) leaves the message out for it
   * (counted in the publish's report and its `skippedMessages`); `'close'` also closes it with 1013 (Try
   * Again Later) and a `ConnectionError('ERR_PUBLISH_OVERFLOW')`, for applications where a subscriber
   * that misses a message must start over.
   */
  publishOverflow?: 'skip' | 'close';
  /** Longest topic name (UTF-16 code units); a longer one is a RangeError. Default 1024. */
  maxTopicLength?: number;
  /**
   * Carries topics to other processes (`@wsts/redis`, or your own {@link TopicBroker}). The server owns
   * it: starts it here, tells it a topic's first and last local subscriber, hands it every local publish,
   * and closes it in `close()`.
   */
  broker?: TopicBroker;
}

/** Options of {@link WebSocketServer.close}. */
export interface CloseOptions {
  /**
   * Milliseconds to wait for clients to complete the closing handshake before their sockets are
   * destroyed; 0 destroys them right after the close frame is queued. Default (and upper bound, since
   * each connection's own timer still runs): `closeTimeout`.
   */
  timeout?: number;
}

/** What {@link WebSocketServer.close} did to the connections it found open. */
export interface CloseReport {
  /** Connections that completed the closing handshake (both close frames exchanged). */
  clean: number;
  /**
   * Connections that did not: their socket was destroyed once the timeout passed (or the client
   * dropped TCP without answering).
   */
  terminated: number;
}

/** Typed events of a {@link WebSocketServer}. */
export interface WebSocketServerEvents<Data = unknown> {
  /** A client completed the handshake (not emitted for `handleUpgrade` calls: the callback gets it). */
  connection: [connection: WebSocketConnection<Data>, request: http.IncomingMessage];
  /**
   * The 101 response headers are about to be written; push to `headers` to add some, as
   * `[name, value]` pairs or `'Name: value'` lines. An invalid one (a name that is not a token, a value
   * with CR, LF or another control character) refuses that handshake with 500 and an 'error'.
   */
  headers: [headers: HeaderEntry[], request: http.IncomingMessage];
  /**
   * A handshake was refused: its status, reason, kind and request are on the error. Emitted for every
   * refusal (method, headers, version, unserved path, `authorize`, timeout, closing, a failing hook),
   * never for an accepted handshake. Only a report: the response is already on its way, and without a
   * listener nothing happens. (`ws` calls a close relative of it 'wsClientError'.)
   */
  handshakeRefused: [error: HandshakeRefusedError];
  /** Our own server is listening. */
  listening: [];
  /**
   * A server-level error: a listen failure (thrown if nobody listens, like any EventEmitter), or a
   * failing hook (a throwing `authorize`, an invalid header from a 'headers' listener; only emitted when
   * a listener exists; the client gets 500 either way).
   */
  error: [error: Error];
  /** `close()` finished: no client left. */
  close: [report: CloseReport];
}

/**
 * A WebSocket server. Accepts upgrades on its own port, on an existing HTTP(S) server, or from your
 * code through {@link WebSocketServer.handleUpgrade}; hands out one {@link WebSocketConnection} per client.
 */
export class WebSocketServer<Data = unknown> extends EventEmitter<WebSocketServerEvents<Data>> {
  /** Connected clients (when `clientTracking` is on). */
  readonly clients = new Set<WebSocketConnection<Data>>();
  /** The HTTP(S) server accepting upgrades, or undefined with `noServer` or an HTTP/2 server. */
  readonly httpServer: http.Server | https.Server | undefined;
  /** The HTTP/2 server accepting extended CONNECTs (and, over TLS, HTTP/1.1 upgrades), if any. */
  readonly http2Server: http2.Http2Server | http2.Http2SecureServer | undefined;
  /** The path filter, if any. */
  readonly path: string | undefined;

  private readonly options: WebSocketServerOptions<Data>;
  private readonly heartbeatGroup: HeartbeatGroup;
  private readonly budget: MemoryBudget;
  /** What every connection this server opens belongs to: `clients`, the heartbeat, the memory budget. */
  private readonly membership: Membership;
  private readonly ownsServer: boolean;
  private closing: Promise<CloseReport> | undefined;
  /** Destroys what is left of the clients `close()` is waiting for, when its timeout passes. */
  private closeDeadline: { at: number; timer: NodeJS.Timeout } | undefined;
  /** The opening handshake, for every upgrade this server is handed. */
  private readonly handshake: ServerHandshake;
  /** Own-server sockets whose first request head has not arrived yet, dropped after `handshakeTimeout`. */
  private readonly requestWatch: RequestWatch | undefined;
  /** Who subscribes to what, the fan-out of publishes, and the broker. */
  private readonly topicRegistry: Topics;
  /** HTTP/2: the knobs, the extended CONNECT's handshake, and how the router reaches us. */
  private readonly h2: { settings: Http2Settings; handshake: ServerHandshake; route: StreamRoute } | undefined;
  /** HTTP/2 sessions of our own server, closed once our WebSockets are gone. */
  private readonly h2Sessions = new Set<http2.ServerHttp2Session>();
  /** The TCP connections of our own HTTP/2 server, destroyed when `close()` gives up waiting. */
  private readonly h2Sockets = new Set<Socket>();

  constructor(options: WebSocketServerOptions<Data>) {
    super();
    checkServerOptionNames(options);
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError('WebSocketServer needs exactly one of the options port, server or noServer');
    }
    checkLimits(options);
    const publishOverflow = options.publishOverflow ?? DEFAULTS.publishOverflow;
    if (publishOverflow !== 'skip' && publishOverflow !== 'close') {
      throw new TypeError(`publishOverflow must be 'skip' or 'close', got ${String(publishOverflow)}`);
    }
    checkBroker(options.broker);
    this.options = options;
    this.path = options.path;
    const handshakeTimeout = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
    // With client tracking the group pings the members of `clients`: one set of the connections, not two.
    this.heartbeatGroup = new HeartbeatGroup(
      options.heartbeatInterval ?? DEFAULTS.heartbeatInterval,
      options.clientTracking === false ? undefined : this.clients,
    );
    this.budget = new MemoryBudget(options.memoryBudget ?? defaultMemoryBudget());
    this.topicRegistry = new Topics({
      publishHighWaterMark: options.publishHighWaterMark ?? DEFAULTS.publishHighWaterMark,
      closeSlowSubscribers: publishOverflow === 'close',
      maxTopicLength: options.maxTopicLength ?? DEFAULTS.maxTopicLength,
      fragmentSize: options.fragmentSize,
      broker: options.broker,
      reportError: (error) => {
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
    });
    this.membership = new Membership(
      options.clientTracking === false ? undefined : this.clients,
      this.heartbeatGroup,
      this.budget,
      false,
      this.topicRegistry,
    );
    const handshakeConfig: ServerHandshakeConfig = {
      negotiators: [...perMessageDeflateNegotiators(options.perMessageDeflate), ...(options.extensions ?? [])],
      selectProtocol: options.selectProtocol,
      // The handshake hands `data` through as unknown; it comes back typed on the connection.
      authorize: options.authorize as AuthorizeHook | undefined,
      timeout: handshakeTimeout,
    };
    const host: HandshakeHost = {
      isClosing: () => this.closing !== undefined,
      emitHeaders: (headers, request) => {
        // Checked only when someone could have added to them: the codec's own are valid.
        if (this.listenerCount('headers') === 0) return headers as HeaderList;
        this.emit('headers', headers, request);
        return headerPairsOf(headers);
      },
      open: (socket, head, protocol, extensions, extensionsHeader, data) =>
        this.open(socket, head, protocol, extensions, extensionsHeader, data),
      reportError: (error) => {
        // Only when observed: a throwing hook must cost one handshake, not the process.
        if (this.listenerCount('error') > 0) this.emit('error', error);
      },
      refused: (kind, status, reason, request, cause) => this.reportRefusal(kind, status, reason, request, cause),
    };
    this.handshake = new ServerHandshake(handshakeConfig, host);

    const h2Settings = checkHttp2Option(
      options.http2 ?? (options.server !== undefined && isHttp2Server(options.server) ? true : undefined),
    );
    this.h2 =
      h2Settings === undefined
        ? undefined
        : {
            settings: h2Settings,
            handshake: new ServerHandshake({ ...handshakeConfig, wire: http2Wire }, host),
            route: {
              path: this.path,
              serveStream: (stream, headers) => this.handleStream(stream, headers),
              unservedStream: (stream, headers, status, reason) =>
                this.reportRefusal('path', status, reason, requestOfStream(stream, headers)),
            },
          };

    if (options.port !== undefined && this.h2 !== undefined) {
      this.httpServer = undefined;
      this.http2Server = this.listenHttp2(options, this.h2.settings, handshakeTimeout);
      this.ownsServer = true;
    } else if (options.port !== undefined) {
      const server = options.tls !== undefined ? https.createServer({ handshakeTimeout, ...options.tls }) : http.createServer();
      this.httpServer = server;
      this.http2Server = undefined;
      this.ownsServer = true;
      // Drop clients that trickle their request: the watch runs from TCP (or TLS) accept until the
      // request head is complete, where the handshake timer takes over.
      this.requestWatch =
        handshakeTimeout > 0 ? watchRequestHeads(server, options.tls !== undefined, handshakeTimeout) : undefined;
      server.on('request', answerPlainRequest);
      server.on('error', (error) => this.emit('error', error));
      attachToHttpServer(server, this, this.onUnserved);
      server.listen(options.port, options.host, () => this.emit('listening'));
    } else if (options.server !== undefined && isHttp2Server(options.server)) {
      this.httpServer = undefined;
      this.http2Server = options.server;
      this.ownsServer = false;
      if (this.h2 === undefined) throw new TypeError('http2: false cannot serve an HTTP/2 server');
      attachToHttp2Server(options.server, this.h2.route, this.h2.settings);
      // HTTP/1.1 upgrades reach an HTTP/2 server created with allowHTTP1 through the same 'upgrade' event.
      attachToHttpServer(options.server as unknown as http.Server, this, this.onUnserved);
    } else if (options.server !== undefined) {
      if (this.h2 !== undefined) throw new TypeError('http2 needs an HTTP/2 server (node:http2) as server, or port');
      this.httpServer = options.server;
      this.http2Server = undefined;
      this.ownsServer = false;
      attachToHttpServer(options.server, this, this.onUnserved);
    } else {
      this.httpServer = undefined;
      this.http2Server = undefined;
      this.ownsServer = false;
    }
  }

  /**
   * Our own HTTP/2 server: over TLS with HTTP/1.1 on the same port (ALPN picks; upgrades keep
   * working), without TLS h2c with prior knowledge (Node's h2c server speaks nothing else).
   */
  private listenHttp2(
    options: WebSocketServerOptions<Data>,
    settings: Http2Settings,
    handshakeTimeout: number,
  ): http2.Http2Server | http2.Http2SecureServer {
    const server: AnyHttp2Server =
      options.tls !== undefined
        ? http2.createSecureServer({
            handshakeTimeout,
            ...(options.tls as http2.SecureServerOptions),
            allowHTTP1: true,
            settings: http2ServerSettings(settings),
          })
        : http2.createServer({ settings: http2ServerSettings(settings) });
    // Also what makes Node emit 'connect' for CONNECT streams (its compatibility layer).
    server.on('request', answerPlainRequest as (request: unknown, response: unknown) => void);
    server.on('error', (error) => this.emit('error', error));
    server.on('session', (session) => {
      this.h2Sessions.add(session);
      session.once('close', () => this.h2Sessions.delete(session));
    });
    server.on('connection', (socket: Socket) => {
      this.h2Sockets.add(socket);
      socket.once('close', () => this.h2Sockets.delete(socket));
    });
    attachToHttp2Server(server, this.h2!.route, settings);
    if (options.tls !== undefined) attachToHttpServer(server as unknown as http.Server, this, this.onUnserved);
    server.listen(options.port, options.host, () => this.emit('listening'));
    return server;
  }

  /** The port the underlying server listens on (the real one when you asked for 0), or undefined. */
  get port(): number | undefined {
    const address = (this.httpServer ?? this.http2Server)?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** The listening address of the underlying server (null before it listens). */
  address(): AddressInfo | string | null {
    return (this.httpServer ?? this.http2Server)?.address() ?? null;
  }

  /**
   * What the server's connections hold in memory right now, against `memoryBudget`: for dashboards and
   * alerts. `used` is the last count (exact when the budget is under pressure, otherwise updated as
   * connections report after their reads and flushes).
   */
  get memory(): MemoryReport {
    return this.budget.snapshot();
  }

  /**
   * Sends one message to every subscriber of `topic` (see `connection.subscribe`), and through the
   * `broker`, if any, to the subscribers of other processes. The message is framed once, and compressed
   * once per compression setting, whatever the number of subscribers: each costs a socket write. Takes
   * what `send` takes (a string as text, bytes as binary unless `binary` says otherwise); the bytes are
   * copied once, so yours are free to change afterwards. Throws TypeError for data or an option `send`
   * would refuse, RangeError for a topic over `maxTopicLength`. Returns at once how many subscribers got
   * the message and how many were skipped (or closed) for being too slow (`publishHighWaterMark`).
   */
  publish(topic: string, data: WebSocketData, options?: SendOptions): PublishReport {
    const topics = this.topicRegistry;
    checkTopic(topic, topics.maxTopicLength);
    const { payload, binary } = publishedData(data, options);
    return topics.publish(topic, payload, binary, undefined);
  }

  /** Connections of this server subscribed to `topic` (other processes' are not counted). */
  subscriberCount(topic: string): number {
    checkTopic(topic, this.topicRegistry.maxTopicLength);
    return this.topicRegistry.count(topic);
  }

  /** The topics with at least one subscriber among this server's connections, as a new array. */
  get topics(): string[] {
    return this.topicRegistry.names();
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
    callback: (connection: WebSocketConnection<Data>, request: http.IncomingMessage) => void,
  ): void {
    // The handshake opens connections through `open` below, which makes them WebSocketConnection<Data>.
    this.handshake.run(request, socket, head, callback as HandshakeCallback);
  }

  /**
   * Runs the whole HTTP/2 handshake (RFC 8441) on an extended CONNECT stream, as `handleUpgrade` does
   * for an HTTP/1.1 upgrade: for an HTTP/2 server used through `node:http2`'s core API (a `'stream'`
   * listener and no `'request'` one), or with `noServer`. Needs the `http2` option. Hand it the stream
   * and its headers as the `'stream'` event gives them. Past `http2.maxWebSocketsPerSession` on the
   * stream's connection it answers 503; refusals go on the stream only, the connection's other streams
   * are untouched. `callback` receives the open connection; without one, 'connection' is emitted.
   */
  handleStream(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    callback?: (connection: WebSocketConnection<Data>, request: http.IncomingMessage) => void,
  ): void {
    const h2 = this.h2;
    if (h2 === undefined) throw new TypeError('handleStream needs the http2 option');
    const request = requestOfStream(stream, headers);
    if (stream.session !== undefined) prepareSession(stream.session, h2.settings);
    if (!takeSlot(stream, h2.settings.maxWebSocketsPerSession)) {
      const reason = `Too many WebSockets on this HTTP/2 connection (at most ${h2.settings.maxWebSocketsPerSession})`;
      rejectStream(stream, 503, reason);
      this.reportRefusal('capacity', 503, reason, request);
      return;
    }
    resetWhenEnded(stream);
    h2.handshake.run(request, stream, EMPTY, (callback ?? this.onStreamConnection) as HandshakeCallback);
  }

  private readonly onStreamConnection = (connection: WebSocketConnection<Data>, request: http.IncomingMessage): void => {
    this.emit('connection', connection, request);
  };

  /**
   * Stops accepting, sends 1001 (Going Away) to every client and resolves once all are gone, with how
   * many completed the closing handshake and how many were terminated. A client that does not answer
   * is destroyed after `options.timeout` (default `closeTimeout`). Handshakes still waiting for
   * `authorize` get 503. Closes the HTTP server only if we created it.
   *
   * Calling it again returns the same promise; a `timeout` given then shortens the wait (a second
   * SIGTERM can cut a graceful shutdown short with `close({ timeout: 0 })`).
   */
  close(options?: CloseOptions): Promise<CloseReport> {
    const timeout = checkCloseOptions(options);
    if (this.closing !== undefined) {
      if (timeout !== undefined) this.terminateAfter(timeout);
      return this.closing;
    }
    // The work starts a microtask later, once `closing` is set: a listener it triggers (a refusal
    // report, a 'close' of a connection) that calls close() again must get this same promise.
    this.closing = Promise.resolve().then(() => this.shutDown(timeout));
    return this.closing;
  }

  /** The body of {@link close}, run once. */
  private async shutDown(timeout: number | undefined): Promise<CloseReport> {
    if (this.httpServer !== undefined) detachFromHttpServer(this.httpServer, this);
    this.topicRegistry.shutDown();
    if (this.http2Server !== undefined) {
      detachFromHttp2Server(this.http2Server, this.h2!.route);
      detachFromHttpServer(this.http2Server as unknown as http.Server, this);
    }
    this.handshake.dropPending();
    this.h2?.handshake.dropPending();
    this.requestWatch?.destroyAll();
    const report: CloseReport = { clean: 0, terminated: 0 };
    const gone: Promise<void>[] = [];
    for (const client of this.clients) {
      if (client.state === 'closed') continue;
      gone.push(
        new Promise((resolve) =>
          client.once('close', (_code, _reason, wasClean) => {
            if (wasClean) report.clean++;
            else report.terminated++;
            resolve();
          }),
        ),
      );
      if (client.state === 'open') client.close(1001, 'server shutting down');
    }
    if (debugEnabled) debug(`server closing: ${gone.length} connection(s) sent 1001`);
    if (timeout !== undefined) this.terminateAfter(timeout);
    const own = this.httpServer ?? this.http2Server;
    const serverClosed =
      this.ownsServer && own?.listening ? new Promise<void>((resolve) => own.close(() => resolve())) : Promise.resolve();
    await Promise.all(gone);
    // Our HTTP/2 server closes once its sessions have: each gets a GOAWAY and ends after its streams;
    // one a client keeps open is destroyed after the same timeout as the WebSockets.
    // WHY the raw sockets: a session closed gracefully waits for its peer to close the connection, and
    // Node refuses to destroy a session's socket through the session.
    const sessionTimeout = timeout ?? this.options.closeTimeout ?? DEFAULTS.closeTimeout;
    for (const session of this.h2Sessions) session.close();
    if (this.h2Sockets.size > 0) {
      const timer = setTimeout(() => {
        for (const socket of this.h2Sockets) socket.destroy();
      }, sessionTimeout);
      timer.unref();
    }
    if (this.closeDeadline !== undefined) clearTimeout(this.closeDeadline.timer);
    this.heartbeatGroup.stop();
    this.budget.stop();
    // After the clients: their leaving has told the broker of every topic's last local subscriber.
    await this.topicRegistry.close();
    await serverClosed;
    if (debugEnabled) {
      debug(`server closed: ${report.clean} connection(s) closed cleanly, ${report.terminated} terminated`);
    }
    this.emit('close', report);
    return report;
  }

  /** Destroys every client still open or closing `ms` from now, unless an earlier deadline is set. */
  private terminateAfter(ms: number): void {
    const at = Date.now() + ms;
    if (this.closeDeadline !== undefined && this.closeDeadline.at <= at) return;
    if (this.closeDeadline !== undefined) clearTimeout(this.closeDeadline.timer);
    const terminate = (): void => {
      for (const client of this.clients) client.terminate();
    };
    // Unref'd: while clients are left their sockets keep the process alive, and once close() is done
    // (a late close({ timeout }) call) the timer must not.
    const timer = setTimeout(terminate, ms);
    timer.unref();
    this.closeDeadline = { at, timer };
  }

  /**
   * Reports a refused handshake on 'handshakeRefused', if anyone listens (the error, with its stack,
   * is only built then: a flood of bad requests costs no allocation for nobody).
   */
  private reportRefusal(
    kind: HandshakeRefusalKind,
    status: number,
    reason: string,
    request: http.IncomingMessage,
    cause?: Error,
  ): void {
    if (this.listenerCount('handshakeRefused') === 0) return;
    const error = new HandshakeRefusedError(kind, status, reason, request, cause);
    try {
      this.emit('handshakeRefused', error);
    } catch (thrown) {
      // The refusal is already written: a throwing listener must not turn it into a second response.
      // Rethrown on its own tick, it behaves like any throwing event listener.
      process.nextTick(() => {
        throw thrown;
      });
    }
  }

  /** The router answered 404 to an upgrade no attached server serves: each attached server hears of it. */
  private readonly onUnserved = (request: http.IncomingMessage, status: number, reason: string): void =>
    this.reportRefusal('path', status, reason, request);

  /** Opens the connection for a completed handshake, with the server's limits, clients set, heartbeat and budget. */
  private open(
    socket: Duplex,
    head: Buffer,
    protocol: string | undefined,
    extensions: Extension[],
    extensionsHeader: string | undefined,
    data: unknown,
  ): WebSocketConnection<Data> {
    const connection = new WebSocketConnection<Data>(
      socket,
      head,
      {
        role: 'server',
        protocol,
        extensions,
        extensionsHeader,
        maxMessageSize: this.options.maxMessageSize,
        maxBufferedAmount: this.options.maxBufferedAmount,
        sendHighWaterMark: this.options.sendHighWaterMark,
        messageTimeout: this.options.messageTimeout,
        maxFragments: this.options.maxFragments,
        closeTimeout: this.options.closeTimeout,
        autoPong: this.options.autoPong,
        fragmentSize: this.options.fragmentSize,
      },
      this.membership,
    );
    // Set before anyone sees the connection: the callback and 'connection' run after this returns.
    connection.data = data as Data;
    return connection;
  }
}

/** A broker must have the contract's five methods (checked up front, not at its first use). */
function checkBroker(broker: TopicBroker | undefined): void {
  if (broker === undefined) return;
  for (const method of ['start', 'subscribe', 'unsubscribe', 'publish', 'close'] as const) {
    if (typeof (broker as Partial<TopicBroker> | null)?.[method] !== 'function') {
      throw new TypeError(`broker must implement TopicBroker: ${method}() is missing`);
    }
  }
}

/** The `head` of an HTTP/2 WebSocket: a stream has no bytes read ahead of the handshake. */
const EMPTY = Buffer.alloc(0);

/** The `timeout` of `close(options)`, checked; undefined when not given. */
function checkCloseOptions(options: CloseOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new TypeError('close() options must be an object');
  checkCloseOptionNames(options);
  const timeout = options.timeout;
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new RangeError(`close(): timeout must be a finite number of milliseconds >= 0, got ${String(timeout)}`);
  }
  return timeout;
}
