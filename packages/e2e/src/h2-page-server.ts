/**
 * The test page and an echo WebSocketServer on one HTTP/2 origin (TLS, HTTP/1.1 beside it): what a
 * browser needs to open its WebSockets as extended CONNECT streams (RFC 8441) of the page's own
 * connection. In-process, so the test can count from the server's side how each WebSocket arrived.
 */
import { once } from 'node:events';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@wsts/server';
import type { StaticFiles } from './static-server.js';

export interface Http2PageServer {
  /** https://127.0.0.1:PORT */
  readonly origin: string;
  /** wss://127.0.0.1:PORT/ */
  readonly url: string;
  /** WebSockets that arrived as HTTP/2 streams, and as HTTP/1.1 upgrades. */
  readonly arrived: { h2: number; h1: number };
  close(): Promise<void>;
}

export async function startHttp2PageServer(files: StaticFiles, tls: { cert: string; key: string }): Promise<Http2PageServer> {
  const server = http2.createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, (request, response) => {
    const path = new URL(request.url ?? '/', 'https://127.0.0.1').pathname;
    const file = files.get(path);
    if (request.method !== 'GET' || file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const arrived = { h2: 0, h1: 0 };
  wss.on('connection', (connection, request) => {
    if (request.httpVersion === '2.0') arrived.h2++;
    else arrived.h1++;
    connection.on('message', (data, binary) => {
      // The echo server's hook: "close:CODE:REASON" makes the server close.
      const command = binary || data.length > 134 ? null : /^close:(\d{4}):(.*)$/s.exec(data.toString());
      if (command !== null) connection.close(Number(command[1]), command[2]);
      else void connection.send(data, { binary }).catch(() => {});
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return {
    origin: `https://127.0.0.1:${port}`,
    url: `wss://127.0.0.1:${port}/`,
    arrived,
    async close() {
      await wss.close({ timeout: 1000 });
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
