/**
 * A ws server as its users write it in TypeScript: constructor options, every event with its parameters
 * inferred, the broadcast idiom, verifyClient and handleProtocols, noServer with handleUpgrade, a server
 * heartbeat, `address()`. Compiled against `ws` and `@wsts/ws` by test/types.test.ts.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream, type RawData, WebSocketServer } from 'ws';
import { exact, use } from './assert.js';

export function echo(): WebSocketServer {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  wss.on('connection', function connection(ws, request) {
    exact<WebSocket>()(ws);
    exact<IncomingMessage>()(request);
    exact<WebSocketServer>()(this);
    ws.on('error', console.error);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    use(request.socket.remoteAddress, request.headers['x-forwarded-for']);
  });
  wss.on('listening', () => {
    const address = wss.address();
    // @types/ws types address() as AddressInfo | string | null: null before listening and once closed.
    const port = typeof address === 'string' || address === null ? address : address.port;
    use(port);
  });
  wss.on('error', (error) => exact<Error>()(error));
  wss.on('headers', (headers, request) => {
    exact<string[]>()(headers);
    exact<IncomingMessage>()(request);
    headers.push('Set-Cookie: session=1');
  });
  wss.on('wsClientError', (error, socket, request) => {
    exact<Error>()(error);
    exact<Duplex>()(socket);
    exact<IncomingMessage>()(request);
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  wss.on('close', function () {
    exact<WebSocketServer>()(this);
  });
  wss.once('listening', () => use(wss.clients.size));
  const onConnection = (ws: WebSocket, request: IncomingMessage): void => use(ws, request);
  wss.addListener('connection', onConnection);
  wss.removeListener('connection', onConnection);
  wss.off('connection', onConnection);
  return wss;
}

export function broadcast(wss: WebSocketServer): void {
  wss.on('connection', function connection(ws) {
    ws.on('message', function message(data, isBinary) {
      wss.clients.forEach((client) => {
        if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
      });
    });
  });
  for (const client of wss.clients) client.close(1001);
}

export function relay(data: RawData, clients: Iterable<WebSocket>): void {
  for (const client of clients) client.send(data);
}

export function verifying(): WebSocketServer[] {
  const sync = new WebSocketServer({
    port: 0,
    // @types/ws cannot infer a one-argument verifyClient's parameter (it is a union of two signatures):
    // its users annotate it, with `origin: string`.
    verifyClient: (info: { origin: string; secure: boolean; req: IncomingMessage }) =>
      info.origin.startsWith('https://') && info.secure && info.req.headers.cookie !== undefined,
  });
  const async = new WebSocketServer({
    noServer: true,
    verifyClient: (info, callback) => {
      if (info.req.headers.authorization === undefined) callback(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer' });
      else callback(true);
    },
    handleProtocols: (protocols, request) => {
      exact<Set<string>>()(protocols);
      exact<IncomingMessage>()(request);
      return protocols.has('chat') ? 'chat' : false;
    },
    clientTracking: true,
    path: '/socket',
    perMessageDeflate: {
      zlibDeflateOptions: { chunkSize: 1024, memLevel: 7, level: 3 },
      zlibInflateOptions: { chunkSize: 10 * 1024 },
      clientNoContextTakeover: true,
      serverNoContextTakeover: true,
      serverMaxWindowBits: 10,
      concurrencyLimit: 10,
      threshold: 1024,
    },
  });
  return [sync, async];
}

/** One HTTP server, a WebSocket server in noServer mode, authentication before the upgrade (ws's README). */
export function noServer(authenticate: (request: IncomingMessage) => string | undefined): void {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws, request) => use(ws, request));
  server.on('upgrade', function upgrade(request, socket, head) {
    const { pathname } = new URL(request.url ?? '/', 'wss://base.url');
    const user = authenticate(request);
    if (pathname !== '/socket' || user === undefined) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }
    if (!wss.shouldHandle(request)) return;
    wss.handleUpgrade(request, socket, head, function done(ws, req) {
      exact<WebSocket>()(ws);
      wss.emit('connection', ws, req, user);
    });
  });
  const attached = new WebSocketServer({ server });
  attached.close((err) => use(err?.message));
  server.listen(0);
}

/** The server heartbeat of ws's README, liveness kept in a WeakMap. */
export function heartbeat(wss: WebSocketServer): void {
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', function connection(ws) {
    alive.set(ws, true);
    ws.on('pong', function heartbeat() {
      alive.set(this, true);
    });
  });
  const interval = setInterval(function ping() {
    wss.clients.forEach(function each(ws) {
      if (alive.get(ws) === false) {
        ws.terminate();
        return;
      }
      alive.set(ws, false);
      ws.ping();
    });
  }, 30_000);
  wss.on('close', function close() {
    clearInterval(interval);
  });
}

export function streams(ws: WebSocket): void {
  const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
  duplex.on('error', console.error);
  duplex.pipe(process.stdout);
  process.stdin.pipe(duplex);
}

/** A WebSocket subclass through the `WebSocket` option: connections are typed as the subclass. */
class AppSocket extends WebSocket {
  user = '';
}

export function subclass(): void {
  const wss = new WebSocketServer({ port: 0, WebSocket: AppSocket });
  wss.on('connection', (ws) => {
    exact<AppSocket>()(ws);
    use(ws.user);
  });
  wss.clients.forEach((client) => {
    use(client.user);
  });
}
