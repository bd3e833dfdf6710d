/**
 * Interop with python3-websockets (Debian's package, importable from /usr/bin/python3), over TCP on
 * 127.0.0.1: our server codec against its client, our client codec against its server.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { cleanups, openClient, startServer } from './tcp-helpers.js';

const PYTHON = '/usr/bin/python3';

function pythonHasWebsockets(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
const available = pythonHasWebsockets();
if (!available) console.warn('python3-websockets is missing (scripts/setup-system.sh installs it): skipping its interop tests');

const CLIENT = `
import asyncio, json, sys
import websockets

async def main(url):
    out = []
    async with websockets.connect(url, subprotocols=['echo'], max_size=2**22) as ws:
        out.append(['protocol', ws.subprotocol])
        await ws.send('hello κόσμε')
        out.append(['text', await ws.recv()])
        await ws.send(bytes([0, 1, 2, 255]))
        out.append(['binary', (await ws.recv()).hex()])
        await ws.send(['frag', 'men', 'ted'])
        out.append(['fragmented', await ws.recv()])
        big = b'x' * 300000
        await ws.send(big)
        echoed = await ws.recv()
        out.append(['big', len(echoed), echoed == big])
        pong = await ws.ping(b'p')
        await asyncio.wait_for(pong, 5)
        out.append(['pong', True])
        await ws.close(4001, 'bye')
        out.append(['close', ws.close_code])
    print(json.dumps(out), flush=True)

asyncio.run(asyncio.wait_for(main(sys.argv[1]), 15))
`;

const SERVER = `
import asyncio, websockets

async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)

async def main():
    async with websockets.serve(echo, '127.0.0.1', 0, subprotocols=['chat'], compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(20)

asyncio.run(main())
`;

function run(script: string, args: string[]): ChildProcess {
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 25_000 });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill();
  });
  return child;
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  for await (const chunk of child.stdout!) {
    text += (chunk as Buffer).toString();
    if (text.includes('\n')) return text.split('\n')[0]!;
  }
  throw new Error(`python exited without output: ${errors}`);
}

describe.skipIf(!available)('python3-websockets', () => {
  it('its client against our server codec: echo, fragments, large message, ping, close', async () => {
    const events: string[] = [];
    const { port } = await startServer(events);
    const child = run(CLIENT, [`ws://127.0.0.1:${port}/path`]);
    const result = JSON.parse(await firstLine(child)) as unknown[];
    expect(result).toEqual([
      ['protocol', 'echo'],
      ['text', 'hello κόσμε'],
      ['binary', '000102ff'],
      ['fragmented', 'fragmented'],
      ['big', 300000, true],
      ['pong', true],
      ['close', 4001],
    ]);
    expect(events.slice(-2)).toEqual(['close:4001:bye', 'closed']);
  });

  it('its server against our client codec: echo, fragments, pings, clean close with the server closing TCP', async () => {
    const child = run(SERVER, []);
    const port = Number(await firstLine(child));
    const events: string[] = [];
    const { connection, socket, protocol } = await openClient(port, events, ['other', 'chat'], 5);
    expect(protocol).toBe('chat');
    connection.send('hello python, in 5-byte frames', false);
    connection.send(Uint8Array.of(9, 8, 7), true);
    connection.ping('ours');
    await vi.waitFor(() => expect(events).toHaveLength(3), { timeout: 10_000 });
    // The pong may overtake the echoes (the server answers pings as soon as it reads them).
    expect(events.filter((e) => !e.startsWith('pong'))).toEqual(['text:hello python, in 5-byte frames', 'binary:090807']);
    expect(events).toContain(`pong:${Buffer.from('ours').toString('hex')}`);
    connection.close(1000, 'done');
    await once(socket, 'close');
    expect(events.slice(-2)).toEqual(['close:1000:done', 'closed']); // websockets echoes the reason too
  });
});
