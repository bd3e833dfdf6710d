import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocketConnection } from '@wsts/server';

/** What our server saw when a connection ended. */
export interface ServerSideClose {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/**
 * An in-process @wsts/server WebSocketServer that lets the tests see the server's side of a connection
 * (the echo bin prints nothing per connection) and refuse handshakes on demand:
 *   /reject/...   refused by the `authorize` hook with 403
 *   anything else accepted; echoes, and the close code and reason it receives are kept by path.
 */
export interface ObserverServer {
  readonly url: string;
  /** The close the server recorded for a connection opened on `path`, once it happens. */
  closeOf(path: string, timeoutMs: number): Promise<ServerSideClose>;
  close(): Promise<void>;
}

export async function startObserverServer(): Promise<ObserverServer> {
  const closes = new Map<string, ServerSideClose>();
  const waiters = new Map<string, (close: ServerSideClose) => void>();
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    authorize: (request) =>
      request.url?.startsWith('/reject/') === true ? { status: 403, reason: 'Forbidden by the e2e test' } : true,
  });
  server.on('connection', (connection: WebSocketConnection, request) => {
    const path = request.url ?? '/';
    connection.on('message', (data, isBinary) => void connection.send(data, { binary: isBinary }).catch(() => undefined));
    connection.on('close', (code, reason, wasClean) => {
      const record = { code, reason, wasClean };
      closes.set(path, record);
      waiters.get(path)?.(record);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    closeOf(path, timeoutMs) {
      const known = closes.get(path);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(path);
          reject(new Error(`server saw no close on ${path} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(path, (close) => {
          clearTimeout(timer);
          waiters.delete(path);
          resolve(close);
        });
      });
    },
    close: async () => void (await server.close()),
  };
}
