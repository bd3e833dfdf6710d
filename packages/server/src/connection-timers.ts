/**
 * A connection's own timers: the close timer (`closeTimeout`: the closing handshake must finish in
 * time) and the message timer (`messageTimeout`: a message must arrive in time). The heartbeat is
 * shared by many connections and lives in heartbeat.ts. Made the first time a timer is armed: an idle
 * open connection has none.
 * @module
 */
import type { WebSocketConnectionState } from './connection-types.js';

/** The connection, as its timers see it. */
export interface TimerOwner {
  readonly state: WebSocketConnectionState;
  /** The closing handshake did not finish within `closeTimeout`. */
  closeTimedOut(): void;
  /** A message did not arrive within `messageTimeout`. */
  messageTimedOut(): void;
}

export class ConnectionTimers {
  private closeTimer: NodeJS.Timeout | undefined = undefined;
  private messageTimer: NodeJS.Timeout | undefined = undefined;

  constructor(private readonly owner: TimerOwner) {}

  /** Whether the message timer runs. */
  get messageArmed(): boolean {
    return this.messageTimer !== undefined;
  }

  /** Arms the close timer; once armed it stays so (a closing connection does not start over). */
  armClose(timeout: number): void {
    if (this.closeTimer !== undefined) return;
    this.closeTimer = setTimeout(ConnectionTimers.closeFired, timeout, this);
    // A pending close must not keep a process alive that is otherwise done.
    this.closeTimer.unref();
  }

  /** Arms the message timer (if it is not running) or clears it. */
  setMessage(wanted: boolean, timeout: number): void {
    if (wanted && this.messageTimer === undefined) {
      this.messageTimer = setTimeout(ConnectionTimers.messageFired, timeout, this);
      this.messageTimer.unref();
    } else if (!wanted && this.messageTimer !== undefined) {
      clearTimeout(this.messageTimer);
      this.messageTimer = undefined;
    }
  }

  /** The socket is gone: no timer may fire any more. */
  clear(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    if (this.messageTimer !== undefined) clearTimeout(this.messageTimer);
    this.messageTimer = undefined;
  }

  // WHY static functions with the timers as argument: a timer armed per message must not cost a closure.
  private static closeFired(timers: ConnectionTimers): void {
    if (timers.owner.state !== 'closed') timers.owner.closeTimedOut();
  }

  private static messageFired(timers: ConnectionTimers): void {
    timers.messageTimer = undefined;
    timers.owner.messageTimedOut();
  }
}
