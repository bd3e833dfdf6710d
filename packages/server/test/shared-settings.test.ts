/**
 * A server's connections share one resolved copy of their settings (the limits, and the codec's
 * options, which the codec then resolves once): memory per idle connection. A connection with its own
 * options, or its own extensions, keeps its own; each still acts on its own state.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketConnection, WebSocketServer } from '../src/index.js';
import { startServer, within } from './helpers/servers.js';

/** The parts of a connection this test looks into (private fields: what is shared is the point). */
interface Inside {
  output: { limits: object };
  codec: { settings: object };
}
const inside = (connection: WebSocketConnection): Inside => connection as unknown as Inside;

let wss: WebSocketServer | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await wss?.close();
  wss = undefined;
});

async function connectTwo(options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocketConnection[]> {
  const started = await startServer({ maxMessageSize: 1000 });
  wss = started.wss;
  const connections: WebSocketConnection[] = [];
  wss.on('connection', (c: WebSocketConnection) => connections.push(c));
  for (let i = 0; i < 2; i++) {
    const client = new WebSocket(started.url, options);
    clients.push(client);
    await within(once(client, 'open'), 5000, 'open');
  }
  await within(
    (async () => {
      while (connections.length < 2) await new Promise((r) => setTimeout(r, 5));
    })(),
    5000,
    'connections',
  );
  return connections;
}

describe("settings shared by a server's connections", () => {
  it('two plain connections hold one copy, and each keeps its own limits in force', async () => {
    const [a, b] = await connectTwo({ perMessageDeflate: false });
    expect(inside(a!).output.limits).toBe(inside(b!).output.limits);
    expect(inside(a!).codec.settings).toBe(inside(b!).codec.settings);
    // The shared limit fails the one connection that passes it, not the other.
    const closed = once(clients[1]!, 'close');
    clients[1]!.send(Buffer.alloc(1001));
    const [code] = (await within(closed, 5000, 'close')) as [number];
    expect(code).toBe(1009);
    const echoed = once(clients[0]!, 'message');
    a!.on('message', (data) => void a!.send(data));
    clients[0]!.send(Buffer.alloc(1000));
    const [data] = (await within(echoed, 5000, 'echo')) as [Buffer];
    expect(data.length).toBe(1000);
  });

  it('connections with permessage-deflate keep codec settings of their own (their extension is theirs)', async () => {
    const [a, b] = await connectTwo({ perMessageDeflate: true });
    expect(a!.extensions).toContain('permessage-deflate');
    expect(inside(a!).codec.settings).not.toBe(inside(b!).codec.settings);
  });
});

describe('settings shared by clients made with the same values', () => {
  it('two connect() clients with the same options share; one with another limit has its own', async () => {
    const { connect } = await import('../src/index.js');
    const started = await startServer();
    wss = started.wss;
    // Without compression: an extension is per connection, and so are the settings of one that has it.
    const a = await connect(started.url, { perMessageDeflate: false });
    const b = await connect(started.url, { perMessageDeflate: false });
    const own = await connect(started.url, { perMessageDeflate: false, maxMessageSize: 1000 });
    try {
      expect(inside(a).codec.settings).toBe(inside(b).codec.settings);
      expect(inside(a).output.limits).toBe(inside(b).output.limits);
      expect(inside(own).codec.settings).not.toBe(inside(a).codec.settings);
      // Each still masks and talks on its own.
      wss.on('connection', () => {});
      const echoed = new Promise<string>((resolve) => own.once('message', (data) => resolve(String(data))));
      for (const c of wss.clients) c.on('message', (data, isBinary) => void c.send(data, { binary: isBinary }));
      await own.send('mine');
      expect(await within(echoed, 5000, 'echo')).toBe('mine');
    } finally {
      for (const c of [a, b, own]) c.terminate();
    }
  });
});
