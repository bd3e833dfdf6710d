#!/usr/bin/env node
/**
 * The seed's example server, written with the seed's API so it reads like the OCaml original:
 * check the request, answer 101 with `upgrade`'s headers (or the error), run the handler.
 *
 *   node dist/bin/example.js [--port 8000] [--host 0.0.0.0]      (PORT env works too)
 */
import * as http from 'node:http';
import { rejectHandshake, writeHttpResponse } from '../http-response.js';
import { handleServer, type Handler } from '../seed.js';
import type { WebSocketConnection } from '../websocket-connection.js';
import { isWebSocketUpgrade, upgrade } from '@wsts/protocol';
import { parseServerArgs, urlHost } from './args.js';

const args = parseServerArgs(process.argv.slice(2), { port: 8000, host: '0.0.0.0' }, 'usage: example [--port N] [--host H]');

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

const server = http.createServer((request, response) => {
  // Node routes requests carrying `Upgrade` to 'upgrade'; what arrives here is plain HTTP.
  const status = request.method === 'GET' ? 400 : 405;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(status === 405 ? { Allow: 'GET' } : {}) });
  response.end(status === 400 ? 'Expected a WebSocket upgrade\n' : 'Method not allowed\n');
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
  console.log(`listening on ws://${urlHost(args.host)}:${port}`);
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
