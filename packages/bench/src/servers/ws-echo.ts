/**
 * The `ws` echo server the benches compare against: what a ws user writes, nothing tuned.
 * `node ws-echo.js --port 0 [--deflate]`; prints `listening on ws://127.0.0.1:N` like ours does.
 * Whether ws uses its native add-ons is decided by the environment (WS_NO_BUFFER_UTIL=1,
 * WS_NO_UTF_8_VALIDATE=1 turn them off), which the orchestrator sets per server.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WebSocketServer } from 'ws';
import { announceListening, exitOnSignals, hasFlag, numberFlag, portOf } from './server-cli.js';

// Report which masking code ws picked in this process, so the orchestrator can check that "with
// add-ons" really runs bufferutil and "without" really does not (ws decides once, at load time).
const require = createRequire(import.meta.url);
const bufferUtil = require(join(dirname(require.resolve('ws')), 'lib/buffer-util.js')) as {
  unmask: (...args: unknown[]) => void;
};
process.stdout.write(`ws-addons bufferutil=${String(bufferUtil.unmask).includes('bufferUtil') ? 'on' : 'off'}\n`);

const port = numberFlag('--port', 0);
const deflate = hasFlag('--deflate');

const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: deflate, maxPayload: 64 * 1024 * 1024 });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
});
server.on('listening', () => announceListening(portOf(server.address())));
exitOnSignals();
