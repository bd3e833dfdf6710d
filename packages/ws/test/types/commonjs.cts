/**
 * CommonJS users: `import WebSocket = require(...)` brings the class, its statics and its namespace of
 * type names. Compiled against `ws` and against `@wsts/ws`'s CommonJS declarations by test/types.test.ts.
 */
import WebSocket = require('ws');

export function start(): WebSocket.Server {
  const wss = new WebSocket.Server({ port: 0 });
  wss.on('connection', (ws, request) => {
    ws.on('message', (data: WebSocket.RawData, isBinary) => {
      // @ts-expect-error: isBinary is a boolean
      isBinary.length;
      wss.clients.forEach((client) => {
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
      });
    });
    request.socket.remoteAddress;
  });
  const server: WebSocket.WebSocketServer = new WebSocket.WebSocketServer({ noServer: true });
  const options: WebSocket.ClientOptions = { handshakeTimeout: 1_000 };
  const Class: typeof WebSocket = WebSocket.WebSocket;
  const client: WebSocket.WebSocket = new Class('ws://127.0.0.1:1', options);
  const same: WebSocket = client;
  const stream = WebSocket.createWebSocketStream(same, { encoding: 'utf8' });
  stream.destroy();
  server.close();
  const raw: WebSocket.Data = 'text';
  const verify: WebSocket.VerifyClientCallbackSync = (info) => info.secure;
  const serverOptions: WebSocket.ServerOptions = { noServer: true, verifyClient: verify };
  new WebSocket.Server(serverOptions).close();
  return raw === '' ? wss : wss;
}
