/**
 * @wsts/ws: the `ws` package's API over the @wsts codec and connection. Switch with one line:
 * `import WebSocket, { WebSocketServer } from '@wsts/ws'` (or `require('@wsts/ws')`, which returns the
 * `WebSocket` class carrying `WebSocket.Server`, `WebSocket.WebSocketServer`, ... as ws's does).
 * @packageDocumentation
 */
import { CLOSED, CLOSING, CONNECTING, OPEN } from './constants.js';
import { createWebSocketStream } from './stream.js';
import { WebSocket as WebSocketClass } from './websocket.js';
import { WebSocketServer } from './websocket-server.js';

/** The WebSocket class, with ws's statics: `WebSocket.Server`, `WebSocket.createWebSocketStream`, ... */
export interface WebSocketStatics {
  readonly WebSocket: typeof WebSocketClass & WebSocketStatics;
  readonly WebSocketServer: typeof WebSocketServer;
  readonly Server: typeof WebSocketServer;
  readonly createWebSocketStream: typeof createWebSocketStream;
}

const statics: Record<keyof WebSocketStatics, unknown> = {
  WebSocket: WebSocketClass,
  WebSocketServer,
  Server: WebSocketServer,
  createWebSocketStream,
};
for (const [name, value] of Object.entries(statics)) {
  Object.defineProperty(WebSocketClass, name, { value, writable: true, configurable: true, enumerable: false });
}

/** ws's `WebSocket` class (also the default export, as in ws's ESM wrapper). */
export const WebSocket = WebSocketClass as typeof WebSocketClass & WebSocketStatics;
export type WebSocket = WebSocketClass;
export default WebSocket;
export { WebSocketServer, WebSocketServer as Server, createWebSocketStream };
export { CloseEvent, ErrorEvent, Event, MessageEvent } from './event-target.js';
export type { CloseEventInit, ErrorEventInit, EventListener, MessageEventInit } from './event-target.js';
export { EMPTY_BUFFER, kListener } from './constants.js';
export type { BinaryType } from './constants.js';
export type { Callback, Data, SendOptions } from './websocket.js';
export type { ClientOptions } from './client.js';
export type { ServerOptions, VerifyClientCallback, VerifyClientInfo } from './websocket-server.js';
export type { WsPerMessageDeflateOptions as PerMessageDeflateOptions } from './deflate-options.js';
export type { ConnectionLimitOptions } from './limits.js';
/** The ready states, as named exports too. */
export { CONNECTING, OPEN, CLOSING, CLOSED };
