/**
 * Our echo server for the h2 rows: `node h2-echo.js --port 0 [--http2 --max-per-session N]`; prints
 * `listening on ws://127.0.0.1:N`. With `--http2` it is h2c (HTTP/2 with prior knowledge, RFC 8441
 * extended CONNECT), without it plain HTTP/1.1 upgrades: the same server and handler either way, so
 * the two rows differ only in the transport. No compression, as in the other echo rows.
 */
import { WebSocketServer } from '@wsts/server';
import { announceListening, exitOnSignals, hasFlag, numberFlag, portOf } from './server-cli.js';

const port = numberFlag('--port', 0);
// WHY a flag: the server's default cap (100 WebSockets per HTTP/2 connection) is below what the rows open.
const maxWebSocketsPerSession = numberFlag('--max-per-session', 100);
const http2 = hasFlag('--http2') ? { maxWebSocketsPerSession } : false;

const server = new WebSocketServer({ host: '127.0.0.1', port, http2, perMessageDeflate: false });
server.on('connection', (connection) => {
  connection.on('message', (data, isBinary) => {
    connection.send(data, { binary: isBinary }).catch(() => {});
  });
  connection.on('error', () => {});
});
server.on('listening', () => announceListening(portOf(server.address())));
exitOnSignals();
