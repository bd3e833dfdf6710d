/**
 * The client's WebSocket over HTTP/2 (RFC 8441): one shared HTTP/2 session per origin, the extended
 * CONNECT sent once the server's SETTINGS announced it, and the fallback to the HTTP/1.1 upgrade
 * when HTTP/2 or the extended CONNECT is not on offer.
 * @module
 */
import * as http2 from 'node:http2';
import { isIP } from 'node:net';
import {
  checkExtendedConnectResponse,
  type ClientExtensionNegotiator,
  createExtendedConnectRequest,
  type Extension,
} from '@wsts/protocol';
import { HTTP2_DEFAULTS } from '../h2-options.js';
import { WebSocketConnectError } from './errors.js';
import { type OpenedUpgrade, openUpgrade } from './open-upgrade.js';
import type { ResolvedClientOptions } from './options.js';
import { proxyFromEnv } from './proxy-env.js';

/** A session shared by the WebSockets of one origin (and one set of trust settings). */
interface SharedSession {
  readonly session: http2.ClientHttp2Session;
  /** Resolves true once the server's first SETTINGS allow the extended CONNECT, false otherwise. */
  readonly ready: Promise<boolean>;
  streams: number;
}

const sessions = new Map<string, SharedSession>();

/**
 * Opens a WebSocket: over HTTP/2 when `options.http2` is on and the server offers it, otherwise
 * through the HTTP/1.1 upgrade. Either way the result feeds the same `WebSocketConnection`.
 */
export async function openWebSocket(
  url: URL,
  options: ResolvedClientOptions,
  negotiators: readonly ClientExtensionNegotiator[],
): Promise<OpenedUpgrade> {
  if (!options.http2 || !http2Possible(url, options)) return openUpgrade(url, options, negotiators);
  const opened = await openStream(url, options, options.http2.connectionWindowSize, negotiators);
  return opened ?? openUpgrade(url, options, negotiators);
}

/**
 * HTTP/2 goes straight to the origin: through a proxy (the CONNECT tunnel is HTTP/1.1 here) or a
 * custom agent (an HTTP/1.1 concept) the upgrade is used instead.
 */
function http2Possible(url: URL, options: ResolvedClientOptions): boolean {
  if (options.agent !== undefined) return false;
  if (options.proxy.mode === 'url') return false;
  if (options.proxy.mode === 'env' && proxyFromEnv(url, options.proxy.env) !== undefined) return false;
  return true;
}

/** The pool key: the origin and everything that decides whether its certificate is trusted. */
function sessionKey(url: URL, options: ResolvedClientOptions, connectionWindow: number): string {
  const ca = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca.map(String) : [String(options.ca)];
  return JSON.stringify([
    url.protocol,
    url.host,
    options.rejectUnauthorized,
    ca,
    Object.entries(options.tls).map(([k, v]) => [k, String(v)]),
    // A session keeps the window it was opened with: a different one is a different session.
    connectionWindow,
  ]);
}

function sessionFor(url: URL, options: ResolvedClientOptions, connectionWindow: number): SharedSession {
  const key = sessionKey(url, options, connectionWindow);
  const existing = sessions.get(key);
  if (existing !== undefined && !existing.session.closed && !existing.session.destroyed) return existing;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // ws: is h2c with prior knowledge (RFC 9113 section 3.3): the connection preface is sent blind; a
  // server that speaks only HTTP/1.1 answers it with an error and we fall back.
  const authority = `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
  const session = http2.connect(authority, {
    ...(url.protocol === 'wss:'
      ? {
          ...options.tls,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          rejectUnauthorized: options.rejectUnauthorized,
          servername: options.tls.servername ?? (isIP(hostname) === 0 ? hostname : undefined),
        }
      : {}),
    settings: { initialWindowSize: HTTP2_DEFAULTS.windowSize },
  });
  const shared: SharedSession = {
    session,
    streams: 0,
    ready: new Promise<boolean>((resolve) => {
      const settled = (usable: boolean): void => {
        session.off('remoteSettings', onSettings);
        session.off('error', onError);
        session.off('close', onClose);
        resolve(usable);
      };
      const onSettings = (settings: http2.Settings): void => settled(settings.enableConnectProtocol === true);
      const onError = (): void => settled(false);
      const onClose = (): void => settled(false);
      session.once('remoteSettings', onSettings);
      session.once('error', onError);
      session.once('close', onClose);
    }),
  };
  // After the first SETTINGS, a session error ends its streams (each WebSocket sees it as 1006).
  session.on('error', () => {});
  session.once('close', () => {
    if (sessions.get(key) === shared) sessions.delete(key);
  });
  session.once('connect', () => {
    try {
      // HTTP/2's initial window unless the application asked for more (see INITIAL_CONNECTION_WINDOW in options.ts).
      session.setLocalWindowSize(connectionWindow);
    } catch {
      // Closed already: the ready promise reports it.
    }
  });
  sessions.set(key, shared);
  return shared;
}

/** Closes a session nobody uses (no WebSocket on it, none being opened). */
function release(shared: SharedSession): void {
  if (shared.streams === 0 && !shared.session.closed) shared.session.close();
}

/**
 * The extended CONNECT on the origin's shared session; undefined when the server does not offer
 * WebSockets over HTTP/2 (then the caller uses HTTP/1.1). Rejects with a WebSocketConnectError for a
 * refusal, a timeout or an abort, like the HTTP/1.1 handshake.
 */
async function openStream(
  url: URL,
  options: ResolvedClientOptions,
  /** The connection window of the session to use (`http2.connectionWindowSize`, resolved). */
  connectionWindow: number,
  negotiators: readonly ClientExtensionNegotiator[],
): Promise<OpenedUpgrade | undefined> {
  if (options.signal?.aborted === true) {
    throw new WebSocketConnectError('aborted', `connection to ${url.href} was aborted`, {
      url: url.href,
      cause: options.signal.reason,
    });
  }
  const shared = sessionFor(url, options, connectionWindow);
  shared.streams++;
  let stream: http2.ClientHttp2Stream | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new WebSocketConnectError(
            'timeout',
            `opening handshake with ${url.href} did not complete within ${options.handshakeTimeout} ms`,
            { url: url.href },
          ),
        );
      }, options.handshakeTimeout);
      onAbort = () =>
        reject(
          new WebSocketConnectError('aborted', `connection to ${url.href} was aborted`, {
            url: url.href,
            cause: options.signal?.reason,
          }),
        );
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    deadline.catch(noop);
    const usable = await Promise.race([shared.ready, deadline]);
    if (!usable) {
      shared.streams--;
      release(shared);
      return undefined;
    }
    const request = createExtendedConnectRequest({
      authority: url.host,
      path: `${url.pathname === '' ? '/' : url.pathname}${url.search}`,
      scheme: url.protocol === 'wss:' ? 'https' : 'http',
      protocols: options.protocols,
      extensions: negotiators,
      headers: options.headers,
    });
    const headers: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of request.headers) {
      const previous = headers[name];
      headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
    }
    const opening = shared.session.request(headers, { endStream: false });
    stream = opening;
    const response = new Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>((resolve, reject) => {
      opening.once('response', resolve);
      opening.once('error', (error: Error) =>
        reject(
          new WebSocketConnectError('network', `HTTP/2 stream to ${url.href} failed: ${error.message}`, {
            url: url.href,
            cause: error,
          }),
        ),
      );
      opening.once('close', () =>
        reject(new WebSocketConnectError('network', `HTTP/2 stream to ${url.href} closed before a response`, { url: url.href })),
      );
    });
    response.catch(noop);
    const answer = await Promise.race([response, deadline]);
    const status = Number(answer[':status'] ?? 0);
    const pairs: [string, string][] = [];
    for (const [name, value] of Object.entries(answer)) {
      if (name.startsWith(':') || value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
      else pairs.push([name, String(value)]);
    }
    let agreed: { protocol: string | undefined; extensions: Extension[] };
    try {
      agreed = checkExtendedConnectResponse(request, status, pairs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const ok = status >= 200 && status < 300;
      throw new WebSocketConnectError(
        ok ? (/extension/i.test(message) ? 'invalid-extension' : 'invalid-protocol') : 'unexpected-status',
        ok ? `invalid handshake response from ${url.href}: ${message}` : `${url.href} answered ${status} to the extended CONNECT`,
        { url: url.href, status, statusMessage: '', headers: pairs, cause: error },
      );
    }
    // A reset by the server ends the WebSocket like a TCP reset would, whether or not the connection is
    // reading: Node keeps a reset client stream (and its session) open until its buffered data is
    // read. After a clean end (NO_ERROR) what is buffered still flows to the codec; otherwise it is dropped.
    // Deferred: 'aborted' is also emitted inside a local close(), before its RST_STREAM is submitted.
    opening.once('aborted', () => setImmediate(settleAborted, opening));
    // The slot is the stream's from now on: given back when it closes.
    opening.once('close', () => {
      shared.streams--;
      release(shared);
    });
    const extensionsValue = answer['sec-websocket-extensions'];
    return {
      socket: opening,
      head: Buffer.alloc(0),
      protocol: agreed.protocol ?? '',
      extensions: agreed.extensions,
      extensionsHeader: Array.isArray(extensionsValue) ? extensionsValue.join(', ') : (extensionsValue ?? ''),
      url,
    };
  } catch (error) {
    // Destroyed rather than closed: a client stream with an unread body (a refusal's) would otherwise
    // stay open until it is read, and hold its session open with it.
    if (stream !== undefined && !stream.destroyed) stream.destroy();
    shared.streams--;
    release(shared);
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort);
  }
}

function noop(): void {}

function settleAborted(stream: http2.ClientHttp2Stream): void {
  if (stream.destroyed) return;
  if (stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) stream.resume();
  else stream.destroy();
}
