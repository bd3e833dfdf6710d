import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Files served by path, e.g. "/page.js". */
export type StaticFiles = ReadonlyMap<string, { readonly body: string; readonly type: string }>;

/** A tiny HTTP server on 127.0.0.1 that serves the test page and its scripts. */
export interface StaticServer {
  readonly origin: string;
  /** Adds or replaces a file while running (bundles built after start). */
  set(path: string, body: string, type: string): void;
  close(): Promise<void>;
}

/** The page: loads scripts in order; nothing else, so engines spend no time on layout. */
export function pageHtml(scripts: readonly string[]): string {
  const tags = scripts.map((src) => `<script src="${src}"></script>`).join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>wsts e2e</title></head>\n<body>\n${tags}\n</body></html>\n`;
}

export async function startStaticServer(initial: StaticFiles): Promise<StaticServer> {
  const files = new Map(initial);
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = files.get(path);
    if (request.method !== 'GET' || file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    set(path, body, type) {
      files.set(path, { body, type });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
