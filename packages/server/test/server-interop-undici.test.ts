import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as UndiciWebSocket, type CloseEvent, type MessageEvent } from 'undici';
import type { WebSocketConnection, WebSocketServer } from '../src/index.js';
import { startEcho, startServer, within } from './helpers/servers.js';

function nextEvent<T>(target: UndiciWebSocket, type: 'open' | 'message' | 'close' | 'error'): Promise<T> {
  return new Promise((resolve) => target.addEventListener(type, (event) => resolve(event as T), { once: true }));
}

/** Our server against undici's WHATWG WebSocket, an independent implementation. */
describe('server <-> undici WebSocket', { timeout: 15_000 }, () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close();
    wss = undefined;
  });

  async function pair(protocols?: string[]) {
    const started = await startServer({ selectProtocol: (offered) => offered[offered.length - 1] });
    wss = started.wss;
    const accepted = once(started.wss, 'connection') as Promise<[WebSocketConnection]>;
    const client = new UndiciWebSocket(started.url, protocols);
    client.binaryType = 'arraybuffer';
    await within(nextEvent(client, 'open'), 5000, 'open');
    const [server] = await within(accepted, 5000, 'connection');
    return { client, server };
  }

  it('messages in both directions keep type and bytes', async () => {
    const { client, server } = await pair();
    const got: unknown[] = [];
    server.on('message', (data, isBinary) => got.push(isBinary ? [...data] : data.toString()));
    client.send('from undici ✓');
    client.send(new Uint8Array([1, 2, 3]));
    while (got.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['from undici ✓', [1, 2, 3]]);

    const text = nextEvent<MessageEvent>(client, 'message');
    void server.send('from us ✓');
    expect((await within(text, 5000, 'text')).data).toBe('from us ✓');
    const binary = nextEvent<MessageEvent>(client, 'message');
    void server.send(new Uint8Array([4, 5]));
    expect([...new Uint8Array((await within(binary, 5000, 'binary')).data as ArrayBuffer)]).toEqual([4, 5]);
  });

  it('the selected subprotocol shows on both sides', async () => {
    const { client, server } = await pair(['one', 'two']);
    expect(client.protocol).toBe('two');
    expect(server.protocol).toBe('two');
    client.close();
  });

  it('server close reaches the page-like client with code, reason, wasClean', async () => {
    const { client, server } = await pair();
    const closed = nextEvent<CloseEvent>(client, 'close');
    server.close(4000, 'bye');
    const event = await within(closed, 5000, 'close');
    expect([event.code, event.reason, event.wasClean]).toEqual([4000, 'bye', true]);
  });

  it('client close reaches the server with code and reason', async () => {
    const { client, server } = await pair();
    const closed = once(server, 'close') as Promise<[number, string, boolean]>;
    client.close(3001, 'done here');
    expect(await within(closed, 5000, 'close')).toEqual([3001, 'done here', true]);
  });

  it('terminate shows as 1006 and wasClean false', async () => {
    const { client, server } = await pair();
    const closed = nextEvent<CloseEvent>(client, 'close');
    server.terminate();
    const event = await within(closed, 5000, 'close');
    expect([event.code, event.wasClean]).toEqual([1006, false]);
  });

  it("Node 20's own global WebSocket (--experimental-websocket) echoes text and binary and closes cleanly", async () => {
    const started = await startEcho({ selectProtocol: (offered) => offered[0] });
    wss = started.wss;
    const closed = once(wss, 'connection').then(
      ([c]) => new Promise<unknown[]>((r) => (c as WebSocketConnection).once('close', (...a) => r(a))),
    );
    const script = `
      const ws = new WebSocket(process.argv[1], ['node.v1']);
      ws.binaryType = 'arraybuffer';
      const out = [];
      ws.onopen = () => { out.push('open ' + ws.protocol); ws.send('hi ✓'); ws.send(new Uint8Array([5, 6])); };
      ws.onmessage = (e) => {
        out.push(typeof e.data === 'string' ? 'text ' + e.data : 'binary ' + [...new Uint8Array(e.data)].join(','));
        if (out.length === 3) ws.close(4004, 'node done');
      };
      ws.onclose = (e) => { out.push('close ' + e.code + ' ' + e.reason + ' ' + e.wasClean); console.log(JSON.stringify(out)); };
    `;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--experimental-websocket', '--no-warnings', '-e', script, started.url],
        { timeout: 10_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    // The initiator's close event shows the reply, which carries the code but not the reason.
    expect(JSON.parse(stdout)).toEqual(['open node.v1', 'text hi ✓', 'binary 5,6', 'close 4004  true']);
    expect(await within(closed, 5000, 'server close')).toEqual([4004, 'node done', true]);
  });
});
