/**
 * What a connection belongs to besides its socket: a server's clients set, a heartbeat group, a
 * server's memory budget and its topics. A server makes one and hands it to every connection it opens, as the
 * connection's internal fourth constructor argument: these are the server's, not options a user sets.
 * A connection without a server that wants a heartbeat gets a membership of its own.
 * @module
 */
import { HeartbeatGroup } from './heartbeat.js';
import type { MemoryBudget } from './memory-budget.js';
import type { Topics } from './topics.js';
import type { WebSocketConnection } from './websocket-connection.js';

export class Membership {
  constructor(
    /** The server's `clients` set (undefined with `clientTracking: false`). */
    readonly clients: Set<WebSocketConnection> | undefined,
    /** Pings the connection once per interval. */
    readonly heartbeat: HeartbeatGroup | undefined,
    /** The server's memory budget, shared by its connections. */
    readonly budget: MemoryBudget | undefined,
    /** The heartbeat group is the connection's own (no server): stopped when the connection closes. */
    readonly ownsHeartbeat: boolean,
    /** The server's topics: only a server's connections subscribe and publish. */
    readonly topics: Topics | undefined,
  ) {}

  /** A connection without a server: a one-member heartbeat group when `interval` is positive. */
  static ofBareConnection(interval: number): Membership | undefined {
    return interval > 0 ? new Membership(undefined, new HeartbeatGroup(interval), undefined, true, undefined) : undefined;
  }

  /** The connection is open: it is tracked and pinged. */
  join(connection: WebSocketConnection): void {
    this.heartbeat?.add(connection);
    this.clients?.add(connection);
  }

  /** The connection's socket is gone: nothing of it stays tracked, pinged or counted. */
  leave(connection: WebSocketConnection): void {
    this.topics?.leave(connection);
    this.budget?.release(connection);
    if (this.heartbeat !== undefined) {
      this.heartbeat.delete(connection);
      if (this.ownsHeartbeat) this.heartbeat.stop();
    }
    this.clients?.delete(connection);
  }
}
