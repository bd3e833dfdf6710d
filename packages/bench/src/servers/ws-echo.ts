/**
 * The `ws` echo server the benches compare against: what a ws user writes, nothing tuned.
 * `node ws-echo.js --port 0 [--deflate]`; prints `listening on ws://127.0.0.1:N` like ours does.
 * Whether ws uses its native add-ons is decided by the environment (WS_NO_BUFFER_UTIL=1,
 * WS_NO_UTF_8_VALIDATE=1 turn them off), which the orchestrator sets per server.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WebSocketServer } from 'ws';

// Report which masking code ws picked in this process, so the orchestrator can check that "with
// add-ons" really runs bufferutil and "without" really does not (ws decides once, at load time).
const require = createRequire(import.meta.url);
const bufferUtil = require(join(dirname(require.resolve('ws')), 'lib/buffer-util.js')) as {
  unmask: (...args: unknown[]) => void;
};
process.stdout.write(`ws-addons bufferutil=${String(bufferUtil.unmask).includes('bufferUtil') ? 'on' : 'off'}\n`);

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
