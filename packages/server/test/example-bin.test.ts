import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBin, type RunningBin } from './helpers/bins.js';
import { rawRequest, upgradeRequest } from './helpers/raw.js';
import { within } from './helpers/servers.js';

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

/** The seed's example server (dist/bin/example.js), driven by a real client: exact lines and statuses. */
describe('example server (the seed)', { timeout: 20_000 }, () => {
  let bin: RunningBin | undefined;
  afterEach(async () => {
    await bin?.stop('SIGKILL');
    bin = undefined;
  });

  it('welcomes, thanks for each message, prints the seed lines', async () => {
    bin = await startBin('example', ['--port', '0', '--host', '127.0.0.1']);
    expect(bin.lines[0]).toBe(`listening on ws://127.0.0.1:${bin.port}`);
    const client = new WebSocket(bin.url);
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString()));
    await within(once(client, 'open'), 5000, 'open');
    for (const m of ['hello', 'héllo wörld ✓', '']) client.send(m);
    while (received.length < 4) await new Promise((r) => setTimeout(r, 10));
    expect(received).toEqual([
      'Welcome to my websocket!',
      'Thanks, I got [hello]',
      'Thanks, I got [héllo wörld ✓]',
      'Thanks, I got []',
    ]);
    client.close(1000);
    await bin.waitForLine('Connection closed');
    expect(bin.lines.slice(1)).toEqual([
      'Received message: hello',
      'Received message: héllo wörld ✓',
      'Received message: ',
      'Connection closed',
    ]);
  });

  it('answers 400 to a plain GET, 405 to POST (with or without Upgrade), 400/426 to bad upgrades', async () => {
    bin = await startBin('example', ['--port', '0', '--host', '127.0.0.1']);
    const port = bin.port;
    const cases: [string, number][] = [
      [`GET / HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
      [`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, 405],
      [upgradeRequest(port, {}, 'POST'), 405],
      [upgradeRequest(port, { Upgrade: 'h2c' }), 400],
      [upgradeRequest(port, { 'Sec-WebSocket-Key': undefined }), 400],
      [upgradeRequest(port, { 'Sec-WebSocket-Key': 'short' }), 400],
      [upgradeRequest(port, { 'Sec-WebSocket-Version': '12' }), 426],
    ];
    for (const [request, status] of cases) {
      const response = await rawRequest(port, request);
      expect(response.status, request).toBe(status);
      if (status === 426) expect(response.headers['sec-websocket-version']).toBe('13');
      response.socket.destroy();
    }
  });

  it('takes its port from PORT when --port is absent', async () => {
    const port = await freePort();
    bin = await startBinWithEnv(port);
    expect(bin.port).toBe(port);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} closes every client with 1001 and exits 0`, async () => {
      bin = await startBin('example', ['--port', '0', '--host', '127.0.0.1']);
      const clients = [new WebSocket(bin.url), new WebSocket(bin.url)];
      await Promise.all(clients.map((c) => within(once(c, 'open'), 5000, 'open')));
      const codes = clients.map((c) => once(c, 'close') as Promise<[number, Buffer]>);
      const exit = await bin.stop(signal);
      expect(exit).toBe(0);
      for (const [code] of await Promise.all(codes)) expect(code).toBe(1001);
      expect(bin.lines.filter((l) => l === 'Connection closed')).toHaveLength(2);
    });
  }
});

async function startBinWithEnv(port: number): Promise<RunningBin> {
  const previous = process.env['PORT'];
  process.env['PORT'] = String(port);
  try {
    return await startBin('example', ['--host', '127.0.0.1']);
  } finally {
    if (previous === undefined) delete process.env['PORT'];
    else process.env['PORT'] = previous;
  }
}
