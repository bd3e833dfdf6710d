/**
 * One router per HTTP server, in front of every 'upgrade' listener: it hands each upgrade to the
 * WebSocketServer attached for its path, hands the rest to the application's own 'upgrade' listeners,
 * and answers 404 when there are none.
 *
 * WHY in front of the listeners, by wrapping the server's `emit`: `ws`'s documented pattern is an
 * application listener that serves some upgrades and destroys the others. As one listener among
 * equals, the router cannot keep such a listener from also receiving (and killing) the upgrades it
 * serves: an EventEmitter calls every listener, in the order they were added, and the application may
 * add its listener before or after attaching a WebSocketServer. Ordering tricks (prependListener,
 * re-adding ourselves) break as soon as the application adds a listener later. Node's HTTP server
 * delivers upgrades through `server.emit('upgrade', ...)`, so an own `emit` on the server instance
 * decides before any listener runs, whenever the listeners were added: served upgrades never reach
 * them, unserved ones reach all of them exactly as before. The router also keeps a listener of its own
 * registered (a no-op), because Node only treats a request as an upgrade while 'upgrade' has listeners.
 * @module
 */
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

/** Told of an upgrade nobody serves, after the router answered it with `status`. */
export type UnservedListener = (request: http.IncomingMessage, status: number, reason: string) => void;

/** Told of every upgrade the server receives, before anything handles it (the request-head watch). */
export type UpgradeWatcher = (request: http.IncomingMessage) => void;

type AnyHttpServer = http.Server | https.Server;
type Emit = (this: AnyHttpServer, event: string | symbol, ...args: unknown[]) => boolean;

/** A route and its 'connection' emitter, made once per route rather than once per handshake. */
interface RouteEntry {
  route: UpgradeRoute;
  onConnection: (connection: WebSocketConnection, request: http.IncomingMessage) => void;
  onUnserved: UnservedListener;
}

interface Router {
  routes: RouteEntry[];
  watchers: UpgradeWatcher[];
  /** Registered on 'upgrade' so Node keeps emitting upgrades; does nothing itself. */
  listener: () => void;
  /** The `emit` we wrapped (the prototype's or someone else's wrapper), called for everything we pass on. */
  previous: Emit;
  /** Whether `emit` was an own property before we wrapped it (then it is put back, else deleted). */
  hadOwnEmit: boolean;
  /** Our wrapper: inert once the router is removed but someone wrapped on top of it. */
  emit: Emit;
  active: boolean;
}

const routers = new WeakMap<AnyHttpServer, Router>();

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function routerOf(server: AnyHttpServer): Router {
  const existing = routers.get(server);
  if (existing !== undefined) return existing;
  const hadOwnEmit = Object.hasOwn(server, 'emit');
  const router: Router = {
    routes: [],
    watchers: [],
    listener: () => {},
    previous: server.emit as Emit,
    hadOwnEmit,
    active: true,
    emit: function routedEmit(this: AnyHttpServer, event, ...args) {
      if (event !== 'upgrade' || !router.active) return router.previous.call(this, event, ...args);
      const [request, socket, head] = args as [http.IncomingMessage, Duplex, Buffer];
      dispatch(this, router, request, socket, head);
      return true;
    },
  };
  server.emit = router.emit as AnyHttpServer['emit'];
  server.on('upgrade', router.listener);
  routers.set(server, router);
  return router;
}

/** One upgrade: to its WebSocketServer, else to the application's listeners, else 404. */
function dispatch(server: AnyHttpServer, router: Router, request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  for (let i = 0; i < router.watchers.length; i++) router.watchers[i]!(request);
  for (const { route, onConnection } of router.routes) {
    if (route.shouldHandle(request)) {
      route.handleUpgrade(request, socket, head, onConnection);
      return;
    }
  }
  // Not ours: the application's own 'upgrade' listeners get it, exactly as Node would have delivered it.
  if (hasForeignListener(server, router)) {
    router.previous.call(server, 'upgrade', request, socket, head);
    return;
  }
  const reason = `No WebSocket endpoint at ${pathOf(request.url)}`;
  rejectHandshake(socket, 404, reason);
  for (const { onUnserved } of router.routes) onUnserved(request, 404, reason);
}

/** Whether an 'upgrade' listener other than the router's own exists (the application's). */
function hasForeignListener(server: AnyHttpServer, router: Router): boolean {
  const listeners = server.listeners('upgrade');
  for (let i = 0; i < listeners.length; i++) if (listeners[i] !== router.listener) return true;
  return false;
}

/** Removes the router once nothing uses it, restoring the server's `emit`. */
function release(server: AnyHttpServer, router: Router): void {
  if (router.routes.length > 0 || router.watchers.length > 0) return;
  router.active = false;
  routers.delete(server);
  server.off('upgrade', router.listener);
  if (server.emit === (router.emit as AnyHttpServer['emit'])) {
    if (router.hadOwnEmit) server.emit = router.previous as AnyHttpServer['emit'];
    else delete (server as Partial<Pick<AnyHttpServer, 'emit'>>).emit;
  }
  // Otherwise someone wrapped `emit` after us: our wrapper stays in their chain, inert (it passes through).
}

/** Serves `route`'s upgrades on `server`; `onUnserved` hears of upgrades answered 404 while attached. */
export function attachToHttpServer(server: AnyHttpServer, route: UpgradeRoute, onUnserved: UnservedListener): void {
  routerOf(server).routes.push({
    route,
    onConnection: (connection, request) => route.emit('connection', connection, request),
    onUnserved,
  });
}

export function detachFromHttpServer(server: AnyHttpServer, route: UpgradeRoute): void {
  const router = routers.get(server);
  if (router === undefined) return;
  router.routes = router.routes.filter((entry) => entry.route !== route);
  release(server, router);
}

/** Calls `watcher` with every upgrade request `server` receives, served or not, before it is handled. */
export function watchUpgrades(server: AnyHttpServer, watcher: UpgradeWatcher): void {
  routerOf(server).watchers.push(watcher);
}
