/**
 * ws's echo server (ws-echo.ts) with one line changed, the import: what a ws user gets by switching to
 * `@wsts/ws`. `node wsts-ws-echo.js --port 0 [--deflate]`; prints `listening on ws://127.0.0.1:N`.
 */
import { WebSocketServer } from '@wsts/ws';

const args = process.argv.slice(2);
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 0;
const deflate = args.includes('--deflate');

const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: deflate, maxPayload: 64 * 1024 * 1024 });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
});
server.on('listening', () => {
  const address = server.address();
  // @types/ws types address() as AddressInfo | string | null (null before listening and once closed).
  const actual = typeof address === 'string' || address === null ? address : address.port;
  process.stdout.write(`listening on ws://127.0.0.1:${actual}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
