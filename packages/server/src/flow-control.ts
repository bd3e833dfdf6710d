/**
 * Whether a connection reads from its socket. Reading stops for any of five reasons and restarts only
 * when none holds; this is the one place that decides. Made with the first reason to stop: a connection
 * that was never held back has none.
 * @module
 */
import type { Duplex } from 'node:stream';

export class FlowControl {
  /** `pause()` was called: reading stays stopped until `resume()`, whatever the other reasons say. */
  user = false;
  /** Too much is queued for the peer: past `sendHighWaterMark`, until half of it has drained. */
  output = false;
  /** The server's memory budget is under pressure. */
  budget = false;
  /** A read held so many messages that the rest waits for the next turn of the event loop. */
  yielding = false;
  /** Whether reading is stopped now (the socket is paused). */
  paused = false;

  constructor(private readonly socket: Duplex) {}

  /**
   * Pauses or resumes the socket from every reason: the three above, and the two the connection
   * measures each time (`decodeBacklog`: an async decode holds more than `maxBufferedIncoming`;
   * `iteratorLag`: an async iterator's consumer is `iteratorHighWaterMark` messages behind). A
   * connection the budget closed (`released`) reads on and ignores what arrives: a paused socket would
   * never see the peer's FIN. Returns whether reading switched on or off.
   */
  update(decodeBacklog: boolean, iteratorLag: boolean, released: boolean): boolean {
    const stop = !released && (this.user || this.output || this.budget || this.yielding || decodeBacklog || iteratorLag);
    if (stop === this.paused) return false;
    this.paused = stop;
    if (stop) this.socket.pause();
    else this.socket.resume();
    return true;
  }
}
