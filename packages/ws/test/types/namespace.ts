/**
 * The type names ES module users reach through the default export (`WebSocket.RawData`,
 * `WebSocket.ServerOptions`, ...) and the named type exports. (`WebSocket.Server` and the other statics
 * are typed for CommonJS only by @types/ws: see commonjs.cts.) Compiled against `ws` and `@wsts/ws` by
 * test/types.test.ts.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket, { type ClientOptions, type Data, type PerMessageDeflateOptions, type ServerOptions, WebSocketServer } from 'ws';
import { exact, use } from './assert.js';

const serverOptions: WebSocket.ServerOptions = { port: 0, clientTracking: false, maxPayload: 1024 };
const clientOptions: WebSocket.ClientOptions = { handshakeTimeout: 1_000, headers: { Cookie: 'a=b' } };
const deflate: WebSocket.PerMessageDeflateOptions = { threshold: 0, serverNoContextTakeover: true };
const named: [ClientOptions, ServerOptions, PerMessageDeflateOptions] = [clientOptions, { noServer: true }, deflate];

export function statics(): void {
  const server: WebSocketServer = new WebSocketServer(serverOptions);
  const other: WebSocketServer = new WebSocketServer({ noServer: true, perMessageDeflate: deflate });
  const client: WebSocket = new WebSocket('ws://127.0.0.1:1', clientOptions);
  use(server, other, client, named, WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED);
}

export function payloads(raw: WebSocket.RawData, data: WebSocket.Data, other: Data): void {
  exact<Buffer | ArrayBuffer | Buffer[]>()(raw);
  exact<string | Buffer | ArrayBuffer | Buffer[]>()(data);
  use(other);
}

export const verifySync: WebSocket.VerifyClientCallbackSync = (info) => info.secure;
export const verifyAsync: WebSocket.VerifyClientCallbackAsync = (info, done) => done(info.req.method === 'GET', 403);
export const finish: WebSocket.FinishRequestCallback = (request) => request.end();
export const protocols: NonNullable<WebSocket.ServerOptions['handleProtocols']> = (
  offered: Set<string>,
  _request: IncomingMessage,
) => offered.values().next().value ?? false;

export function address(server: WebSocketServer): number | string | null {
  const where = server.address();
  if (where === null || typeof where === 'string') return where;
  exact<number>()(where.port);
  return where.port;
}

export function events(event: WebSocket.MessageEvent, close: WebSocket.CloseEvent, error: WebSocket.ErrorEvent): void {
  use(event.data, event.target, close.code, close.reason, close.wasClean, error.message, error.error);
}
