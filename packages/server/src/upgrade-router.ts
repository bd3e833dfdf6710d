import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { rejectHandshake } from './http-response.js';
import type { WebSocketConnection } from './websocket-connection.js';

/** What the router needs from a WebSocketServer (kept structural to avoid an import cycle). */
export interface UpgradeRoute {
  shouldHandle(request: http.IncomingMessage): boolean;
  handleUpgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (connection: WebSocketConnection, request: http.IncomingMessage) => void,
  ): void;
  emit(event: 'connection', connection: WebSocketConnection, request: http.IncomingMessage): boolean;
}

type AnyHttpServer = http.Server | https.Server;

/** A route and its 'connection' emitter, made once per route rather than once per handshake. */
interface RouteEntry {
  route: UpgradeRoute;
  onConnection: (connection: WebSocketConnection, request: http.IncomingMessage) => void;
}

interface Router {
  routes: RouteEntry[];
  listener: (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/**
 * One 'upgrade' listener per HTTP server, dispatching by path to the WebSocketServers attached to it.
 * WHY: with one listener per WebSocketServer, a request matching none of them would get no answer
 * and hang; the router answers it with 404 (unless someone else also listens for upgrades).
 */
const routers = new WeakMap<AnyHttpServer, Router>();

/** Our own 'upgrade' listeners that only watch (the request-head watch): they handle nothing. */
const internal = new WeakSet<(...args: never[]) => void>();

/** Marks a listener of ours that watches upgrades without handling them. */
export function markInternal(listener: (...args: never[]) => void): void {
  internal.add(listener);
}

/** Whether an 'upgrade' listener other than the router and our watchers exists (the application's). */
function hasForeignListener(server: AnyHttpServer, router: Router['listener']): boolean {
  for (const listener of server.listeners('upgrade')) {
    if (listener !== router && !internal.has(listener as (...args: never[]) => void)) return true;
  }
  return false;
}

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function attachToHttpServer(server: AnyHttpServer, route: UpgradeRoute): void {
  let router = routers.get(server);
  if (router === undefined) {
    const created: Router = {
      routes: [],
      listener: (request, socket, head) => {
        for (const { route: candidate, onConnection } of created.routes) {
          if (candidate.shouldHandle(request)) {
            candidate.handleUpgrade(request, socket, head, onConnection);
            return;
          }
        }
        // Another 'upgrade' listener (the application's own) may want this request; leave it alone.
        if (hasForeignListener(server, created.listener)) return;
        socket.on('error', () => {});
        rejectHandshake(socket, 404, `No WebSocket endpoint at ${pathOf(request.url)}`);
      },
    };
    router = created;
    routers.set(server, router);
    server.on('upgrade', router.listener);
  }
  router.routes.push({ route, onConnection: (connection, request) => route.emit('connection', connection, request) });
}

export function detachFromHttpServer(server: AnyHttpServer, route: UpgradeRoute): void {
  const router = routers.get(server);
  if (router === undefined) return;
  router.routes = router.routes.filter((entry) => entry.route !== route);
  if (router.routes.length === 0) {
    server.off('upgrade', router.listener);
    routers.delete(server);
  }
}
