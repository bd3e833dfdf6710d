/** The Node client: `connect()` (promise API) and the WHATWG `WebSocket` class. */
export { connect } from './connect.js';
export {
  WebSocket,
  type BinaryType,
  type WebSocketEventHandler,
  type WebSocketMessageData,
  type WebSocketSendData,
} from './websocket.js';
export { CloseEvent, ErrorEvent, type CloseEventInit, type ErrorEventInit, type WebSocketMessageEvent } from './events.js';
export { WebSocketConnectError, type ConnectErrorDetails, type ConnectFailure } from './errors.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_REDIRECTS,
  type ClientOptions,
  type ConnectOptions,
  type Http2ClientOptions,
} from './options.js';
