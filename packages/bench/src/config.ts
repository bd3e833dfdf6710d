import type { ClientCase } from './load/client-job.js';
import type { EchoCase } from './suites/echo-suite.js';
import type { FanoutCase } from './suites/fanout-suite.js';
import { KiB, MiB } from './report/units.js';

/** Everything a run does, derived from the command line. */
export interface BenchConfig {
  quick: boolean;
  suites: Set<SuiteName>;
  codec: {
    frameSizes: number[];
    maskSizes: number[];
    utf8Sizes: number[];
    /** The WebAssembly SIMD kernels against the scalar loops: both sides of the codec's thresholds. */
    wasmSizes: number[];
    rounds: number;
    roundMs: number;
  };
  echo: { cases: EchoCase[]; warmupMs: number; durationMs: number; rounds: number; maxMessages: number };
  deflateEcho: { cases: EchoCase[] };
  scale: { connections: number; rounds: number };
  fanout: {
    cases: FanoutCase[];
    deliveries: number;
    maxBytes: number;
    rounds: number;
    latencyMessages: number;
    latencyMs: number;
    redisCases: FanoutCase[];
    redisProcesses: number[];
  };
  /** The h2 rows: WebSockets over one HTTP/2 connection against as many over HTTP/1.1. */
  h2: { sockets: number; size: number; warmupMs: number; durationMs: number; rounds: number };
  /** The client rows: each client alone in its process, receiving from the firehose and sending into the sink. */
  client: { cases: ClientCase[]; warmupMs: number; durationMs: number; rounds: number; window: number; maxMessages: number };
  out: string | undefined;
}

export type SuiteName = 'codec' | 'echo' | 'scale' | 'deflate' | 'fanout' | 'h2' | 'client';
const ALL_SUITES: SuiteName[] = ['codec', 'echo', 'scale', 'deflate', 'fanout', 'h2', 'client'];

const SIZES = [16, KiB, 64 * KiB, MiB];
/** 125 B: the largest payload with a 2-byte header, the low end of what the kernels could take. */
const WASM_SIZES = [16, 125, KiB, 64 * KiB, MiB];
const CONNECTIONS = [1, 64, 1000];

export const USAGE = `usage: pnpm bench [--quick] [--only codec,echo,scale,deflate,fanout,h2,client] [--duration MS] [--connections N] [--out FILE]
  --quick          reduced set, under two minutes (what CI runs)
  --only LIST      run only these suites
  --duration MS    measured phase of each echo job (default 1500, quick 400)
  --rounds N       echo jobs per server per case, alternating servers; medians reported (default 5, quick 1)
  --scale-rounds N fresh-server runs per server for the scale rows, alternating; medians (default 3, quick 1)
  --connections N  idle connections for the scale rows (default 10000, quick 500)
  --case SIZExN    echo only this case (repeatable; SIZE in bytes or with KiB/MiB, e.g. 1MiBx1000, 1KiBx64:text)
  --fanout-case SIZExN  fan-out case, N subscribers (repeatable; e.g. 16x1000, 64KiBx1000)
  --redis-case SIZExN   cross-process fan-out case (repeatable)
  --fanout-rounds N     fan-out jobs per contender per case (default 3, quick 1)
  --no-redis            no cross-process (Redis) fan-out rows
  --h2-sockets N   WebSockets of the h2 rows, over one HTTP/2 connection and over HTTP/1.1 (default 1000, quick 200)
  --h2-duration MS measured echo phase of the h2 rows (default 2000, quick 400)
  --client-rounds N    jobs per client per case in the client rows, rotating who goes first (default 5, quick 1)
  --client-duration MS measured phase of each client job (default 2000, quick 300)
  --out FILE       where to write the JSON (default results/<date>.json)`;

function c(size: number, connections: number, text = false): EchoCase {
  return { size, connections, text };
}

/** Every size at every connection count: the matrix. */
function matrix(): EchoCase[] {
  return SIZES.flatMap((size) => CONNECTIONS.map((connections) => c(size, connections)));
}

/** "1MiBx1000", "16x64", "1KiBx64:text" -> an echo case. */
function parseCase(value: string | undefined): EchoCase {
  const m = /^(\d+)(B|KiB|MiB)?x(\d+)(:text)?$/.exec(value ?? '');
  if (!m) throw new Error(`--case needs SIZExCONNECTIONS (e.g. 1KiBx64 or 16x1000:text), got ${value}`);
  const unit = m[2] === 'MiB' ? MiB : m[2] === 'KiB' ? KiB : 1;
  const size = Number(m[1]) * unit;
  const connections = Number(m[3]);
  if (size <= 0 || connections <= 0) throw new Error(`--case: size and connections must be positive, got ${value}`);
  return c(size, connections, m[4] !== undefined);
}

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, got ${value}`);
  return n;
}

/** Parses argv (without node and script). Throws with a message naming the bad flag. */
export function parseArgs(argv: readonly string[]): BenchConfig {
  // `pnpm bench -- --quick` forwards a literal "--"; ignore it.
  const args = argv.filter((a) => a !== '--');
  const quick = args.includes('--quick');
  const config: BenchConfig = quick
    ? {
        quick,
        suites: new Set(ALL_SUITES),
        codec: { frameSizes: SIZES, maskSizes: SIZES, utf8Sizes: [KiB, 64 * KiB], wasmSizes: WASM_SIZES, rounds: 5, roundMs: 10 },
        echo: {
          cases: [c(16, 1), c(16, 64), c(KiB, 64), c(KiB, 64, true), c(64 * KiB, 1), c(MiB, 1), c(16, 300)],
          warmupMs: 150,
          durationMs: 400,
          rounds: 1,
          maxMessages: 2_000_000,
        },
        deflateEcho: { cases: [c(KiB, 64)] },
        scale: { connections: 500, rounds: 1 },
        fanout: {
          cases: [{ size: KiB, subscribers: 100 }],
          deliveries: 20_000,
          maxBytes: 64 * MiB,
          rounds: 1,
          latencyMessages: 20,
          latencyMs: 1000,
          redisCases: [{ size: KiB, subscribers: 100 }],
          redisProcesses: [2],
        },
        h2: { sockets: 200, size: KiB, warmupMs: 200, durationMs: 400, rounds: 1 },
        client: {
          cases: [
            { direction: 'receive', size: 16 },
            { direction: 'send', size: 64 * KiB },
          ],
          warmupMs: 150,
          durationMs: 300,
          rounds: 1,
          window: 64,
          maxMessages: 1e9,
        },
        out: undefined,
      }
    : {
        quick,
        suites: new Set(ALL_SUITES),
        codec: {
          frameSizes: SIZES,
          maskSizes: SIZES,
          utf8Sizes: [KiB, 64 * KiB],
          wasmSizes: WASM_SIZES,
          rounds: 7,
          roundMs: 150,
        },
        echo: {
          cases: [...matrix(), c(16, 64, true), c(KiB, 64, true)],
          warmupMs: 500,
          durationMs: 1500,
          rounds: 5,
          maxMessages: 50_000_000,
        },
        deflateEcho: { cases: matrix() },
        scale: { connections: 10_000, rounds: 3 },
        fanout: {
          // The 16 B and 1 KiB to 1,000 and 10,000 subscribers, and 64 KiB to 1,000.
          cases: [
            ...[16, KiB].flatMap((size) => [1000, 10_000].map((subscribers) => ({ size, subscribers }))),
            { size: 64 * KiB, subscribers: 1000 },
          ],
          deliveries: 2_000_000,
          maxBytes: 2 * 1024 * MiB,
          rounds: 3,
          latencyMessages: 100,
          latencyMs: 3000,
          redisCases: [1000, 10_000].map((subscribers) => ({ size: KiB, subscribers })),
          redisProcesses: [2, 4],
        },
        h2: { sockets: 1000, size: KiB, warmupMs: 500, durationMs: 2000, rounds: 3 },
        client: {
          cases: (['receive', 'send'] as const).flatMap((direction) => [16, KiB, 64 * KiB].map((size) => ({ direction, size }))),
          warmupMs: 500,
          durationMs: 2000,
          rounds: 5,
          window: 64,
          maxMessages: 1e9,
        },
        out: undefined,
      };
  let explicitCases = false;
  const explicitFanout = new Set<'cases' | 'redisCases'>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') continue;
    if (a === '--only') {
      const list = (args[++i] ?? '').split(',').filter(Boolean);
      for (const s of list) if (!ALL_SUITES.includes(s as SuiteName)) throw new Error(`--only: unknown suite "${s}"`);
      config.suites = new Set(list as SuiteName[]);
    } else if (a === '--duration') config.echo.durationMs = positive(a, args[++i]);
    else if (a === '--rounds') config.echo.rounds = positive(a, args[++i]);
    else if (a === '--scale-rounds') config.scale.rounds = positive(a, args[++i]);
    else if (a === '--connections') config.scale.connections = positive(a, args[++i]);
    else if (a === '--h2-sockets') config.h2.sockets = positive(a, args[++i]);
    else if (a === '--h2-duration') config.h2.durationMs = positive(a, args[++i]);
    else if (a === '--client-rounds') config.client.rounds = positive(a, args[++i]);
    else if (a === '--client-duration') config.client.durationMs = positive(a, args[++i]);
    else if (a === '--out') config.out = args[++i];
    else if (a === '--fanout-case' || a === '--redis-case') {
      const { size, connections: subscribers, text } = parseCase(args[++i]);
      if (text) throw new Error(`${a}: fan-out messages are binary, drop ":text"`);
      const key = a === '--fanout-case' ? 'cases' : 'redisCases';
      if (!explicitFanout.has(key)) config.fanout[key] = [];
      explicitFanout.add(key);
      config.fanout[key].push({ size, subscribers });
    } else if (a === '--fanout-rounds') config.fanout.rounds = positive(a, args[++i]);
    else if (a === '--no-redis') config.fanout.redisCases = [];
    else if (a === '--case') {
      const echoCase = parseCase(args[++i]);
      if (!explicitCases) config.echo.cases = [];
      explicitCases = true;
      config.echo.cases.push(echoCase);
      config.deflateEcho.cases = config.echo.cases.filter((e) => !e.text);
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  return config;
}
