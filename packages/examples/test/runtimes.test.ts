/**
 * runtimes/deno.ts and runtimes/bun.ts run under the real Deno and Bun binaries (the npm packages
 * @deno/linux-x64-glibc and @oven/bun-linux-x64 carry them), importing @wsts/protocol from its built
 * dist/. Each is an echo server driven by the `ws` client, and a client driven against a `ws` server:
 * only Deno's and Bun's own TCP APIs and the codec are between the two peers. In each runtime too, the
 * codec's WebAssembly SIMD kernels are checked against its scalar loops (fixtures/wasm-kernels-check.ts).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const runtimesDir = join(here, '..', 'runtimes');

/** The binary inside an npm package, found through node_modules as Node would resolve the package. */
function binaryIn(pkg: string, inside: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), inside);
}

let scratch = '';
beforeAll(() => {
  // The examples import the codec by name, which resolves to its build: say so instead of failing obscurely.
  const dist = join(here, '..', 'node_modules', '@wsts', 'protocol', 'dist', 'index.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build first (pnpm build)`);
  scratch = mkdtempSync(join(tmpdir(), 'wsts-runtimes-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Runtime {
  name: 'deno' | 'bun';
  command: () => string;
  args: (script: string, rest: string[]) => string[];
  env: () => Record<string, string>;
}

const RUNTIMES: Runtime[] = [
  {
    name: 'deno',
    command: () => binaryIn('@deno/linux-x64-glibc', 'deno'),
    // Network to 127.0.0.1 only; no prompt (a missing permission fails instead of waiting); no lock file written.
    args: (script, rest) => ['run', '--no-prompt', '--no-lock', '--allow-net=127.0.0.1', script, ...rest],
    // Deno's compile cache goes to a scratch folder, not the user's home.
    env: () => ({ DENO_DIR: join(scratch, 'deno'), DENO_NO_UPDATE_CHECK: '1' }),
  },
  {
    name: 'bun',
    command: () => binaryIn('@oven/bun-linux-x64', 'bin/bun'),
    // --no-install: resolve from node_modules only, never fetch a missing package.
    args: (script, rest) => ['run', '--no-install', script, ...rest],
    env: () => ({ BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0', DO_NOT_TRACK: '1' }),
  },
];

interface Child {
  process: ChildProcessWithoutNullStreams;
  lines: string[];
  stderr: () => string;
  line(matching: RegExp, ms?: number): Promise<string>;
  exit(ms?: number): Promise<number | null>;
}

function run(runtime: Runtime, rest: string[], script = join(runtimesDir, `${runtime.name}.ts`)): Child {
  const child = spawn(runtime.command(), runtime.args(script, rest), {
    cwd: join(here, '..'),
    env: { PATH: process.env.PATH ?? '', HOME: scratch, NO_COLOR: '1', ...runtime.env() },
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = once(child, 'close').then(() => child.exitCode);
  return {
    process: child,
    lines,
    stderr: () => stderr,
    async line(matching, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = lines.find((l) => matching.test(l));
        if (found !== undefined) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `${runtime.name}: no line ${matching} (exit ${child.exitCode}); stdout ${lines.join(' | ')}; stderr ${stderr}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async exit(ms = 15_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function reply(client: WebSocket, send: () => void): Promise<{ data: Buffer; isBinary: boolean }> {
  const next = once(client, 'message') as Promise<[Buffer, boolean]>;
  send();
  const [data, isBinary] = await within(next, 5000, 'echo');
  return { data, isBinary };
}

/** One raw HTTP exchange: the runtime's answer to a request that is not a WebSocket upgrade. */
async function plainRequest(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await once(socket, 'connect');
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  await within(once(socket, 'end'), 5000, 'response end');
  socket.destroy();
  return text;
}

describe.each(RUNTIMES)('@wsts/protocol under $name', { timeout: 60_000 }, (runtime) => {
  const children: Child[] = [];
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exit();
    }
  });

  it('runs the example with the binary from node_modules', async () => {
    const version = spawn(runtime.command(), ['--version']);
    let out = '';
    version.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await once(version, 'close');
    expect(out).toMatch(runtime.name === 'deno' ? /^deno \d+\.\d+\.\d+/ : /^\d+\.\d+\.\d+/);
    // An unknown mode: the script runs, loads the codec, prints its usage and exits 2.
    const child = run(runtime, ['--help']);
    children.push(child);
    expect(await child.exit()).toBe(2);
    expect(child.lines).toEqual([`usage: ${runtime.name}.ts serve [port] | ${runtime.name}.ts connect ws://host:port/path`]);
  });

  it('serves: echoes text, binary, a fragmented and a large message to the ws client; refuses plain HTTP; 1007 for bad UTF-8', async () => {
    const server = run(runtime, ['serve', '0']);
    children.push(server);
    const port = Number(/:(\d+)$/.exec(await server.line(/^listening on ws:\/\/127\.0\.0\.1:\d+$/))![1]);

    const client = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    clients.push(client);
    await within(once(client, 'open'), 10_000, 'open');
    expect(client.extensions).toBe(''); // no extension negotiated: the codec alone speaks

    expect(await reply(client, () => client.send('héllo'))).toEqual({ data: Buffer.from('héllo'), isBinary: false });
    const bytes = Buffer.from([0, 127, 128, 255]);
    expect(await reply(client, () => client.send(bytes))).toEqual({ data: bytes, isBinary: true });
    const fragmented = await reply(client, () => {
      client.send('one ', { fin: false });
      client.send('two ', { fin: false });
      client.send('three', { fin: true });
    });
    expect(fragmented.data.toString()).toBe('one two three');
    const large = Buffer.alloc(1024 * 1024, 7);
    expect((await reply(client, () => client.send(large))).data.equals(large)).toBe(true);
    const pong = once(client, 'pong') as Promise<[Buffer]>;
    client.ping('are you there');
    expect((await within(pong, 5000, 'pong'))[0].toString()).toBe('are you there');

    expect(await plainRequest(port)).toMatch(/^HTTP\/1\.1 400 [^\r\n]*Upgrade[^\r\n]*\r\n/);

    // Invalid UTF-8 in a text frame (ws sends the buffer as it is): the codec fails the connection with 1007.
    const strict = new WebSocket(`ws://127.0.0.1:${port}/`);
    clients.push(strict);
    await within(once(strict, 'open'), 10_000, 'open');
    const failed = once(strict, 'close') as Promise<[number, Buffer]>;
    strict.send(Buffer.from([0xc3, 0x28]), { binary: false });
    expect((await within(failed, 5000, 'close 1007'))[0]).toBe(1007);

    // SIGTERM: the client still open is told 1001 Going Away, then the process exits 0.
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    server.process.kill('SIGTERM');
    const [code, reason] = await within(closed, 10_000, 'close 1001');
    expect([code, reason.toString()]).toEqual([1001, 'server shutting down']);
    expect(await server.exit()).toBe(0);
  });

  it("runs the codec's WebAssembly SIMD kernels, which give exactly what its scalar loops give", async () => {
    const check = run(runtime, [], join(here, 'fixtures', 'wasm-kernels-check.ts'));
    children.push(check);
    const code = await check.exit(30_000);
    const report = JSON.parse(check.lines.at(-1) ?? '{}') as { wasm?: boolean; checks?: number; mismatches?: string[] };
    expect({ code, stderr: check.stderr(), wasm: report.wasm, mismatches: report.mismatches }).toEqual({
      code: 0,
      stderr: '',
      wasm: true,
      mismatches: [],
    });
    expect(report.checks).toBeGreaterThan(20_000);
  });

  it('connects: one round trip against a ws server, then a clean close 1000', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const seen: { path: string | undefined; messages: [string, boolean][]; close?: [number, string] } = {
      path: undefined,
      messages: [],
    };
    wss.on('connection', (socket, request) => {
      seen.path = request.url;
      socket.on('message', (data: Buffer, isBinary) => {
        seen.messages.push([isBinary ? [...data].join(',') : data.toString(), isBinary]);
        socket.send(data, { binary: isBinary });
      });
      socket.on('close', (code, reason) => (seen.close = [code, reason.toString()]));
    });
    try {
      const { port } = wss.address() as net.AddressInfo;
      const client = run(runtime, ['connect', `ws://127.0.0.1:${port}/from-${runtime.name}?x=1`]);
      children.push(client);
      expect(await client.exit()).toBe(0);
      expect(client.lines).toEqual([`text hello from ${runtime.name}`, 'binary 1,2,3', 'close 1000 done', 'closed']);
      // The ws server checks masking and framing itself; what it received is what was sent.
      expect(seen).toEqual({
        path: `/from-${runtime.name}?x=1`,
        messages: [
          [`hello from ${runtime.name}`, false],
          ['1,2,3', true],
        ],
        close: [1000, 'done'],
      });
    } finally {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
