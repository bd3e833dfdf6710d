import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A WHATWG-style WebSocket constructor, as the shared event script takes it. */
export type WebSocketConstructor = abstract new (url: string, protocols?: string | string[]) => object;

/**
 * Our Node client's WHATWG `WebSocket` class. Taken from the package entry (`@wsts/server`) when it is
 * exported there; otherwise from the built client module, and `source` says which was used.
 */
export async function loadNodeWebSocket(): Promise<{ WebSocket: WebSocketConstructor; source: string }> {
  const entry: Record<string, unknown> = await import('@wsts/server');
  if (typeof entry['WebSocket'] === 'function')
    return { WebSocket: entry['WebSocket'] as WebSocketConstructor, source: '@wsts/server' };
  const built = resolve(here, '../../server/dist/client/index.js');
  if (!existsSync(built)) throw new Error(`@wsts/server exports no WebSocket and ${built} does not exist`);
  const client: Record<string, unknown> = await import(pathToFileURL(built).href);
  if (typeof client['WebSocket'] !== 'function') throw new Error(`${built} exports no WebSocket`);
  return {
    WebSocket: client['WebSocket'] as WebSocketConstructor,
    source: 'packages/server/dist/client (not yet exported by @wsts/server)',
  };
}
