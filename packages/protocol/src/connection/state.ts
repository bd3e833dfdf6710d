/**
 * Where a connection is in its life, and above all in the closing handshake (RFC 6455 sections 5.5.1
 * and 7.1). One value replaces a set of flags whose combinations had to be reasoned about; every change
 * of it is made in the Connection's "closing handshake" section, each decided by a `switch` on it.
 *
 * | state         | we close          | our close frame written | peer's close taken | failure                 | destroy()  |
 * | ------------- | ----------------- | ----------------------- | ------------------ | ----------------------- | ---------- |
 * | Open          | CloseQueued       |                         | (we reply first)   | Terminated, frame sent  | Terminated |
 * | CloseQueued   |                   | CloseSent               | CloseReceived      | Terminated, frame sent  | Terminated |
 * | CloseSent     |                   |                         | Closed             | Terminated              | Terminated |
 * | CloseReceived |                   | Closed                  |                    | Terminated, frame sent  | Terminated |
 * | Closed        |                   |                         |                    | (ignored)               | Terminated |
 * | Terminated    |                   |                         |                    | (ignored)               | (ignored)  |
 *
 * "We close" is `close()` or the reply to the peer's close; without an extension still encoding, the
 * frame is written at once, so CloseQueued lasts only while it is written. "Peer's close taken" happens
 * after the `close` event (so `closed` never comes first); the peer's close met in Open is answered
 * before that event, so it is taken in CloseSent (reply written) or CloseQueued (reply waiting).
 * "Frame sent": a close frame with the failure's code, because ours is not on the wire yet.
 * @module
 */

export const State = {
  /** Messages flow both ways. */
  Open: 0,
  /** We closed: nothing more may be sent; our close frame waits behind messages an extension is encoding. */
  CloseQueued: 1,
  /** Our close frame is written; the peer's has not been taken yet. */
  CloseSent: 2,
  /** The peer's close was taken; ours (the reply, or our own close) waits behind messages being encoded. */
  CloseReceived: 3,
  /** Both close frames exchanged; the `closed` event is delivered on entry and extensions released. */
  Closed: 4,
  /**
   * Failed (a protocol or extension error: `fail` event) or destroyed (the transport went away): no more
   * events, pending sends get an error. Extensions are released on entry unless Closed released them.
   */
  Terminated: 5,
} as const;

export type State = (typeof State)[keyof typeof State];

/** `'open'`, `'closing'` once a close frame was sent or received, `'closed'` after both or a failure. */
export type ConnectionState = 'open' | 'closing' | 'closed';

/** The public view of a state. */
export function publicState(state: State): ConnectionState {
  switch (state) {
    case State.Open:
      return 'open';
    case State.CloseQueued:
    case State.CloseSent:
    case State.CloseReceived:
      return 'closing';
    case State.Closed:
    case State.Terminated:
      return 'closed';
  }
}
