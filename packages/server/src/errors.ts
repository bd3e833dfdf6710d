/**
 * Errors raised by the Node binding itself (as opposed to the codec's `ProtocolError` and
 * `HandshakeError`, which `@wsts/protocol` defines and which we re-export unchanged).
 */
import type { IncomingMessage } from 'node:http';

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
  | 'ERR_MEMORY_BUDGET'
  /**
   * A published message found more than `publishHighWaterMark` queued for this subscriber, and the
   * server's `publishOverflow` is `'close'` (we closed with 1013).
   */
  | 'ERR_PUBLISH_OVERFLOW';

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

/** Why a {@link HandshakeRefusedError} refused an opening handshake. */
export type HandshakeRefusalKind =
  /** Not a GET (405); over HTTP/2, not a CONNECT. */
  | 'method'
  /** Missing or invalid `Upgrade`, `Connection`, `Sec-WebSocket-Key`, or a negotiation failure (400). */
  | 'headers'
  /** A `Sec-WebSocket-Version` other than 13 (426; 400 over HTTP/2, which has no upgrade to require). */
  | 'version'
  /** No WebSocketServer attached to the HTTP server serves the request's path (404). */
  | 'path'
  /** `authorize` refused (`false`: 401, or the status it returned). */
  | 'authorize'
  /** `authorize` did not answer within `handshakeTimeout` (503). */
  | 'timeout'
  /** The server is closing (503). */
  | 'closing'
  /** HTTP/2: an extended CONNECT for a `:protocol` other than `websocket` (501). */
  | 'protocol'
  /** HTTP/2: the connection already carries `http2.maxWebSocketsPerSession` WebSockets (503). */
  | 'capacity'
  /** A hook threw or produced something invalid (a bad header, a bad `authorize` result) (500). `cause` holds it. */
  | 'internal';

/**
 * An opening handshake the server refused, as reported by its `'handshakeRefused'` event: the HTTP
 * status and reason sent to the client (the first 200 characters of the reason went into the body),
 * why, and the request. Only reported, never thrown: the response is already on its way.
 */
export class HandshakeRefusedError extends Error {
  override readonly name = 'HandshakeRefusedError';
  constructor(
    readonly kind: HandshakeRefusalKind,
    /** The HTTP status sent (404, 401...). */
    readonly status: number,
    /** The reason sent as the response body. */
    readonly reason: string,
    /** The refused request (`url`, `headers`, `socket.remoteAddress`). */
    readonly request: IncomingMessage,
    cause?: Error,
  ) {
    super(
      `WebSocket handshake for ${request.url ?? '/'} refused with ${status}: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  }
}
