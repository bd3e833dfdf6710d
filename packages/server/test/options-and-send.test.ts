/**
 * Nothing fails silently: an option a constructor does not know is a TypeError naming it (and, for a
 * `ws` name, the one to use), and `send` refuses what it cannot send with a rejected promise instead of
 * sending garbage or throwing. Peers: the `ws` client, and our own server where the API is the subject.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, WebSocketConnection, WebSocketServer, WebSocket as WhatwgWebSocket } from '../src/index.js';
import { duplexPair } from './helpers/duplex.js';
import { startEcho, startServer, within } from './helpers/servers.js';

describe('unknown options are errors', () => {
  it('WebSocketServer names the option and, for ws names, the one to use', () => {
    expect(() => new WebSocketServer({ noServer: true, verifyClient: () => true } as never)).toThrow(
      /WebSocketServer: unknown option "verifyClient"; use authorize/,
    );
    expect(() => new WebSocketServer({ noServer: true, handleProtocols: () => false } as never)).toThrow(/selectProtocol/);
    expect(() => new WebSocketServer({ noServer: true, maxPayload: 1 } as never)).toThrow(/use maxMessageSize/);
    expect(() => new WebSocketServer({ noServer: true, maxMesageSize: 1 } as never)).toThrow(/did you mean maxMessageSize/);
    expect(() => new WebSocketServer({ noServer: true, somethingElse: 1 } as never)).toThrow(/unknown option "somethingElse"$/);
  });

  it('the client (connect and the WHATWG class) names them too, before any I/O', async () => {
    await expect(connect('ws://127.0.0.1:1', { followRedirects: true } as never)).rejects.toThrow(
      /"followRedirects"; use maxRedirects/,
    );
    await expect(connect('ws://127.0.0.1:1', { agnet: {} } as never)).rejects.toThrow(/unknown option "agnet"/);
    expect(() => new WhatwgWebSocket('ws://127.0.0.1:1', [], { maxPayload: 5 } as never)).toThrow(TypeError);
  });

  it('a WebSocketConnection you create yourself checks its options', () => {
    const [a, b] = duplexPair();
    expect(() => new WebSocketConnection(a, undefined, { role: 'server', heartbeat: 1000 } as never)).toThrow(
      /WebSocketConnection: unknown option "heartbeat"; use heartbeatInterval/,
    );
    a.destroy();
    b.destroy();
  });
});

/** Resolves once `received` holds `count` messages (or fails after 2 s). */
function receivedCount(received: readonly unknown[], count: number): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const check = (): void => (received.length >= count ? resolve() : void setTimeout(check, 5));
      check();
    }),
    2000,
    `${count} message(s)`,
  );
}

describe('send takes what it can send, and refuses the rest', () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close();
    wss = undefined;
  });

  async function serverAndClient(): Promise<{
    connection: WebSocketConnection;
    client: WebSocket;
    received: [string, boolean][];
  }> {
    const started = await startServer();
    wss = started.wss;
    const opened = once(wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new WebSocket(started.url);
    const received: [string, boolean][] = [];
    client.on('message', (data, isBinary) => received.push([String(data), isBinary]));
    await once(client, 'open');
    const [connection] = await opened;
    return { connection, client, received };
  }

  it('a number goes out as its decimal text, as ws sends it; Date.now() does not throw', async () => {
    const { connection, client, received } = await serverAndClient();
    await connection.send(5 as never);
    const now = Date.now();
    await connection.send(now as never);
    await receivedCount(received, 2);
    expect(received).toEqual([
      ['5', false],
      [String(now), false],
    ]);
    client.close();
  });

  it('null, undefined, objects and booleans are refused with a TypeError; nothing is sent; the callback hears of it', async () => {
    const { connection, client, received } = await serverAndClient();
    for (const bad of [null, undefined, {}, true, [1, 2]]) {
      let called: Error | undefined;
      await expect(connection.send(bad as never, (error) => (called = error))).rejects.toThrow(TypeError);
      await new Promise((resolve) => setImmediate(resolve));
      expect(called).toBeInstanceOf(TypeError);
    }
    await connection.send('after');
    await receivedCount(received, 1);
    expect(received).toEqual([['after', false]]);
    client.close();
  });

  it('ws send options it does not take are refused with a hint (fin: false would otherwise send a whole message)', async () => {
    const { connection, client } = await serverAndClient();
    await expect(connection.send('x', { fin: false } as never)).rejects.toThrow(
      /unknown send\(\) option "fin": send whole messages/,
    );
    await expect(connection.send('x', { compress: true } as never)).rejects.toThrow(/"compress": permessage-deflate/);
    await expect(connection.send('x', { binary: true })).resolves.toBeUndefined();
    client.close();
  });

  it('a send that fails is never an unhandled rejection: failed within send, failed later, or refused', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { connection } = await serverAndClient();
      // Written into this tick's batch, then the socket is gone before the batch is flushed: rejected later.
      const later = connection.send('queued');
      void connection.send('queued and ignored');
      connection.socket.destroy();
      // The socket is gone but its 'close' event is still to come: rejected inside send() itself.
      const atOnce = connection.send('at once');
      let called: Error | undefined;
      void connection.send('with a callback', (error) => (called = error));
      void connection.send('ignored');
      await expect(atOnce).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
      await expect(later).rejects.toThrow();
      expect(called).toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
      await once(connection, 'close');
      // Refused: the connection is closed.
      void connection.send('refused');
      await expect(connection.send('refused too')).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an echo server started with known options still works end to end', async () => {
    const started = await startEcho({ maxFragments: 10 });
    wss = started.wss;
    const client = new WebSocket(started.url);
    await once(client, 'open');
    client.send('ping me');
    const [data] = (await once(client, 'message')) as [Buffer];
    expect(String(data)).toBe('ping me');
    client.close();
  });
});
