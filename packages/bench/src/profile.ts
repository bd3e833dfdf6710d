/**
 * `pnpm --filter @wsts/bench profile <target> [options]`: runs one of our hot paths under
 * `node --cpu-prof` and prints the hottest functions (self and total time), so a shortfall in the bench
 * table can be traced to a function in packages/protocol or packages/server.
 *
 *   profile echo   [--server ours|ws] [--size N] [--connections N] [--duration MS] [--text] [--deflate]
 *   profile codec  <decode|encode|encode-masked|utf8-ascii|utf8-mixed|unmask> [--size N] [--duration MS]
 *   profile handshake [--server ours|ws] [--connections N] [--deflate]
 *   profile memory [--server ours|ws|node-floor] [--connections N] [--deflate]   (heap growth per idle connection)
 *   profile client [--client ours|whatwg|ws|undici] [--send] [--size N] [--duration MS]   (the client's process)
 *
 * `--deflate` negotiates permessage-deflate as the bench's deflate rows do (the generator sends compressed
 * text with client_no_context_takeover; the server compresses replies of at least its threshold). Only
 * the main thread is sampled: zlib work on libuv's thread pool shows up as the callbacks' JS, not as zlib
 * itself (use `perf` on the server for that).
 *
 * Profiles are written under results/profiles/ (ignored by git) and can be opened in Chrome DevTools.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killChildrenOnSignals } from './children.js';
import { forkWorker, nextMessage, reap } from './load/fork-worker.js';
import { CLIENT_IDS, type ClientId, type ClientJob, type ClientReply } from './load/client-job.js';
import { windowFor, type EchoJob, type EchoWorkerMessage } from './load/echo-job.js';
import type { ScaleReply, ScaleRequest } from './load/scale-job.js';
import { renderHotFunctions, summarizeProfile } from './report/cpu-profile.js';
import { groupHeap, growthPerConnection } from './report/heap-snapshot.js';
import { startServer } from './servers/server-process.js';
import { serverKinds } from './servers/server-kinds.js';
import { headerLength } from './wire/frames.js';

killChildrenOnSignals();

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2).filter((a) => a !== '--');
const target = args[0] ?? 'echo';
function option(name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}
const size = Number(option('--size', '1024'));
const connections = Number(option('--connections', '64'));
const durationMs = Number(option('--duration', '3000'));
const serverId = option('--server', 'ours');
const deflate = args.includes('--deflate');

const dir = resolve(here, '..', 'results', 'profiles', `${target}-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const profileFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];

/** The server to profile: a Node one only, since the profiles are V8's (`--cpu-prof`, heap snapshots). */
function profileKind(): ReturnType<typeof serverKinds>[number] {
  const kinds = serverKinds({ deflate, withoutAddons: false }).filter((k) => k.runtime === 'node');
  const kind = kinds.find((k) => k.id === serverId);
  if (!kind)
    throw new Error(`--server must be one of ${kinds.map((k) => k.id).join(', ')} (Node servers: the profiles are V8's)`);
  return kind;
}

async function profileServer(kindOf: 'echo' | 'handshake'): Promise<void> {
  const kind = profileKind();
  const server = await startServer(kind, 15_000, profileFlags);
  try {
    if (kindOf === 'echo') {
      const worker = forkWorker('echo-worker');
      const job: EchoJob = {
        port: server.port,
        size,
        connections,
        window: windowFor(size + headerLength(size, true), connections),
        warmupMs: 300,
        durationMs,
        maxMessages: 1e9,
        deflate,
        text: args.includes('--text'),
        connectTimeoutMs: 30_000,
      };
      worker.send(job);
      for (;;) {
        const m = await nextMessage<EchoWorkerMessage>(worker, durationMs + 60_000, 'profile echo');
        if (m.type === 'result') {
          console.log(m.result.ok ? `${Math.round(m.result.msgPerSec)} msg/s under the profiler` : `FAILED ${m.result.error}`);
          break;
        }
      }
      await reap(worker);
    } else {
      const worker = forkWorker('scale-worker');
      worker.send({
        type: 'open',
        port: server.port,
        count: connections,
        concurrency: 128,
        deflate,
        timeoutMs: 30_000,
        addressBlock: process.pid,
      } satisfies ScaleRequest);
      const m = await nextMessage<ScaleReply>(worker, 120_000, 'profile handshake');
      if (m.type === 'opened' && m.ok) console.log(`${Math.round(m.handshakesPerSec)} handshakes/s under the profiler`);
      worker.send({ type: 'close' } satisfies ScaleRequest);
      await nextMessage<ScaleReply>(worker, 30_000, 'profile handshake close').catch(() => undefined);
      await reap(worker);
    }
  } finally {
    await server.stop();
  }
}

/**
 * Opens idle connections in two steps, a third of N then the rest, and has the server write a heap
 * snapshot after each (after a forced GC): the heap's growth between the two, per connection and by
 * constructor (see `growthPerConnection`), is what one idle connection holds, without the process's
 * fixed cost. Also prints the RSS at both points.
 */
async function profileMemory(): Promise<void> {
  const kind = profileKind();
  // SIGHUP: the gc hook owns SIGUSR2 and SIGUSR1 is the inspector's.
  const server = await startServer(kind, 15_000, ['--heapsnapshot-signal=SIGHUP', `--diagnostic-dir=${dir}`]);
  const worker = forkWorker('scale-worker');
  const first = Math.max(1, Math.round(connections / 3));
  const steps = [first, connections - first];
  let block = process.pid;
  try {
    const snapshots: string[] = [];
    const rss: number[] = [];
    for (const count of steps) {
      worker.send({
        type: 'open',
        port: server.port,
        count,
        concurrency: 128,
        deflate,
        timeoutMs: 30_000,
        addressBlock: block++,
      } satisfies ScaleRequest);
      const m = await nextMessage<ScaleReply>(worker, 120_000, 'profile memory');
      if (m.type !== 'opened' || !m.ok) throw new Error('could not open the connections');
      rss.push(await server.collectAndMeasure());
      snapshots.push(await heapSnapshot(server.pid, snapshots));
    }
    const growth = growthPerConnection(groupHeap(snapshots[0]!), groupHeap(snapshots[1]!), steps[1]!);
    console.log(
      `\n${snapshots.join('\n')}\n${kind.label}: RSS ${(rss[0]! / 2 ** 20).toFixed(1)} MiB with ${first} idle connections, ${(rss[1]! / 2 ** 20).toFixed(1)} MiB with ${connections}; the JS heap grew by ${Math.round(growth.totalBytes)} bytes per connection\n`,
    );
    console.log('| group (what holds it) | per connection | bytes per connection |\n|---|---:|---:|');
    for (const g of growth.groups.filter((g) => Math.abs(g.selfBytes) >= 2).slice(0, 40))
      console.log(`| ${g.name.replaceAll('|', '\\|')} | ${g.count.toFixed(2)} | ${g.selfBytes.toFixed(0)} |`);
  } finally {
    worker.send({ type: 'close' } satisfies ScaleRequest);
    await nextMessage<ScaleReply>(worker, 30_000, 'profile memory close').catch(() => undefined);
    await reap(worker);
    await server.stop();
  }
}

/** Has the server write a heap snapshot (SIGHUP) and resolves with its path once it is complete. */
async function heapSnapshot(pid: number, earlier: readonly string[]): Promise<string> {
  process.kill(pid, 'SIGHUP');
  // The snapshot is written synchronously by the server; wait until a complete new file appears.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const found = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !earlier.includes(join(dir, f)));
    if (!found) continue;
    try {
      JSON.parse(readFileSync(join(dir, found), 'utf8'));
      return join(dir, found);
    } catch {
      // still being written
    }
  }
  throw new Error('no heap snapshot was written');
}

/** One client row's job with the client's worker under the profiler: what the client itself spends. */
async function profileClient(): Promise<void> {
  const client = option('--client', 'ours') as ClientId;
  if (!CLIENT_IDS.includes(client)) throw new Error(`--client must be one of ${CLIENT_IDS.join(', ')}`);
  const peer = await startServer({
    id: 'client-peer',
    label: 'the client peer',
    runtime: 'node',
    script: join(here, 'servers', 'client-peer-server.js'),
    args: ['--port', '0'],
    env: {},
    placeholder: false,
  });
  const worker = forkWorker('client-worker', profileFlags);
  try {
    const job: ClientJob = {
      client,
      direction: args.includes('--send') ? 'send' : 'receive',
      size,
      port: peer.port,
      warmupMs: 300,
      durationMs,
      maxMessages: 1e9,
      window: 64,
      timeoutMs: durationMs + 60_000,
    };
    worker.send(job);
    const m = await nextMessage<ClientReply>(worker, durationMs + 90_000, 'profile client');
    console.log(
      m.ok
        ? `${client} ${job.direction} ${size} B: ${Math.round(m.messages / m.seconds)} msg/s, ${(m.cpuMicros / m.messages).toFixed(3)} client-CPU µs/msg under the profiler`
        : `FAILED ${m.error}`,
    );
    await reap(worker);
  } finally {
    await peer.stop();
  }
}

async function profileCodec(): Promise<void> {
  const what = args[1] ?? 'decode';
  const child = spawn(
    process.execPath,
    [...profileFlags, join(here, 'profile-codec.js'), what, String(size), String(durationMs)],
    { stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`profile-codec exited with ${code}`);
}

if (target === 'memory') {
  await profileMemory();
  process.exit(0);
}
if (target === 'echo' || target === 'handshake') await profileServer(target);
else if (target === 'codec') await profileCodec();
else if (target === 'client') await profileClient();
else throw new Error(`unknown target "${target}" (echo, codec, handshake, memory, client)`);

const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
if (files.length === 0) {
  rmSync(dir, { recursive: true, force: true });
  throw new Error('no .cpuprofile was written (did the process exit cleanly?)');
}
for (const f of files) {
  console.log(`\n${join(dir, f)}\n`);
  console.log(renderHotFunctions(summarizeProfile(join(dir, f), 25)));
}
