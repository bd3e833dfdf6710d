// noServer: your own 'upgrade' listener decides, then handleUpgrade runs the WebSocket handshake.
// Also shows every limit with its default spelled out (tightened where a comment says so).
import * as http from 'node:http';
import { rejectHandshake, WebSocketServer } from '@wsts/server';

const wss = new WebSocketServer({
  noServer: true,
  maxMessageSize: 1024 * 1024, // default 64 MiB; a larger message fails the connection with 1009
  maxBufferedAmount: 16 * 1024 * 1024, // default 16 MiB queued for a client that does not read
  sendHighWaterMark: 1024 * 1024, // default 1 MiB queued for a client: past it, stop reading it until half drained
  messageTimeout: 60_000, // default 60 s for one incoming message to arrive, then close with 1008
  maxFragments: 131_072, // default: frames in one incoming message, more fail with 1008
  memoryBudget: 256 * 1024 * 1024, // default a quarter of V8's heap limit, for all connections together
  handshakeTimeout: 10_000, // default 10 s for the request head and authorization
  closeTimeout: 10_000, // default 10 s for the closing handshake, then the socket is destroyed
  heartbeatInterval: 30_000, // default 30 s: ping, terminate if nothing came back by the next one
});

const server = http.createServer();
server.on('upgrade', (request, socket, head) => {
  // Any check of yours: here a session cookie. rejectHandshake answers with a real HTTP status.
  if (!/(^|;\s*)session=ok(;|$)/.test(request.headers.cookie ?? '')) {
    rejectHandshake(socket, 403, 'no session');
    return;
  }
  wss.handleUpgrade(request, socket, head, (connection) => {
    void connection.send(`hello, you are client #${wss.clients.size}`);
    connection.on('message', (data) => void connection.send(`got ${data.length} bytes`));
    connection.on('close', (code, reason, wasClean) => console.log(`closed ${code} ${reason} clean=${wasClean}`));
  });
});

server.listen(Number(process.argv[2] ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on ws://127.0.0.1:${port}`);
});

process.on('SIGTERM', () => void wss.close().then(() => server.close(() => process.exit(0))));
