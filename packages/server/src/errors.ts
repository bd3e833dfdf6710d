/**
 * Errors raised by the Node binding itself (as opposed to the codec's `ProtocolError` and
 * `HandshakeError`, which `@wsts/protocol` defines and which we re-export unchanged).
 */

/** Machine-readable reasons a {@link WebSocketConnection} gives up on its peer or refuses a call. */
export type ConnectionErrorCode =
  /** `send`/`ping`/`pong` called when the connection is closing or closed. */
  | 'ERR_NOT_OPEN'
  /** The peer stopped reading and our outgoing buffer passed `maxBufferedAmount`. */
  | 'ERR_BUFFER_OVERFLOW'
  /** No traffic (not even a pong) arrived within a heartbeat interval after our ping. */
  | 'ERR_HEARTBEAT_TIMEOUT'
  /** The closing handshake did not finish within `closeTimeout`. */
  | 'ERR_CLOSE_TIMEOUT'
  /** The underlying socket closed before the send could be written. */
  | 'ERR_SOCKET_CLOSED'
  /** An incoming message took longer than `messageTimeout` to arrive (we closed with 1008). */
  | 'ERR_MESSAGE_TIMEOUT'
  /** The server's `memoryBudget` was exhausted and this connection held the most (closed with 1013). */
  | 'ERR_MEMORY_BUDGET';

/** A failure of the connection adapter, with a stable `code` to switch on. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
  ) {
    super(message);
  }
}
