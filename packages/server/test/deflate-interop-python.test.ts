/**
 * permessage-deflate against Debian's python3-websockets (an independent implementation), both ways.
 * Debian's interpreter is /usr/bin/python3; the one on PATH cannot import the package.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocketConnection } from '../src/index.js';
import { connect } from '../src/client/index.js';
import type { PerMessageDeflateOptions } from '../src/permessage-deflate/index.js';

const PYTHON = '/usr/bin/python3';
const children: ChildProcessWithoutNullStreams[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Settings of websockets' permessage-deflate factories, by their Python keyword names. */
interface PyDeflate {
  server_no_context_takeover?: boolean;
  client_no_context_takeover?: boolean;
  server_max_window_bits?: number;
  client_max_window_bits?: number | boolean;
}

/** Starts a Python process running `script` with a JSON argument; resolves with its stdout lines. */
function python(
  script: string,
  arg: unknown,
  timeoutMs = 15_000,
): { lines: AsyncIterableIterator<string>; done: Promise<string> } {
  const child = spawn(PYTHON, ['-c', script, JSON.stringify(arg)], { stdio: 'pipe' });
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python timed out\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`python exited with ${code}\n${stderr}`));
    });
  });
  done.catch(() => undefined);
  return { lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), done };
}

const ECHO_SERVER = `
import asyncio, json, sys
import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
config = json.loads(sys.argv[1])
headers = []
async def echo(ws, path=None):
    headers.append(ws.request_headers.get("Sec-WebSocket-Extensions", ""))
    async for message in ws:
        await ws.send(message)
    print("offer:" + headers[-1], flush=True)
async def main():
    factory = ServerPerMessageDeflateFactory(**config)
    async with websockets.serve(echo, "127.0.0.1", 0, extensions=[factory], compression=None, max_size=2**24) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(12)
asyncio.run(main())
`;

const CLIENT = `
import asyncio, json, sys
import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
url, config = json.loads(sys.argv[1])
messages = ["Hello", "", "The quick brown fox jumps over the lazy dog. " * 400, bytes(range(256)) * 200,
            "héllo wörld ✓ " * 300, b"a" * 300000, "The quick brown fox jumps over the lazy dog. " * 400]
async def main():
    factory = ClientPerMessageDeflateFactory(**config)
    async with websockets.connect(url, extensions=[factory], compression=None, max_size=2**24) as ws:
        print("response:" + ws.response_headers.get("Sec-WebSocket-Extensions", ""), flush=True)
        for m in messages:
            await ws.send(m)
            echoed = await ws.recv()
            assert echoed == m, (len(echoed), len(m))
        print("echoed:%d" % len(messages), flush=True)
asyncio.run(main())
`;

describe('our server, python3-websockets client', () => {
  const cases: [string, PyDeflate, PerMessageDeflateOptions | undefined, string][] = [
    ['defaults', {}, undefined, 'permessage-deflate'],
    [
      'server_no_context_takeover',
      { server_no_context_takeover: true },
      undefined,
      'permessage-deflate; server_no_context_takeover',
    ],
    [
      'client_no_context_takeover',
      { client_no_context_takeover: true },
      undefined,
      'permessage-deflate; client_no_context_takeover',
    ],
    ['server_max_window_bits=9', { server_max_window_bits: 9 }, undefined, 'permessage-deflate; server_max_window_bits=9'],
    // Node compresses "8" with zlib's 9 (zlib refuses 8 for raw DEFLATE); Python inflates with an 8-bit window.
    ['server_max_window_bits=8', { server_max_window_bits: 8 }, undefined, 'permessage-deflate; server_max_window_bits=8'],
    ['client_max_window_bits=10', { client_max_window_bits: 10 }, undefined, 'permessage-deflate; client_max_window_bits=10'],
    [
      'server lowers the client window it was offered',
      { client_max_window_bits: true },
      { clientMaxWindowBits: 11, threshold: 0 },
      'permessage-deflate; client_max_window_bits=11',
    ],
    [
      'server caps the client window at 8: answered 9, which zlib-based clients can use',
      { client_max_window_bits: true },
      { clientMaxWindowBits: 8, threshold: 0 },
      'permessage-deflate; client_max_window_bits=9',
    ],
    [
      'all four',
      {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 12,
        client_max_window_bits: 9,
      },
      undefined,
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=9',
    ],
  ];
  it.each(cases)(
    '%s',
    async (_name, pyConfig, ourOptions, expected) => {
      // The server's perMessageDeflate is left at its default (on) unless the case tunes it.
      const server = new WebSocketServer({
        port: 0,
        host: '127.0.0.1',
        ...(ourOptions ? { perMessageDeflate: ourOptions } : {}),
      });
      server.on('connection', (conn: WebSocketConnection) => {
        conn.on('message', (data, isBinary) => conn.send(data, { binary: isBinary }));
      });
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      cleanups.push(async () => void (await server.close()));
      const { port } = server.httpServer!.address() as AddressInfo;
      const run = python(CLIENT, [`ws://127.0.0.1:${port}/`, pyConfig]);
      const out = await run.done;
      expect(out).toContain(`response:${expected}\n`);
      expect(out).toContain('echoed:7\n');
    },
    20_000,
  );
});

describe('our client, python3-websockets server', () => {
  const MESSAGES: (string | Buffer)[] = [
    'The quick brown fox jumps over the lazy dog. '.repeat(400),
    '',
    'x',
    Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 31) % 256)),
    'The quick brown fox jumps over the lazy dog. '.repeat(400),
  ];
  const cases: [string, PyDeflate, PerMessageDeflateOptions | undefined, string, string][] = [
    ['defaults', {}, undefined, 'permessage-deflate; client_max_window_bits', 'permessage-deflate'],
    [
      'python imposes everything',
      {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 10,
        client_max_window_bits: 9,
      },
      undefined,
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    ],
    [
      'we request everything',
      {},
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 12 },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12',
    ],
  ];
  it.each(cases)(
    '%s',
    async (_name, pyConfig, ourOptions, offer, response) => {
      const run = python(ECHO_SERVER, pyConfig);
      const first = await run.lines.next();
      const port = Number(first.value);
      expect(port).toBeGreaterThan(0);
      const conn = await connect(
        `ws://127.0.0.1:${port}/`,
        ourOptions ? { perMessageDeflate: { threshold: 0, ...ourOptions } } : {},
      );
      cleanups.push(() => conn.terminate());
      expect(conn.extensions).toBe(response);
      const received: Buffer[] = [];
      const done = new Promise<void>((resolve) =>
        conn.on('message', (data) => {
          received.push(Buffer.from(data));
          if (received.length === MESSAGES.length) resolve();
        }),
      );
      for (const m of MESSAGES) conn.send(m);
      await done;
      expect(received.map((r) => r.toString('hex'))).toEqual(MESSAGES.map((m) => Buffer.from(m).toString('hex')));
      conn.close(1000);
      await new Promise<void>((resolve) => conn.once('close', () => resolve()));
      const offerLine = await run.lines.next();
      expect(offerLine.value).toBe(`offer:${offer}`);
    },
    20_000,
  );
});
