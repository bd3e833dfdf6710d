#!/usr/bin/env node
/**
 * The seed's example server, written with the seed's API so it reads like the OCaml original:
 * check the request, answer 101 with `upgrade`'s headers (or the error), run the handler.
 *
 *   node dist/bin/example.js [--port 8000] [--host 0.0.0.0]      (PORT env works too)
 *                            [--http2 [--tls-cert FILE --tls-key FILE]]
 *
 * With --http2 the same handler also serves WebSockets over HTTP/2 (RFC 8441, extended CONNECT): over
 * TLS with HTTP/1.1 beside it on the same port, or as h2c (prior knowledge) without a certificate.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { rejectHandshake, writeHttpResponse } from '../http-response.js';
import { handleServer, type Handler } from '../seed.js';
import type { WebSocketConnection } from '../websocket-connection.js';
import { acceptExtendedConnect, isWebSocketUpgrade, upgrade } from '@wsts/protocol';
import { resetWhenEnded } from '../h2-wire.js';
import { parseServerArgs, urlHost } from './args.js';

const args = parseServerArgs(
  process.argv.slice(2),
  { port: 8000, host: '0.0.0.0' },
  'usage: example [--port N] [--host H] [--http2 [--tls-cert FILE --tls-key FILE]]',
);
if (args.tlsCert !== undefined && !args.http2) {
  console.error(
    '--tls-cert and --tls-key go with --http2 here\nusage: example [--port N] [--host H] [--http2 [--tls-cert FILE --tls-key FILE]]',
  );
  process.exit(2);
}

const handler: Handler = (send) => {
  send('Welcome to my websocket!');
  return (message) => {
    if (message !== undefined) {
      console.log(`Received message: ${message}`);
      send(`Thanks, I got [${message}]`);
    } else {
      console.log('Connection closed');
    }
  };
};

const run = handleServer(handler);
const connections = new Set<WebSocketConnection>();

function answerPlain(
  request: http.IncomingMessage | http2.Http2ServerRequest,
  response: http.ServerResponse | http2.Http2ServerResponse,
): void {
  // Node routes requests carrying `Upgrade` to 'upgrade' (and CONNECTs to 'connect'); what arrives here is plain HTTP.
  const status = request.method === 'GET' ? 400 : 405;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(status === 405 ? { Allow: 'GET' } : {}) });
  response.end(status === 400 ? 'Expected a WebSocket upgrade\n' : 'Method not allowed\n');
}

const h2Settings = { enableConnectProtocol: true, initialWindowSize: 1024 * 1024 };
const server: http.Server | http2.Http2Server | http2.Http2SecureServer = !args.http2
  ? http.createServer(answerPlain)
  : args.tlsCert !== undefined && args.tlsKey !== undefined
    ? http2.createSecureServer(
        { cert: readFileSync(args.tlsCert), key: readFileSync(args.tlsKey), allowHTTP1: true, settings: h2Settings },
        answerPlain,
      )
    : http2.createServer({ settings: h2Settings }, answerPlain);

// An HTTP/2 extended CONNECT: the same checks and handler, a 200 on the stream instead of the 101.
server.on('connect', (request: http2.Http2ServerRequest | http.IncomingMessage, response: unknown) => {
  if (!(request instanceof http2.Http2ServerRequest)) return (response as { destroy(): void }).destroy();
  const stream = request.stream;
  stream.on('error', () => {});
  const result = acceptExtendedConnect(request.headers);
  if (!result.ok) {
    stream.respond({
      ':status': result.status,
      'content-type': 'text/plain; charset=utf-8',
      ...Object.fromEntries(result.headers),
    });
    stream.end(`${result.reason}\n`);
    return;
  }
  stream.respond({ ':status': 200, ...Object.fromEntries(result.headers) });
  resetWhenEnded(stream);
  const connection = run(stream, Buffer.alloc(0));
  connections.add(connection);
  connection.once('close', () => connections.delete(connection));
});

server.on('upgrade', (request: http.IncomingMessage, socket, head: Buffer) => {
  socket.on('error', () => {}); // a client reset must not crash the example
  if (request.method !== 'GET') return rejectHandshake(socket, 405, 'Method not allowed', [['Allow', 'GET']]);
  if (!isWebSocketUpgrade(request.headers)) return rejectHandshake(socket, 400, 'Not a WebSocket upgrade');
  const result = upgrade(request.headers);
  if (!result.ok) return rejectHandshake(socket, result.status, result.reason, result.headers);
  writeHttpResponse(socket, 101, result.headers);
  const connection = run(socket, head);
  connections.add(connection);
  connection.once('close', () => connections.delete(connection));
});

server.listen(args.port, args.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : args.port;
  const scheme = args.tlsCert !== undefined ? 'wss' : 'ws';
  console.log(`listening on ${scheme}://${urlHost(args.host)}:${port}`);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.close();
  const pending = [...connections].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
  for (const connection of connections) connection.close(1001, 'server shutting down');
  // Each connection is destroyed after its close timeout at the latest; this is the overall bound.
  const force = setTimeout(() => process.exit(0), 12_000);
  force.unref();
  void Promise.all(pending).then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
