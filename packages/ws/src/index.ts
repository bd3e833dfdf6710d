/**
 * @wsts/ws: the `ws` package's API over the @wsts codec and connection. Switch with one line:
 * `import WebSocket, { WebSocketServer } from '@wsts/ws'` (or `require('@wsts/ws')`, which returns the
 * `WebSocket` class carrying `WebSocket.Server`, `WebSocket.WebSocketServer`, ... as ws's does).
 * @packageDocumentation
 */
import { CLOSED, CLOSING, CONNECTING, OPEN } from './constants.js';
import { createWebSocketStream } from './stream.js';
import { WebSocket } from './websocket.js';
import { WebSocketServer } from './websocket-server.js';

/** The statics `require('ws')` carries on the class (declared on the class in websocket.ts). */
export interface WebSocketStatics {
  readonly WebSocket: typeof WebSocket;
  readonly WebSocketServer: typeof WebSocketServer;
  readonly Server: typeof WebSocketServer;
  readonly createWebSocketStream: typeof createWebSocketStream;
}

const statics: Record<keyof WebSocketStatics, unknown> = {
  WebSocket,
  WebSocketServer,
  Server: WebSocketServer,
  createWebSocketStream,
};
for (const [name, value] of Object.entries(statics)) {
  Object.defineProperty(WebSocket, name, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * ws's `WebSocket` class (also the default export, as in ws's ESM wrapper): the value, its instances'
 * type, and the namespace of type names (`WebSocket.RawData`, `WebSocket.ServerOptions`, ...).
 */
export { WebSocket };
export default WebSocket;
export { WebSocketServer, WebSocketServer as Server, createWebSocketStream };
export { CloseEvent, ErrorEvent, Event, MessageEvent } from './event-target.js';
export type { CloseEventInit, ErrorEventInit, EventListener, MessageEventInit } from './event-target.js';
export { EMPTY_BUFFER, kListener } from './constants.js';
export type { BinaryType } from './constants.js';
export type { Callback, Data, RawData, ReadyState, SendData, SendOptions, WebSocketEvents } from './websocket.js';
export type { ClientOptions } from './client.js';
export type {
  ServerOptions,
  VerifyClientCallback,
  VerifyClientInfo,
  WebSocketServerEvents,
} from './websocket-server.js';
export type { WsPerMessageDeflateOptions as PerMessageDeflateOptions } from './deflate-options.js';
export type { ConnectionLimitOptions } from './limits.js';
/** `@types/ws`'s other type names, as named exports too (`import type { CertMeta } from 'ws'`). */
export type AddressInfo = WebSocket.AddressInfo;
export type CertMeta = WebSocket.CertMeta;
export type EventListenerOptions = WebSocket.EventListenerOptions;
export type FinishRequestCallback = WebSocket.FinishRequestCallback;
export type VerifyClientCallbackAsync = WebSocket.VerifyClientCallbackAsync;
export type VerifyClientCallbackSync = WebSocket.VerifyClientCallbackSync;
/** The ready states, as named exports too. */
export { CONNECTING, OPEN, CLOSING, CLOSED };
