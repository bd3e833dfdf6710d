import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketConnection, WebSocketServer } from '../src/index.js';
import { runPython } from './helpers/python.js';
import { startEcho, startServer } from './helpers/servers.js';

/** Our server against Debian's python3-websockets client (a third, independent implementation). */
describe('server <-> python3-websockets client', { timeout: 30_000 }, () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await wss?.close();
    wss = undefined;
  });

  it('echo of text, binary, a fragmented message and a ping; clean close with code and reason', async () => {
    const started = await startEcho({ selectProtocol: (offered) => offered[0] });
    wss = started.wss;
    const closed = once(wss, 'connection').then(([c]) => once(c as WebSocketConnection, 'close'));
    const lines = await runPython(
      `
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], subprotocols=["py.v1"], compression=None) as ws:
        print("protocol", ws.subprotocol)
        await ws.send("héllo from python")
        print("text", await ws.recv())
        await ws.send(bytes([0, 255, 10]))
        print("binary", (await ws.recv()).hex())
        await ws.send(["frag-", "ment", "ed"])
        print("fragmented", await ws.recv())
        await ws.send(bytes(200000))
        print("large", len(await ws.recv()))
        pong = await ws.ping(b"py-ping")
        await asyncio.wait_for(pong, 5)
        print("pong ok")
        await ws.close(4002, "python done")
        print("closed", ws.close_code)
asyncio.run(main())
`,
      [started.url],
    );
    expect(lines).toEqual([
      'protocol py.v1',
      'text héllo from python',
      'binary 00ff0a',
      'fragmented frag-mented',
      'large 200000',
      'pong ok',
      'closed 4002',
    ]);
    const [code, reason, clean] = (await closed) as [number, string, boolean];
    expect([code, reason, clean]).toEqual([4002, 'python done', true]);
  });

  it('server-initiated: pings, a close with code and reason reach python', async () => {
    const started = await startServer();
    wss = started.wss;
    wss.on('connection', (connection) => {
      connection.on('message', (data) => {
        if (data.toString() === 'ready') {
          connection.ping('srv');
          void connection.send(Buffer.from([7, 7]));
          connection.once('pong', (payload) => {
            void connection.send(`pong:${payload.toString()}`);
            connection.close(4100, 'server says bye');
          });
        }
      });
    });
    const lines = await runPython(
      `
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], compression=None) as ws:
        await ws.send("ready")
        print("binary", (await ws.recv()).hex())
        print("text", await ws.recv())
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            # 10.x raises ConnectionClosedOK only for 1000/1001; rcvd_then_sent tells a complete handshake.
            print("closed", e.code, e.reason, e.rcvd_then_sent)
asyncio.run(main())
`,
      [started.url],
    );
    expect(lines).toEqual(['binary 0707', 'text pong:srv', 'closed 4100 server says bye True']);
  });
});
