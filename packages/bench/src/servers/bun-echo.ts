/**
 * Bun's built-in WebSocket server (uWebSockets inside) as an echo server: what a Bun user writes,
 * `Bun.serve({ websocket: { message(ws, m) { ws.send(m) } } })`. Run by the bun binary, not Node:
 * `bun dist/servers/bun-echo.js --port 0 [--deflate]`; prints `listening on ws://127.0.0.1:N` like the
 * others. Settings that differ from Bun's defaults, and why:
 * - `maxPayloadLength` 64 MiB, as ws's echo (Bun's default, 16 MiB, would do for the 1 MiB cases too,
 *   but the limits should not differ between contenders);
 * - `idleTimeout: 0` and `sendPings: false`: Bun closes a connection silent for 120 s by default, ws and
 *   ours do not; the scale rows hold silent connections and a slow run can take that long;
 * - `perMessageDeflate` only with `--deflate` (Bun's default is off), and then replies are sent with
 *   `compress` set, which is how Bun's documentation says to compress a message.
 */
import { announceListening, exitOnSignals, hasFlag, numberFlag } from './server-cli.js';

const port = numberFlag('--port', 0);
const deflate = hasFlag('--deflate');

const server = Bun.serve<undefined>({
  hostname: '127.0.0.1',
  port,
  fetch(request, server) {
    if (server.upgrade(request)) return undefined;
    return new Response('WebSocket only\n', { status: 426 });
  },
  websocket: {
    message(ws, message) {
      ws.send(message, deflate);
    },
    perMessageDeflate: deflate,
    maxPayloadLength: 64 * 1024 * 1024,
    idleTimeout: 0,
    sendPings: false,
  },
});
announceListening(server.port);
exitOnSignals();
