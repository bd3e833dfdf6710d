/**
 * ws's `WebSocketServer`: its options, events ('connection', 'headers', 'listening', 'error',
 * 'wsClientError', 'close'), `handleUpgrade`, `completeUpgrade`, `shouldHandle`, `address()` and
 * `close()`, with ws's refusals (status and body). The 101 itself, subprotocol selection and extension
 * negotiation are the codec's `upgrade()`; each accepted socket becomes a ws-shaped {@link WebSocket}
 * over our `WebSocketConnection`.
 * @module
 */
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { disposeExtensions, type Extension, isToken, parseExtensionHeader, upgrade } from '@wsts/protocol';
import { PerMessageDeflateServer } from '@wsts/server';
import { EMPTY_BUFFER } from './constants.js';
import { deflateOptions, type WsPerMessageDeflateOptions } from './deflate-options.js';
import { connectionLimits, type ConnectionLimitOptions } from './limits.js';
import { type AnyListener, kAttach, kHandshake, WebSocket } from './websocket.js';

/**
 * What `verifyClient` is given. `origin` is the `Origin` header (`Sec-WebSocket-Origin` for version 8),
 * undefined when the client sent none (non-browser clients usually do not); `@types/ws` types it `string`.
 */
export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: http.IncomingMessage;
}

/** The asynchronous `verifyClient`'s answer: accept, or refuse with a status, a body and headers. */
export type VerifyClientCallback = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: http.OutgoingHttpHeaders,
) => void;

/**
 * The two forms of `verifyClient`, declared as methods on purpose: parameters of method signatures are
 * compared both ways, so a callback annotated as `@types/ws` users annotate it (`origin: string`) is
 * accepted, while an unannotated one sees the honest `string | undefined`.
 */
export interface VerifyClientForms<Request extends http.IncomingMessage = http.IncomingMessage> {
  /** Synchronous: true accepts, false refuses with 401. */
  sync(info: VerifyClientInfo & { req: Request }): boolean;
  /** Asynchronous: answer through `callback`, with a status, a body and headers to refuse. */
  async(info: VerifyClientInfo & { req: Request }, callback: VerifyClientCallback): void;
}

/**
 * ws's server options. `T` is the WebSocket class connections are made of (the `WebSocket` option),
 * `U` the request class of the HTTP server, as in `@types/ws`.
 */
export interface ServerOptions<
  T extends typeof WebSocket = typeof WebSocket,
  U extends typeof http.IncomingMessage = typeof http.IncomingMessage,
> extends ConnectionLimitOptions {
  /** Listen on this port (an own HTTP server). */
  port?: number;
  /** The host the own HTTP server listens on. */
  host?: string;
  /** The own HTTP server's listen backlog. */
  backlog?: number;
  /** Attach to this HTTP(S) server. */
  server?: http.Server<U> | https.Server<U>;
  /** No HTTP server: call `handleUpgrade` yourself. */
  noServer?: boolean;
  /** Accept only this path (the query string aside). */
  path?: string;
  /** Accept or refuse each client: return a boolean, or take `(info, callback)` and answer later. */
  verifyClient?: VerifyClientForms<InstanceType<U>>['async'] | VerifyClientForms<InstanceType<U>>['sync'];
  /** Pick one of the offered subprotocols (a Set, in the client's order), or false for none. */
  handleProtocols?: (protocols: Set<string>, request: InstanceType<U>) => string | false;
  /** Keep the set of open clients in `clients` (default true). */
  clientTracking?: boolean;
  /** permessage-deflate: off by default (as in ws); true or options turn it on. */
  perMessageDeflate?: boolean | WsPerMessageDeflateOptions;
  /** The class of the WebSocket objects created (a subclass of ours). */
  WebSocket?: T;
}

/** The events of a {@link WebSocketServer} and their listeners' arguments. */
export interface WebSocketServerEvents<T extends typeof WebSocket, U extends typeof http.IncomingMessage> {
  /** A client connected: its WebSocket (open) and the upgrade request. */
  connection: [websocket: InstanceType<T>, request: InstanceType<U>];
  /** The HTTP server's error (e.g. EADDRINUSE). */
  error: [error: Error];
  /** The 101's lines, before they are written: push `'Name: value'` strings to add headers. */
  headers: [headers: string[], request: InstanceType<U>];
  /** The server closed and its last tracked client is gone. */
  close: [];
  /** The HTTP server listens. */
  listening: [];
  /** A handshake was refused; with a listener the response is yours to write on `socket`. */
  wsClientError: [error: Error, socket: Duplex, request: InstanceType<U>];
}

/** A listener of a server event, `this` being the server (as in `@types/ws`). */
type ServerListener<
  T extends typeof WebSocket,
  U extends typeof http.IncomingMessage,
  E extends keyof WebSocketServerEvents<T, U>,
> = (this: WebSocketServer<T, U>, ...args: WebSocketServerEvents<T, U>[E]) => void;

/**
 * The typed listener methods of {@link WebSocketServer} (EventEmitter's at run time; see websocket.ts's
 * WebSocket interface for the catch-all's `any`).
 */
export interface WebSocketServer<T extends typeof WebSocket, U extends typeof http.IncomingMessage> {
  on<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  on(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
  once<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  once(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
  off<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  off(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
  addListener<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  addListener(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
  removeListener<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  removeListener(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
  prependListener<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  prependListener(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
  prependOnceListener<E extends keyof WebSocketServerEvents<T, U>>(event: E, listener: ServerListener<T, U, E>): this;
  prependOnceListener(event: string | symbol, listener: AnyListener<WebSocketServer<T, U>>): this;
}

const KNOWN_OPTIONS = new Set([
  'port',
  'host',
  'backlog',
  'server',
  'noServer',
  'path',
  'verifyClient',
  'handleProtocols',
  'clientTracking',
  'perMessageDeflate',
  'WebSocket',
  'maxPayload',
  'maxFragments',
  'autoPong',
  'closeTimeout',
  'allowSynchronousEvents',
  'maxBufferedChunks',
  'skipUTF8Validation',
  'maxBufferedAmount',
  'messageTimeout',
  'sendHighWaterMark',
  'heartbeatInterval',
]);

/** ws's check of `Sec-WebSocket-Key`: base64 of 16 bytes. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/**
 * Marks a socket a WebSocket was made of: a second `handleUpgrade` on one is a bug worth an exception.
 * WHY a property rather than a WeakSet: an entry in a weak set costs every idle connection a slot of an
 * ephemeron table, more than a property of the socket it lives as long as.
 */
const kUpgraded = Symbol('wsts-ws.upgraded');
type MarkedSocket = Duplex & { [kUpgraded]?: true };

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Writes ws's refusal: the status, `Connection: close`, the body, then closes the socket. */
function abortHandshake(socket: Duplex, code: number, message?: string, headers?: http.OutgoingHttpHeaders): void {
  const body = message || http.STATUS_CODES[code] || '';
  const all: http.OutgoingHttpHeaders = {
    Connection: 'close',
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  };
  let head = `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\n`;
  for (const [name, value] of Object.entries(all)) {
    const text = String(value);
    // Headers may come from verifyClient: never let one smuggle a line into the response.
    if (!isToken(name) || /[\r\n\0]/.test(text)) continue;
    head += `${name}: ${text}\r\n`;
  }
  socket.once('finish', destroySocket);
  socket.end(`${head}\r\n${body}`);
}

/** ws's parse of `Sec-WebSocket-Protocol`: tokens separated by commas, no duplicates. */
function parseProtocols(header: string): Set<string> | undefined {
  const protocols = new Set<string>();
  for (const part of header.split(',')) {
    const protocol = part.trim();
    if (!isToken(protocol) || protocols.has(protocol)) return undefined;
    protocols.add(protocol);
  }
  return protocols;
}

/** Whether a `Sec-WebSocket-Extensions` request header offers permessage-deflate. */
function offersDeflate(header: string | undefined): boolean {
  if (header === undefined) return false;
  try {
    return parseExtensionHeader(header).some((offer) => offer.name.toLowerCase() === 'permessage-deflate');
  } catch {
    return false;
  }
}

/**
 * ws's `WebSocketServer`. `T` is the class of its WebSockets (the `WebSocket` option), `U` the request
 * class of its HTTP server; both default to the usual ones and are inferred from the options.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface only types the EventEmitter methods the class inherits.
export class WebSocketServer<
  T extends typeof WebSocket = typeof WebSocket,
  U extends typeof http.IncomingMessage = typeof http.IncomingMessage,
> extends EventEmitter {
  /** The options given (with ws's defaults filled in). */
  readonly options: ServerOptions<T, U>;
  /**
   * The open clients. Typed as a Set as `@types/ws` types it (`wss.clients.forEach(...)` compiles), but
   * undefined with `clientTracking: false`, as in ws.
   */
  readonly clients: Set<InstanceType<T>>;

  #server: http.Server | https.Server | undefined;
  #removeListeners: (() => void) | undefined;
  #state = RUNNING;
  #emitCloseWhenEmpty = false;
  readonly #deflate: ReturnType<typeof deflateOptions>;
  readonly #limits: ReturnType<typeof connectionLimits>;

  constructor(options: ServerOptions<T, U>, callback?: () => void) {
    super();
    options = { clientTracking: true, perMessageDeflate: false, ...options };
    const hasPort = options.port !== undefined && options.port !== null;
    if (
      (!hasPort && !options.server && !options.noServer) ||
      (hasPort && (options.server || options.noServer)) ||
      (options.server && options.noServer)
    ) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    for (const name of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`unknown WebSocketServer option ${JSON.stringify(name)}`);
    }
    this.#limits = connectionLimits(options, 'server');
    this.#deflate = deflateOptions(options.perMessageDeflate);
    if (options.perMessageDeflate === true) options.perMessageDeflate = {};
    this.options = options;
    this.clients = (options.clientTracking ? new Set() : undefined) as Set<InstanceType<T>>;

    if (hasPort) {
      const server = http.createServer((_request, response) => {
        const body = http.STATUS_CODES[426]!;
        response.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        response.end(body);
      });
      server.listen(options.port, options.host, options.backlog, callback);
      this.#server = server;
    } else if (options.server) {
      this.#server = options.server;
    }

    const server = this.#server;
    if (server !== undefined) {
      const onListening = (): void => void this.emit('listening');
      const onError = (error: Error): void => void this.emit('error', error);
      const onUpgrade = (request: InstanceType<U>, socket: Duplex, head: Buffer): void => {
        this.handleUpgrade(request, socket, head, (ws) => this.emit('connection', ws, request));
      };
      server.on('listening', onListening);
      server.on('error', onError);
      server.on('upgrade', onUpgrade);
      this.#removeListeners = () => {
        server.removeListener('listening', onListening);
        server.removeListener('error', onError);
        server.removeListener('upgrade', onUpgrade);
      };
    }
  }

  /**
   * Where the HTTP server listens: an AddressInfo, a pipe's path, or null before it listens and once
   * closed (as ws and `@types/ws` say). Throws in `noServer` mode.
   */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    if (this.#server === undefined) return null;
    return this.#server.address();
  }

  /**
   * Stops accepting connections; closes the HTTP server if it is our own. Open clients are not closed
   * (as in ws): 'close' is emitted once they are all gone. `callback` is called then.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#state === CLOSED) {
      if (callback !== undefined) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(() => this.#emitClose());
      return;
    }
    if (callback !== undefined) this.once('close', callback);
    if (this.#state === CLOSING) return;
    this.#state = CLOSING;
    const own = !this.options.noServer && !this.options.server;
    const server = this.#server;
    this.#removeListeners?.();
    this.#removeListeners = undefined;
    this.#server = undefined;
    if (own && server !== undefined) {
      server.close(() => this.#emitClose());
      return;
    }
    const clients = this.clients as Set<InstanceType<T>> | undefined;
    if (clients !== undefined && clients.size > 0) this.#emitCloseWhenEmpty = true;
    else process.nextTick(() => this.#emitClose());
  }

  #emitClose(): void {
    this.#state = CLOSED;
    this.emit('close');
  }

  /** Whether `request` is for this server (its `path`, if any). */
  shouldHandle(request: InstanceType<U>): boolean {
    const path = this.options.path;
    if (!path) return true;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === path;
  }

  /**
   * The opening handshake on a socket from an 'upgrade' event: ws's checks and `verifyClient`, then
   * {@link completeUpgrade}. `callback(ws, request)` gets the open WebSocket.
   */
  handleUpgrade(
    request: InstanceType<U>,
    socket: Duplex,
    head: Buffer,
    callback: (client: InstanceType<T>, request: InstanceType<U>) => void,
  ): void {
    socket.on('error', destroySocket);
    const headers = request.headers;
    const key = headers['sec-websocket-key'];
    const upgradeHeader = headers.upgrade;
    const version = Number(headers['sec-websocket-version']);

    if (request.method !== 'GET') {
      this.#refuse(request, socket, 405, 'Invalid HTTP method');
      return;
    }
    if (upgradeHeader === undefined || upgradeHeader.toLowerCase() !== 'websocket') {
      this.#refuse(request, socket, 400, 'Invalid Upgrade header');
      return;
    }
    if (key === undefined || !KEY.test(key)) {
      this.#refuse(request, socket, 400, 'Missing or invalid Sec-WebSocket-Key header');
      return;
    }
    // RFC 6455 is version 13; like ws we also take 8, the last draft, whose framing is the same.
    if (version !== 13 && version !== 8) {
      this.#refuse(request, socket, 400, 'Missing or invalid Sec-WebSocket-Version header', {
        'Sec-WebSocket-Version': '13, 8',
      });
      return;
    }
    if (!this.shouldHandle(request)) {
      abortHandshake(socket, 400);
      return;
    }

    let protocols = new Set<string>();
    const protocolHeader = headers['sec-websocket-protocol'];
    if (protocolHeader !== undefined) {
      const parsed = parseProtocols(protocolHeader);
      if (parsed === undefined) {
        this.#refuse(request, socket, 400, 'Invalid Sec-WebSocket-Protocol header');
        return;
      }
      protocols = parsed;
    }

    const extensionHeader = headers['sec-websocket-extensions'];
    if (this.#deflate !== undefined && extensionHeader !== undefined) {
      try {
        parseExtensionHeader(extensionHeader);
      } catch {
        this.#refuse(request, socket, 400, 'Invalid or unacceptable Sec-WebSocket-Extensions header');
        return;
      }
    }

    const verifyClient = this.options.verifyClient;
    if (verifyClient !== undefined) {
      const info: VerifyClientInfo & { req: InstanceType<U> } = {
        origin: version === 8 ? (headers['sec-websocket-origin'] as string | undefined) : headers.origin,
        secure: Boolean(
          (request.socket as { authorized?: boolean }).authorized || (request.socket as { encrypted?: boolean }).encrypted,
        ),
        req: request,
      };
      if (verifyClient.length === 2) {
        verifyClient(info, (verified, code, message, extra) => {
          if (!verified) {
            abortHandshake(socket, code || 401, message, extra);
            return;
          }
          this.completeUpgrade(protocols, request, socket, head, callback);
        });
        return;
      }
      if (!(verifyClient as (info: VerifyClientInfo & { req: InstanceType<U> }) => boolean)(info)) {
        abortHandshake(socket, 401);
        return;
      }
    }
    this.completeUpgrade(protocols, request, socket, head, callback);
  }

  /**
   * The rest of the handshake once the request was checked and the client verified: the codec's
   * `upgrade()` (accept value, subprotocol, extensions), the 'headers' event, the 101, the WebSocket.
   * Throws when called twice for one socket.
   */
  completeUpgrade(
    protocols: Set<string>,
    request: InstanceType<U>,
    socket: Duplex,
    head: Buffer,
    callback: (client: InstanceType<T>, request: InstanceType<U>) => void,
  ): void {
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    if ((socket as MarkedSocket)[kUpgraded] === true) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
      );
    }
    if (this.#state > RUNNING) {
      abortHandshake(socket, 503);
      return;
    }

    // The version was checked above (8 is taken, as in ws); the codec speaks of 13 only.
    const headers =
      request.headers['sec-websocket-version'] === '13' ? request.headers : { ...request.headers, 'sec-websocket-version': '13' };
    const deflate = this.#deflate === undefined ? [] : [new PerMessageDeflateServer(this.#deflate)];
    const result = upgrade(headers, { extensions: deflate });
    if (!result.ok) {
      const message = result.reason.includes('xtension')
        ? 'Invalid or unacceptable Sec-WebSocket-Extensions header'
        : result.reason;
      abortHandshake(socket, result.status, message, Object.fromEntries(result.headers));
      return;
    }
    let extensionHeader = '';
    for (const [name, value] of result.headers) if (name.toLowerCase() === 'sec-websocket-extensions') extensionHeader = value;
    if (deflate.length > 0 && extensionHeader === '' && offersDeflate(headers['sec-websocket-extensions'])) {
      // ws refuses an offer of permessage-deflate it cannot accept rather than going on without it.
      disposeExtensions(result.extensions);
      abortHandshake(socket, 400, 'Invalid or unacceptable Sec-WebSocket-Extensions header');
      return;
    }

    // The subprotocol is ws's choice (handleProtocols may name any token, as in ws), after verifyClient.
    let protocol: string | undefined;
    if (protocols.size > 0) {
      const handleProtocols = this.options.handleProtocols;
      const chosen = handleProtocols === undefined ? protocols.values().next().value : handleProtocols(protocols, request);
      if (chosen) protocol = chosen;
    }
    const lines = ['HTTP/1.1 101 Switching Protocols', ...result.headers.map(([name, value]) => `${name}: ${value}`)];
    if (protocol !== undefined) lines.splice(4, 0, `Sec-WebSocket-Protocol: ${protocol}`);
    try {
      this.emit('headers', lines, request);
    } catch (error) {
      disposeExtensions(result.extensions);
      throw error;
    }
    // A header pushed by a 'headers' listener must not smuggle a line into the response.
    const safe = lines.filter((line) => !/[\r\n\0]/.test(line));
    socket.write(safe.concat('\r\n').join('\r\n'));
    socket.removeListener('error', destroySocket);
    (socket as MarkedSocket)[kUpgraded] = true;

    const Class = this.options.WebSocket ?? WebSocket;
    const ws = new Class(null) as InstanceType<T>;
    ws[kHandshake](undefined, protocol ?? '', extensionHeader);
    this.#attach(ws, socket, head, protocol, result.extensions, extensionHeader);
    callback(ws, request);
  }

  #attach(
    ws: WebSocket,
    socket: Duplex,
    head: Buffer,
    protocol: string | undefined,
    extensions: Extension[],
    extensionHeader: string,
  ): void {
    const clients = this.clients as Set<WebSocket> | undefined;
    if (clients !== undefined) {
      clients.add(ws);
      ws.on('close', () => {
        clients.delete(ws);
        if (this.#emitCloseWhenEmpty && clients.size === 0) process.nextTick(() => this.#emitClose());
      });
    }
    ws[kAttach](socket, head ?? EMPTY_BUFFER, {
      role: 'server',
      protocol,
      extensions,
      extensionsHeader: extensionHeader === '' ? undefined : extensionHeader,
      ...this.#limits,
    });
  }

  #refuse(request: InstanceType<U>, socket: Duplex, code: number, message: string, headers?: http.OutgoingHttpHeaders): void {
    if (this.listenerCount('wsClientError') > 0) {
      this.emit('wsClientError', new Error(message), socket, request);
      return;
    }
    abortHandshake(socket, code, message, headers);
  }
}
