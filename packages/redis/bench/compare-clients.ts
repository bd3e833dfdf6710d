/**
 * Which Redis client carries the broker: ioredis or node-redis, measured on what the broker does with
 * them. Each run is a child process of its own (so its CPU time is its own) holding a publishing and a
 * subscribed connection to one local `redis-server`: it publishes Buffers of one size on one channel,
 * a bounded window in flight, for a bounded time and count, and counts what its subscription
 * receives. It reports delivered messages per second and CPU time (user + system) per delivered
 * message, which covers both sides of a broker: the publish and the delivery.
 *
 * Run: `pnpm bench:clients` in packages/redis (builds this file, starts its own redis-server on a free
 * port, about 2 seconds per client and payload size). `BENCH_SECONDS=n` changes the time per run.
 * @module
 */
import { spawn } from 'node:child_process';
import { cpuUsage, hrtime } from 'node:process';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../test/helpers/redis-server.js';

const CLIENTS = ['ioredis', 'redis'] as const;
type Client = (typeof CLIENTS)[number];
const SIZES = [64, 4_096, 65_536];
/** Publishes in flight at once: enough to pipeline, small enough to be a realistic burst. */
const WINDOW = 256;
const MAX_MESSAGES = 2_000_000;
const CHANNEL = 'bench';

interface Result {
  published: number;
  delivered: number;
  seconds: number;
  cpuMicros: number;
}

/** A publisher and a subscriber of one library, behind the same three operations. */
interface Pair {
  subscribe(onMessage: (message: Buffer) => void): Promise<void>;
  publish(message: Buffer): Promise<unknown>;
  close(): Promise<void>;
}

async function open(client: Client, url: string): Promise<Pair> {
  if (client === 'ioredis') {
    const { Redis } = await import('ioredis');
    // Auto-pipelining batches the commands of one tick into one write, as node-redis does by itself:
    // each library in its cheapest configuration for this traffic.
    const publisher = new Redis(url, { enableAutoPipelining: true });
    const subscriber = new Redis(url);
    return {
      async subscribe(onMessage) {
        subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => onMessage(message));
        await subscriber.subscribe(CHANNEL);
      },
      publish: (message) => publisher.publish(CHANNEL, message),
      async close() {
        await Promise.all([publisher.quit(), subscriber.quit()]);
      },
    };
  }
  const { createClient } = await import('@redis/client');
  const publisher = createClient({ url });
  const subscriber = publisher.duplicate();
  await Promise.all([publisher.connect(), subscriber.connect()]);
  return {
    subscribe: (onMessage) => subscriber.subscribe(CHANNEL, (message: Buffer) => onMessage(message), true),
    publish: (message) => publisher.publish(CHANNEL, message),
    async close() {
      await Promise.all([publisher.close(), subscriber.close()]);
    },
  };
}

/** One measurement, inside the child process. */
async function measure(client: Client, url: string, size: number, seconds: number): Promise<Result> {
  const pair = await open(client, url);
  const payload = Buffer.alloc(size, 0x61);
  let delivered = 0;
  let wake: (() => void) | undefined;
  await pair.subscribe(() => {
    delivered++;
    wake?.();
  });
  const cpuStart = cpuUsage();
  const start = hrtime.bigint();
  const deadline = Date.now() + seconds * 1_000;
  let published = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < WINDOW && published < MAX_MESSAGES && Date.now() < deadline) {
        inFlight++;
        published++;
        pair.publish(payload).then(() => {
          inFlight--;
          pump();
        }, reject);
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  // Everything published is acknowledged; wait (bounded) for the subscription to receive it all. A
  // subscriber that reads too slowly is disconnected by Redis (its pub/sub output buffer limit) and
  // loses messages: reported, not hidden.
  const drainDeadline = Date.now() + 5_000;
  while (delivered < published && Date.now() < drainDeadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 50);
    });
  }
  const elapsed = Number(hrtime.bigint() - start) / 1e9;
  const cpu = cpuUsage(cpuStart);
  await pair.close();
  return { published, delivered, seconds: elapsed, cpuMicros: cpu.user + cpu.system };
}

function runChild(client: Client, url: string, size: number, seconds: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', client, url, String(size), String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Result);
      else reject(new Error(`${client} ${size}: child exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 2);
  const redis = await startRedis();
  try {
    console.log(`publish -> deliver, one process per run, ${seconds} s each, ${WINDOW} publishes in flight`);
    console.log('payload  client    msg/s      CPU µs/msg  lost');
    const summary: string[] = [];
    for (const size of SIZES) {
      const cpuPerMessage: Partial<Record<Client, number>> = {};
      for (const client of CLIENTS) {
        const result = await runChild(client, redis.url, size, seconds);
        const rate = result.delivered / result.seconds;
        const cpu = result.cpuMicros / result.delivered;
        cpuPerMessage[client] = cpu;
        console.log(
          `${String(size).padStart(7)}  ${client.padEnd(8)} ${rate.toFixed(0).padStart(8)}  ${cpu.toFixed(2).padStart(10)}  ${result.published - result.delivered}`,
        );
      }
      const ratio = cpuPerMessage.redis! / cpuPerMessage.ioredis!;
      summary.push(`${size} B: node-redis uses ${ratio.toFixed(2)}x the CPU per message of ioredis`);
    }
    console.log(summary.join('\n'));
  } finally {
    await redis.dispose();
  }
}

if (process.argv[2] === 'child') {
  const [, , , client, url, size, seconds] = process.argv;
  const result = await measure(client as Client, url!, Number(size), Number(seconds));
  process.stdout.write(JSON.stringify(result));
} else {
  await main();
}
