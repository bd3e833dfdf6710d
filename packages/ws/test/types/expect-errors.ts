/**
 * Lines that must NOT compile, against `ws` and `@wsts/ws` alike: they prove the listener parameters
 * and option objects are typed (an `any` would accept each of them and fail `@ts-expect-error`).
 */
import WebSocket, { WebSocketServer } from 'ws';

export function wrongTypes(ws: WebSocket, wss: WebSocketServer): void {
  // @ts-expect-error: a message is RawData, not a string
  ws.on('message', (data) => data.toUpperCase());
  // @ts-expect-error: the close reason is a Buffer
  ws.on('close', (_code, reason) => reason.toUpperCase());
  // @ts-expect-error: isBinary is a boolean
  ws.once('message', (_data, isBinary) => isBinary.length);
  // @ts-expect-error: a connection's request is an IncomingMessage
  wss.on('connection', (_ws, request) => request.send('x'));
  wss.clients.forEach((client) => {
    // @ts-expect-error: clients are WebSockets
    client.sendText('x');
  });
  // @ts-expect-error: an event's data is WebSocket.Data
  ws.addEventListener('message', (event) => event.data.toFixed());
  // @ts-expect-error: the close code is a number
  ws.close('going away');
}

export function unknownOptions(): void {
  // @ts-expect-error: misspelt client option
  new WebSocket('ws://127.0.0.1:1', { handshakeTimout: 1_000 });
  // @ts-expect-error: misspelt server option
  new WebSocketServer({ port: 0, maxPayLoad: 1 });
  // @ts-expect-error: misspelt permessage-deflate option
  new WebSocketServer({ port: 0, perMessageDeflate: { treshold: 0 } });
  // @ts-expect-error: a wrong send option
  new WebSocket('ws://127.0.0.1:1').send('x', { binery: true });
}
