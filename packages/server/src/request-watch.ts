import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { watchUpgrades } from './upgrade-router.js';

/**
 * Drops own-server sockets whose request head has not arrived within `timeout` ms (a client trickling
 * its request, or sending nothing), with one interval timer for all of them.
 *
 * WHY not a timer per socket: this runs for every TCP connection; a timer armed at accept and cleared
 * at the request head is a Timeout object, two timer-list updates and two listener changes per
 * connection, all for a drop that almost never happens. Instead sockets are filed in generations: every
 * `timeout / 2` ms the oldest of three generations is destroyed and the others age by one, so a
 * socket is dropped between `timeout` and 1.5 x `timeout` after accept.
 */
export class RequestWatch {
  /** Newest first; a socket is in at most one of them. */
  private readonly generations: [Set<Duplex>, Set<Duplex>, Set<Duplex>] = [new Set(), new Set(), new Set()];
  private timer: NodeJS.Timeout | undefined;
  /** One listener for all sockets: a socket that closes early must not be held until the sweep. */
  private readonly onClose: (this: Duplex) => void;

  constructor(private readonly timeout: number) {
    const watch = this;
    this.onClose = function (this: Duplex): void {
      watch.delete(this);
    };
  }

  add(socket: Duplex): void {
    this.generations[0].add(socket);
    socket.on('close', this.onClose);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), Math.max(1, Math.ceil(this.timeout / 2)));
      this.timer.unref();
    }
  }

  /**
   * The request head arrived: the socket is no longer a candidate for the drop, and our 'close'
   * listener goes too. WHY remove it: an upgraded socket lives on as a WebSocket, and a second 'close'
   * listener beside the connection's turns the socket's single listener into an array (two objects, 64
   * bytes per idle connection). On an upgrade it is the only 'close' listener left (Node's HTTP server
   * removed its own), so the removal costs no array splice; later requests on a kept-alive socket find
   * nothing to remove.
   */
  headSeen(socket: Duplex): void {
    this.delete(socket);
    socket.removeListener('close', this.onClose);
  }

  /** The socket is gone (or its head arrived): no longer a candidate for the drop. */
  delete(socket: Duplex): void {
    const [newest, middle, oldest] = this.generations;
    if (!newest.delete(socket) && !middle.delete(socket)) oldest.delete(socket);
  }

  /** Destroys every socket still waiting (used by `close()`). */
  destroyAll(): void {
    for (const generation of this.generations) {
      for (const socket of generation) socket.destroy();
      generation.clear();
    }
    this.stop();
  }

  private sweep(): void {
    const [newest, middle, oldest] = this.generations;
    for (const socket of oldest) socket.destroy();
    oldest.clear();
    this.generations[0] = oldest;
    this.generations[1] = newest;
    this.generations[2] = middle;
    if (newest.size === 0 && middle.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Watches every socket `server` accepts until its first request head is complete ('upgrade' or
 * 'request'), where the handshake's own timer takes over; sockets still waiting after `timeout` ms are
 * dropped. Only for a server of our own: on someone else's server, Node's `headersTimeout` does this.
 */
export function watchRequestHeads(server: http.Server, secure: boolean, timeout: number): RequestWatch {
  const watch = new RequestWatch(timeout);
  server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => watch.add(socket));
  const headSeen = (request: http.IncomingMessage): void => watch.headSeen(request.socket);
  // prependListener: the watch must end before any handler runs.
  server.prependListener('request', headSeen);
  // Upgrades through the router, which runs before every 'upgrade' listener (and keeps served upgrades
  // from them); as a watcher it is no handler, so a path nobody serves still gets its 404.
  watchUpgrades(server, headSeen);
  return watch;
}
