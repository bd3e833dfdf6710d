#!/usr/bin/env node
/**
 * Echo server for interop tests, browsers and benchmarks: echoes text as text and binary as binary,
 * byte for byte, without decoding text. Test hooks (text messages):
 *   "close:CODE:REASON"  the server closes with that code and reason
 *   "terminate"          the server destroys the socket (no closing handshake)
 * The first subprotocol the client offers is selected. A handshake for the path /reject is refused
 * with 403 (for tests of a rejected handshake).
 *
 *   node dist/bin/echo.js [--port 0] [--host 127.0.0.1] [--no-deflate] [--tls-cert F --tls-key F] [--http2]
 *
 * With --http2 WebSockets also arrive as HTTP/2 extended CONNECT streams (RFC 8441): over TLS beside
 * HTTP/1.1 on the same port, without TLS as h2c (prior knowledge only).
 */
import { readFileSync } from 'node:fs';
import { pathOf } from '../upgrade-router.js';
import { WebSocketServer } from '../websocket-server.js';
import { parseServerArgs, urlHost } from './args.js';

const args = parseServerArgs(
  process.argv.slice(2),
  { port: 0, host: '127.0.0.1' },
  'usage: echo [--port N] [--host H] [--no-deflate] [--tls-cert FILE --tls-key FILE] [--http2]',
);
const tls =
  args.tlsCert !== undefined && args.tlsKey !== undefined
    ? { cert: readFileSync(args.tlsCert), key: readFileSync(args.tlsKey) }
    : undefined;

const C = 0x63; // 'c'
const T = 0x74; // 't'
// "close:" + 4 digits + ":" + a 123-byte reason: anything longer is plain data.
const MAX_COMMAND = 134;

const wss = new WebSocketServer({
  port: args.port,
  host: args.host,
  tls,
  http2: args.http2,
  perMessageDeflate: args.deflate,
  selectProtocol: (offered) => offered[0],
  authorize: (request) =>
    pathOf(request.url) === '/reject' ? { status: 403, reason: 'rejected on request (/reject test hook)' } : true,
});

wss.on('connection', (connection) => {
  connection.on('message', (data, isBinary) => {
    // Peek at the first byte before decoding anything: echo stays a byte copy for real traffic.
    if (!isBinary && data.length <= MAX_COMMAND && (data[0] === C || data[0] === T)) {
      const text = data.toString('utf8');
      if (text === 'terminate') return connection.terminate();
      const command = /^close:(\d{1,4}):(.*)$/s.exec(text);
      if (command !== null) {
        try {
          connection.close(Number(command[1]), command[2]);
        } catch {
          connection.close(1008, 'invalid close command');
        }
        return;
      }
    }
    void connection.send(data, { binary: isBinary });
  });
});

wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : args.port;
  console.log(`listening on ${tls !== undefined ? 'wss' : 'ws'}://${urlHost(args.host)}:${port}`);
});
wss.on('error', (error) => {
  console.error(error.message);
  process.exit(1);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  void wss.close().then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
