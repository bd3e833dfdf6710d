/**
 * ws's echo server (ws-echo.ts) with one line changed, the import: what a ws user gets by switching to
 * `@wsts/ws`. `node wsts-ws-echo.js --port 0 [--deflate]`; prints `listening on ws://127.0.0.1:N`.
 */
import { WebSocketServer } from '@wsts/ws';
import { announceListening, exitOnSignals, hasFlag, numberFlag, portOf } from './server-cli.js';

const port = numberFlag('--port', 0);
const deflate = hasFlag('--deflate');

const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: deflate, maxPayload: 64 * 1024 * 1024 });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
});
server.on('listening', () => announceListening(portOf(server.address())));
exitOnSignals();
