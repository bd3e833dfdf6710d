/**
 * One router per HTTP/2 server, in front of its `'connect'` listeners: it hands each extended CONNECT
 * to the WebSocketServer attached for its path (or answers 404), and sets up every session for
 * WebSockets (the connection window). The per-connection cap on WebSockets is counted here too.
 *
 * WHY the `'connect'` event: Node's compatibility layer (active once the server has a `'request'`
 * listener, as every server serving pages has) creates a request and a response for every stream and,
 * for a CONNECT, emits `'connect'`, answering 405 itself when nobody listens. As for HTTP/1.1 upgrades
 * (see upgrade-router.ts), the router wraps the server's `emit` so the streams it serves never reach
 * the application's own `'connect'` listeners, and unserved ones reach them as before. A server used
 * through the core API only (a `'stream'` listener, no `'request'`) hands its streams over itself,
 * with `WebSocketServer.handleStream`.
 * @module
 */
import * as http2 from 'node:http2';
import { isExtendedConnect } from '@wsts/protocol';
import type { Http2Settings } from './h2-options.js';
import { rejectStream } from './h2-wire.js';
import { pathOf } from './upgrade-router.js';

export type AnyHttp2Server = http2.Http2Server | http2.Http2SecureServer;

/** What the router needs from a WebSocketServer (structural, to avoid an import cycle). */
export interface StreamRoute {
  readonly path: string | undefined;
  /** Runs the handshake on an extended CONNECT stream and emits 'connection' when it opens. */
  serveStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void;
  /** An extended CONNECT for a path nobody serves was answered 404. */
  unservedStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, status: number, reason: string): void;
}

type Emit = (this: AnyHttp2Server, event: string | symbol, ...args: unknown[]) => boolean;

interface Router {
  routes: StreamRoute[];
  settings: Http2Settings;
  previous: Emit;
  hadOwnEmit: boolean;
  emit: Emit;
  active: boolean;
  onSession: (session: http2.ServerHttp2Session) => void;
}

const routers = new WeakMap<AnyHttp2Server, Router>();

/** Whether `server` is one of Node's HTTP/2 servers (an `http.Server` has no `updateSettings`). */
export function isHttp2Server(server: object): server is AnyHttp2Server {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/**
 * The SETTINGS a WebSocket-serving HTTP/2 server sends: the extended CONNECT announced (RFC 8441
 * section 3), and the stream window raised.
 */
export function http2ServerSettings(settings: Http2Settings): http2.Settings {
  return { enableConnectProtocol: true, initialWindowSize: settings.windowSize };
}

const prepared = new WeakSet<http2.Http2Session>();

/** Raises a new session's connection window (a SETTINGS value cannot: it is a WINDOW_UPDATE). */
export function prepareSession(session: http2.Http2Session, settings: Http2Settings): void {
  if (prepared.has(session)) return;
  prepared.add(session);
  try {
    session.setLocalWindowSize(settings.connectionWindowSize);
  } catch {
    // The session died before its first tick: nothing to raise.
  }
}

function routerOf(server: AnyHttp2Server, settings: Http2Settings): Router {
  const existing = routers.get(server);
  if (existing !== undefined) return existing;
  const router: Router = {
    routes: [],
    settings,
    previous: server.emit as Emit,
    hadOwnEmit: Object.hasOwn(server, 'emit'),
    active: true,
    emit: function routedEmit(this: AnyHttp2Server, event, ...args) {
      if (event !== 'connect' || !router.active || !(args[0] instanceof http2.Http2ServerRequest)) {
        return router.previous.call(this, event, ...args);
      }
      const request = args[0] as http2.Http2ServerRequest;
      if (dispatch(this, router, request.stream, request.headers)) return true;
      return router.previous.call(this, event, ...args);
    },
    onSession: (session) => prepareSession(session, router.settings),
  };
  server.emit = router.emit as AnyHttp2Server['emit'];
  server.on('session', router.onSession);
  // Sessions already open (a server attached to while serving) get the window on their next stream.
  routers.set(server, router);
  return router;
}

/** One extended CONNECT: to its WebSocketServer, or 404; false leaves it to the application's listeners. */
function dispatch(
  server: AnyHttp2Server,
  router: Router,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
): boolean {
  const path = pathOf(headers[':path']);
  for (const route of router.routes) {
    if (route.path === undefined || route.path === path) {
      route.serveStream(stream, headers);
      return true;
    }
  }
  // A plain CONNECT (a proxy tunnel), or a WebSocket nobody here serves while the application listens
  // for CONNECTs itself: theirs.
  if (!isExtendedConnect(headers) || server.listenerCount('connect') > 0) return false;
  const reason = `No WebSocket endpoint at ${path}`;
  rejectStream(stream, 404, reason);
  for (const route of router.routes) route.unservedStream(stream, headers, 404, reason);
  return true;
}

/** Serves `route`'s extended CONNECTs on `server`, announcing the extended CONNECT in its SETTINGS. */
export function attachToHttp2Server(server: AnyHttp2Server, route: StreamRoute, settings: Http2Settings): void {
  const router = routerOf(server, settings);
  router.routes.push(route);
  // Sessions opened from now on announce the extended CONNECT; Node sends the new SETTINGS to open ones.
  server.updateSettings(http2ServerSettings(router.settings));
}

export function detachFromHttp2Server(server: AnyHttp2Server, route: StreamRoute): void {
  const router = routers.get(server);
  if (router === undefined) return;
  router.routes = router.routes.filter((entry) => entry !== route);
  if (router.routes.length > 0) return;
  router.active = false;
  routers.delete(server);
  server.off('session', router.onSession);
  if (server.emit === (router.emit as AnyHttp2Server['emit'])) {
    if (router.hadOwnEmit) server.emit = router.previous as AnyHttp2Server['emit'];
    else delete (server as Partial<Pick<AnyHttp2Server, 'emit'>>).emit;
  }
}

/** WebSockets (and handshakes in progress) per HTTP/2 session. */
const counts = new WeakMap<http2.Http2Session, number>();

/**
 * Takes one of the session's `limit` WebSocket slots for `stream`, given back when the stream closes;
 * false when none is left.
 */
export function takeSlot(stream: http2.ServerHttp2Stream, limit: number): boolean {
  const session = stream.session;
  if (session === undefined) return false;
  const used = counts.get(session) ?? 0;
  if (used >= limit) return false;
  counts.set(session, used + 1);
  stream.once('close', () => {
    const now = counts.get(session) ?? 1;
    counts.set(session, now - 1);
  });
  return true;
}
