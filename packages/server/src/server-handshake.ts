/**
 * The server side of the opening handshake (RFC 6455 section 4.2) around the codec's `upgrade()`: the
 * method check, header validation and negotiation, the `authorize` hook (synchronous or not), the 101.
 * What the connection is made of (limits, clients set, heartbeat, memory budget) is the server's: the
 * handshake asks its {@link HandshakeHost} to open it.
 * @module
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  disposeExtensions,
  HandshakeError,
  isWebSocketUpgrade,
  upgrade,
  type Extension,
  type ServerExtensionNegotiator,
  type ServerHandshakeOptions,
  WEBSOCKET_GUID,
} from '@wsts/protocol';
import { debug, debugEnabled, peerOf } from './debug.js';
import type { HandshakeRefusalKind } from './errors.js';
import { type HeaderEntry, type HeaderList, rejectHandshake, writeHttpResponse } from './http-response.js';
import type { WebSocketConnection } from './websocket-connection.js';

/** A refusal from the `authorize` hook: the HTTP status, a human-readable reason, extra headers. */
export interface HandshakeRejection {
  status: number;
  reason?: string;
  headers?: readonly (readonly [string, string])[];
}

/** An acceptance that hands `data` to the connection (`connection.data`), e.g. the user a token names. */
export interface AuthorizationAcceptance<Data = unknown> {
  data: Data;
}

/**
 * What `authorize` may return: `{ data }` to accept and hand `data` to the connection, `true`/`undefined`
 * to accept without data (only when `Data` admits `undefined`, as the default `unknown` does), `false`
 * for 401, or a rejection. Throwing (or rejecting) refuses with 500 and emits the error on the server.
 */
export type AuthorizationResult<Data = unknown> =
  | false
  | HandshakeRejection
  | AuthorizationAcceptance<Data>
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook written as `() => {}` returns void and accepts.
  | (undefined extends Data ? true | undefined | void : never);

/** What the `authorize` hook learns about a handshake besides the request itself. */
export interface AuthorizationInfo {
  /** The `Origin` header (browsers always send it), or undefined. */
  origin: string | undefined;
  /** True when the request came over TLS. */
  secure: boolean;
}

/** What the handshake needs from the server it runs for. */
export interface HandshakeHost {
  /** True once the server's `close()` started: handshakes are refused with 503. */
  isClosing(): boolean;
  /**
   * Lets 'headers' listeners add to the 101's headers; returns the headers to write (checked: throws a
   * TypeError for one that would not be a valid header line).
   */
  emitHeaders(headers: HeaderEntry[], request: http.IncomingMessage): HeaderList;
  /**
   * Opens the connection over `socket` once the 101 is written; it takes ownership of `extensions`.
   * `data` is what `authorize` accepted with.
   */
  open(
    socket: Duplex,
    head: Buffer,
    protocol: string | undefined,
    extensions: Extension[],
    extensionsHeader: string | undefined,
    data: unknown,
  ): WebSocketConnection;
  /** A throwing hook (or a connection that could not be made): the client already got its 500. */
  reportError(error: Error): void;
  /** A handshake was refused with `status` (the response is on its way). `cause`: the hook error behind a 500. */
  refused(kind: HandshakeRefusalKind, status: number, reason: string, request: http.IncomingMessage, cause?: Error): void;
}

/** A refusal found while checking a request, with what it was about. */
export interface WireRefusal {
  ok: false;
  kind: HandshakeRefusalKind;
  status: number;
  reason: string;
  headers: HeaderList;
}

/**
 * How a handshake meets its transport: HTTP/1.1 (a GET with `Upgrade`, answered 101 on the raw socket)
 * or HTTP/2 (an extended CONNECT, answered 200 on the stream). The rest of the handshake (authorize,
 * the 'headers' event, refusal reports, opening the connection) is the same for both.
 */
export interface HandshakeWire {
  /** Checks the method and headers and negotiates; may throw what a `selectProtocol` hook throws. */
  check(request: http.IncomingMessage, options: ServerHandshakeOptions): AcceptedUpgrade | WireRefusal;
  /** Writes the success response (101, or 200 on a stream). Throws TypeError for an invalid header. */
  accept(socket: Duplex, headers: HeaderList): void;
  /** Writes a refusal and ends the socket or stream. */
  reject(socket: Duplex, status: number, reason: string, headers?: HeaderList): void;
}

/** The HTTP/1.1 upgrade (RFC 6455 section 4.2). */
export const http1Wire: HandshakeWire = {
  check(request, options) {
    if (request.method !== 'GET') {
      return {
        ok: false,
        kind: 'method',
        status: 405,
        reason: `Method ${request.method ?? ''} not allowed: a WebSocket handshake is a GET`,
        headers: [['Allow', 'GET']],
      };
    }
    const result = upgrade(request.headers, options);
    if (result.ok) return result;
    // The codec checks Upgrade and Connection first, so a request that is no WebSocket upgrade at all
    // fails there; it gets our own wording. Asked only on failure: the codec already checked both.
    if (result.status === 400 && !isWebSocketUpgrade(request.headers)) {
      return {
        ok: false,
        kind: 'headers',
        status: 400,
        reason: 'Not a WebSocket handshake: expected Upgrade: websocket and Connection: upgrade',
        headers: [],
      };
    }
    return {
      ok: false,
      kind: kindOfStatus(result.status),
      status: result.status,
      reason: result.reason,
      headers: result.headers,
    };
  },
  accept(socket, headers) {
    writeHttpResponse(socket, 101, headers);
  },
  reject: rejectHandshake,
};

/** What a {@link ServerHandshake} is configured with (from the server's options). */
export interface ServerHandshakeConfig {
  /** The transport's side of the handshake. Default {@link http1Wire}. */
  wire?: HandshakeWire;
  negotiators: readonly ServerExtensionNegotiator[];
  selectProtocol: ((offered: readonly string[], request: http.IncomingMessage) => string | undefined) | undefined;
  authorize: AuthorizeHook | undefined;
  /** Milliseconds an asynchronous `authorize` may take; 0 = unbounded. */
  timeout: number;
}

/** The `authorize` hook as the handshake sees it (the server narrows `Data`). */
export type AuthorizeHook = (
  request: http.IncomingMessage,
  info: AuthorizationInfo,
) => AuthorizationResult | Promise<AuthorizationResult>;

/** One per server: runs every handshake the server is handed. */
export class ServerHandshake {
  private readonly host: HandshakeHost;
  private readonly wire: HandshakeWire;
  private readonly authorize: ServerHandshakeConfig['authorize'];
  private readonly timeout: number;
  /**
   * Handshakes waiting for an asynchronous `authorize` verdict, so `close()` can refuse them. A
   * synchronous handshake never needs to be here: nothing can run between its 'upgrade' event and its 101.
   */
  private readonly pending = new Set<PendingHandshake>();
  /** Codec options, made once: `selectProtocol` (if any) reads the request from `negotiating`. */
  private readonly upgradeOptions: ServerHandshakeOptions;
  /** The request whose headers the codec is validating (set only during the synchronous `upgrade` call). */
  private negotiating: http.IncomingMessage | undefined;

  constructor(config: ServerHandshakeConfig, host: HandshakeHost) {
    this.host = host;
    this.wire = config.wire ?? http1Wire;
    this.authorize = config.authorize;
    this.timeout = config.timeout;
    const selectProtocol = config.selectProtocol;
    const extensions = config.negotiators;
    // WHY not a closure per handshake: the codec calls selectProtocol synchronously inside upgrade(),
    // so the request can be handed over through a field instead of two allocations per connection.
    this.upgradeOptions =
      selectProtocol === undefined
        ? { extensions, computeAccept: nativeAccept }
        : { extensions, computeAccept: nativeAccept, selectProtocol: (offered) => selectProtocol(offered, this.negotiating!) };
  }

  /** Refuses the handshakes still waiting for an `authorize` verdict with 503 (the server is closing). */
  dropPending(): void {
    for (const pending of this.pending) this.abandon(pending, 'closing', 'The server is shutting down');
  }

  /**
   * The handshake. Synchronous unless `authorize` returns a promise. WHY not one async function: an
   * async function defers the 101 and the connection setup by a microtask on every handshake and costs
   * promise machinery that showed up in handshake profiles; most hooks answer synchronously. WHY no
   * timer, no `handshaking` entry and no error guard on the synchronous path: nothing else can run
   * before it ends (the 101 is written or the refusal is sent), so they would be armed and removed
   * unobserved on every connection.
   */
  run(request: http.IncomingMessage, socket: Duplex, head: Buffer, callback: HandshakeCallback): void {
    if (this.host.isClosing()) {
      this.refuse(request, socket, 'closing', 503, 'The server is shutting down');
      return;
    }
    let result: AcceptedUpgrade | undefined;
    let verdict: AuthorizationResult | Promise<AuthorizationResult>;
    try {
      result = this.negotiate(request, socket);
      if (result === undefined) return;
      const authorize = this.authorize;
      verdict =
        authorize === undefined
          ? true
          : authorize(request, {
              origin: request.headers.origin,
              secure: (request.socket as Partial<{ encrypted: boolean }>).encrypted === true,
            });
    } catch (error) {
      if (result !== undefined) disposeExtensions(result.extensions);
      this.reportHandshakeError(request, socket, error);
      return;
    }
    if (isPromiseLike(verdict)) {
      this.awaitVerdict({ request, socket, head, callback, result, timer: undefined, abandoned: false }, verdict);
    } else {
      this.completeHandshake(request, socket, head, callback, result, verdict);
    }
  }

  /** An asynchronous `authorize`: guard the socket, bound the wait by `handshakeTimeout`, then finish. */
  private awaitVerdict(pending: PendingHandshake, verdict: PromiseLike<AuthorizationResult>): void {
    const socket = pending.socket;
    // Until the connection owns the socket, a reset by the client must not become an uncaught error.
    socket.on('error', swallow);
    this.pending.add(pending);
    if (this.timeout > 0) {
      pending.timer = setTimeout(() => this.abandon(pending, 'timeout', 'Authorization took too long'), this.timeout);
      pending.timer.unref();
    }
    const settle = (settled: AuthorizationResult | undefined, error: unknown, failed: boolean): void => {
      if (pending.abandoned) {
        // Refused already (timeout or close()): the verdict comes too late. A hook that failed is still
        // the application's bug to hear about.
        if (failed) this.host.reportError(asError(error));
        return;
      }
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      this.pending.delete(pending);
      socket.off('error', swallow);
      if (failed) {
        disposeExtensions(pending.result.extensions);
        this.reportHandshakeError(pending.request, socket, error);
      } else {
        this.completeHandshake(pending.request, socket, pending.head, pending.callback, pending.result, settled);
      }
    };
    verdict.then(
      (settled) => settle(settled, undefined, false),
      (error: unknown) => settle(undefined, error, true),
    );
  }

  /**
   * Gives up on a handshake still waiting for `authorize` (it took too long, or the server is closing):
   * the client gets a 503 now, and the verdict, when it comes, is ignored.
   */
  private abandon(pending: PendingHandshake, kind: 'timeout' | 'closing', reason: string): void {
    pending.abandoned = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    this.pending.delete(pending);
    pending.socket.off('error', swallow);
    disposeExtensions(pending.result.extensions);
    this.refuse(pending.request, pending.socket, kind, 503, reason);
  }

  /** Answers `status` and tells the server, which reports the refusal if anyone listens. */
  private refuse(
    request: http.IncomingMessage,
    socket: Duplex,
    kind: HandshakeRefusalKind,
    status: number,
    reason: string,
    headers?: HeaderList,
  ): void {
    this.wire.reject(socket, status, reason, headers);
    this.host.refused(kind, status, reason, request);
  }

  /** Method and header checks, then subprotocol and extension negotiation; answers refusals itself. */
  private negotiate(request: http.IncomingMessage, socket: Duplex): AcceptedUpgrade | undefined {
    let result: AcceptedUpgrade | WireRefusal;
    // Saved and restored: a selectProtocol hook could (oddly) run another handshake inside this one.
    const outer = this.negotiating;
    this.negotiating = request;
    try {
      result = this.wire.check(request, this.upgradeOptions);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.refuse(request, socket, kindOfStatus(error.status), error.status, error.message, error.headers);
      return undefined;
    } finally {
      this.negotiating = outer;
    }
    if (!result.ok) {
      this.refuse(request, socket, result.kind, result.status, result.reason, result.headers);
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
      if (verdict === false) {
        this.refuse(request, socket, 'authorize', 401, 'Unauthorized');
        return;
      }
      let data: unknown;
      if (typeof verdict === 'object' && verdict !== null) {
        if ('status' in verdict) {
          this.refuse(
            request,
            socket,
            'authorize',
            verdict.status,
            verdict.reason ?? http.STATUS_CODES[verdict.status] ?? 'Rejected',
            verdict.headers ?? [],
          );
          return;
        }
        if (!('data' in verdict)) {
          throw new TypeError('authorize returned an object with neither status (a refusal) nor data (an acceptance)');
        }
        data = verdict.data;
      } else if (verdict !== true && verdict !== undefined) {
        throw new TypeError(`authorize returned ${typeof verdict}: expected true, false, undefined, { data } or { status }`);
      }
      if (socket.destroyed || !socket.writable) return; // gone during authorize
      const headers = this.host.emitHeaders(result.headers, request);
      // After the 'headers' listeners: one of them may have called close().
      if (this.host.isClosing()) {
        this.refuse(request, socket, 'closing', 503, 'The server is shutting down');
        return;
      }
      this.wire.accept(socket, headers);
      if (debugEnabled) {
        const agreed = `protocol ${result.protocol === undefined ? 'none' : JSON.stringify(result.protocol)}, extensions ${extensionsHeaderOf(headers) ?? 'none'}`;
        debug(`handshake from ${peerOf(socket as Partial<Socket>)} for ${request.url ?? '/'} accepted: ${agreed}`);
      }
      opened = this.host.open(socket, head, result.protocol, result.extensions, extensionsHeaderOf(headers), data);
    } catch (error) {
      this.reportHandshakeError(request, socket, error);
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

  /** A hook threw or produced something invalid: 500 (when the socket is still there), 'error', the refusal. */
  private reportHandshakeError(request: http.IncomingMessage, socket: Duplex, error: unknown): void {
    const cause = asError(error);
    if (!socket.destroyed) this.wire.reject(socket, 500, 'Internal Server Error');
    this.host.reportError(cause);
    this.host.refused('internal', 500, 'Internal Server Error', request, cause);
  }
}

function swallow(): void {}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** What a codec refusal was about: 426 is the version, the rest (400) the headers or their negotiation. */
export function kindOfStatus(status: number): HandshakeRefusalKind {
  return status === 426 ? 'version' : 'headers';
}

/**
 * `Sec-WebSocket-Accept` with Node's native SHA-1 (the codec's hook; same result as its own
 * computeAccept). WHY: the codec's TypeScript SHA-1 is interpreted, then compiled by TurboFan on a
 * background thread, in every freshly started server; profiles of the scale bench showed that compile
 * work as the main CPU difference to ws, which hashes natively.
 */
function nativeAccept(key: string): string {
  return createHash('sha1').update(key).update(WEBSOCKET_GUID).digest('base64');
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

export type HandshakeCallback = (connection: WebSocketConnection, request: http.IncomingMessage) => void;
export type AcceptedUpgrade = Extract<ReturnType<typeof upgrade>, { ok: true }>;

/** A handshake waiting for an asynchronous `authorize` verdict. */
interface PendingHandshake {
  request: http.IncomingMessage;
  socket: Duplex;
  head: Buffer;
  callback: HandshakeCallback;
  timer: NodeJS.Timeout | undefined;
  /** Holds live extensions not yet handed to a connection (disposed if the handshake fails). */
  result: AcceptedUpgrade;
  /** Refused before the verdict came (timeout or close()): the verdict is ignored. */
  abandoned: boolean;
}
