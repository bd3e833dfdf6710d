/**
 * What an idle server connection holds (docs/performance.md, "Memory per idle connection"), checked on
 * the objects themselves rather than by measuring memory: the socket's listeners, the connection's
 * listener table, and that nothing keeps the upgrade request alive.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type WebSocketConnection } from '../src/index.js';
import { closeOf, startServer, within } from './helpers/servers.js';

/** V8 helpers a test may not otherwise reach: enabled for the call, then off again. */
function withV8Flag<T>(flag: string, make: () => T): T {
  setFlagsFromString(`--${flag}`);
  try {
    return make();
  } finally {
    setFlagsFromString(`--no-${flag}`);
  }
}

/** %HasFastProperties: whether V8 keeps `object` with a hidden class rather than as a hash table. */
const hasFastProperties = withV8Flag(
  'allow-natives-syntax',
  () => new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean,
);

/** A full garbage collection (what `--expose-gc` gives), with a turn of the event loop after it. */
const collect = withV8Flag('expose-gc', () => runInNewContext('gc') as () => void);
async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    // A WeakRef target stays alive until the job that last read it has ended: collect on a fresh turn.
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
}

/** The listener table EventEmitter keeps its listeners in (an undocumented field every Node has). */
function listenerTableOf(connection: WebSocketConnection): object {
  return (connection as unknown as { _events: object })._events;
}

describe('an idle server connection', { timeout: 15_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A server on its own HTTP server, one client connected; resolves with both ends and the request. */
  async function opened() {
    const { wss, url } = await startServer();
    cleanups.push(() => wss.close({ timeout: 0 }));
    const accepted = new Promise<[WebSocketConnection, IncomingMessage]>((resolve) =>
      wss.once('connection', (connection, request) => resolve([connection, request])),
    );
    const client = await connect(url);
    cleanups.push(() => client.terminate());
    const [server, request] = await within(accepted, 5000, 'connection');
    return { server, client, request: new WeakRef(request) };
  }

  it('leaves one listener per event it needs on the socket: the request-head watch removed its own', async () => {
    const { server } = await opened();
    const socket = server.socket;
    expect(socket.listenerCount('close')).toBe(1);
    expect(socket.listenerCount('data')).toBe(1);
    expect(socket.listenerCount('error')).toBe(1);
  });

  it('keeps its listeners in a fast-mode table without inherited names', async () => {
    const { server, client } = await opened();
    expect(hasFastProperties(listenerTableOf(server))).toBe(true);
    // Names of Object.prototype find nothing to call.
    const untyped = server as unknown as EventEmitter;
    for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      expect(untyped.emit(name), name).toBe(false);
      expect(untyped.listenerCount(name), name).toBe(0);
    }
    const got: string[] = [];
    const onMessage = (data: Buffer): void => {
      got.push(data.toString());
    };
    server.on('message', onMessage);
    const closed = closeOf(server);
    expect(server.eventNames()).toEqual(['message', 'close']);
    expect(hasFastProperties(listenerTableOf(server))).toBe(true);
    await client.send('one');
    await within(new Promise((resolve) => server.once('message', resolve)), 5000, 'message');
    server.off('message', onMessage);
    await client.send('two');
    await within(new Promise((resolve) => server.once('message', resolve)), 5000, 'second message');
    expect(got).toEqual(['one']);
    client.close(1000, 'bye');
    expect(await within(closed, 5000, 'close')).toEqual([1000, 'bye', true]);
  });

  it('does not keep the upgrade request alive once the connection is open', async () => {
    const { server, request } = await opened();
    await collectGarbage();
    expect(server.state).toBe('open');
    expect(request.deref()).toBeUndefined();
  });
});
