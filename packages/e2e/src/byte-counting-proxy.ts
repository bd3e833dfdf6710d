import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP relay on 127.0.0.1 that counts the bytes crossing it, to see what really goes over the wire. */
export interface ByteCountingProxy {
  /** The proxy's ws:// URL (same path as the target's). */
  readonly url: string;
  /** Bytes from browser to server and from server to browser since the last reset. */
  counts(): { up: number; down: number };
  reset(): void;
  close(): Promise<void>;
}

/** Relays every connection to `targetUrl`'s host and port, unchanged. */
export async function startByteCountingProxy(targetUrl: string): Promise<ByteCountingProxy> {
  const target = new URL(targetUrl);
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // An error on one side ends both; the browser then sees the close the test expects or fails it.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      up += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      down += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${target.protocol}//127.0.0.1:${port}${target.pathname}`,
    counts: () => ({ up, down }),
    reset() {
      up = 0;
      down = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
