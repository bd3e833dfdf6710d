/**
 * @wsts/server: the Node binding of the @wsts/protocol codec - a WebSocket server, the per-connection
 * adapter shared with the client, and the seed's API.
 */
export { WebSocketServer } from './websocket-server.js';
export type { CloseOptions, CloseReport, WebSocketServerEvents, WebSocketServerOptions } from './websocket-server.js';
export type { BrokerMessage, TopicBroker } from './broker.js';
export type { PublishReport } from './topics.js';
export type {
  AuthorizationAcceptance,
  AuthorizationInfo,
  AuthorizationResult,
  HandshakeRejection,
} from './server-handshake.js';
export { WebSocketConnection } from './websocket-connection.js';
export type {
  SendCallback,
  SendOptions,
  WebSocketConnectionEvents,
  WebSocketConnectionOptions,
  WebSocketConnectionState,
  WebSocketData,
} from './connection-types.js';
export { WebSocketMessage } from './websocket-message.js';
export {
  ConnectionError,
  type ConnectionErrorCode,
  HandshakeRefusedError,
  type HandshakeRefusalKind,
} from './errors.js';
export { DEFAULTS } from './defaults.js';
export { secureRandom } from './random.js';
export { rejectHandshake, writeHttpResponse, type HeaderEntry, type HeaderList } from './http-response.js';
export type { PerMessageDeflateOptions } from './extensions-option.js';
// The seed's API (README: "The OCaml seed, name by name").
export { handleServer, type Handler, type Send } from './seed.js';
export { isWebSocketUpgrade, upgrade, HandshakeError, ProtocolError } from '@wsts/protocol';
// The Node client (README "## Client"): connect() gives the same WebSocketConnection; WebSocket is the WHATWG class.
export {
  connect,
  WebSocket,
  CloseEvent,
  ErrorEvent,
  WebSocketConnectError,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_REDIRECTS,
} from './client/index.js';
export type {
  BinaryType,
  ClientOptions,
  CloseEventInit,
  ConnectErrorDetails,
  ConnectFailure,
  ConnectOptions,
  ErrorEventInit,
  Http2ClientOptions,
  WebSocketEventHandler,
  WebSocketMessageData,
  WebSocketMessageEvent,
  WebSocketSendData,
} from './client/index.js';
// permessage-deflate (RFC 7692): on by default through `perMessageDeflate`; these tune it, share a zlib
// limiter between servers and clients, or build negotiators for the generic `extensions` option.
export {
  DEFAULT_INLINE_DEFLATE_LIMIT,
  DEFAULT_INLINE_INFLATE_LIMIT,
  DEFAULT_THRESHOLD,
  DEFAULT_ZLIB_CONCURRENCY,
  PerMessageDeflate,
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  sharedZlibLimiter,
  ZlibLimiter,
} from './permessage-deflate/index.js';
export type { DeflateParams, ParameterPolicy } from './permessage-deflate/index.js';
