/**
 * The command line of `pnpm chat` / `wsts-chat`.
 * @module
 */
import { parseArgs } from 'node:util';
import { CHAT_DEFAULTS } from './limits.js';

export const USAGE = `usage: chat [--port N] [--host H] [--workers N] [--redis redis://HOST:PORT]
            [--max-message-bytes N] [--max-room-length N] [--max-name-length N]
  --port N               port to listen on (default 8080, PORT works too; 0 picks a free one)
  --host H               address to listen on (default 127.0.0.1)
  --workers N            node:cluster workers sharing the port (default 1: no cluster); more than 1 needs --redis
  --redis URL            share rooms with every chat process on this Redis (other workers, other machines)
  --max-message-bytes N  largest chat message in bytes (default ${CHAT_DEFAULTS.maxMessageBytes}); larger ones close the sender with 1009
  --max-room-length N    longest room name (default ${CHAT_DEFAULTS.maxRoomLength})
  --max-name-length N    longest member name (default ${CHAT_DEFAULTS.maxNameLength})`;

/** The parsed command line. */
export interface ChatArgs {
  port: number;
  host: string;
  workers: number;
  redis: string | undefined;
  maxMessageBytes: number;
  maxRoomLength: number;
  maxNameLength: number;
}

/** The most workers `--workers` takes: a guard against a typo forking thousands of processes. */
export const MAX_WORKERS = 256;

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses the command line; throws an Error whose message says what is wrong. */
export function parseChatArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ChatArgs | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      workers: { type: 'string' },
      redis: { type: 'string' },
      'max-message-bytes': { type: 'string' },
      'max-room-length': { type: 'string' },
      'max-name-length': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const args: ChatArgs = {
    port: integer('port', values.port ?? env['PORT'] ?? '8080', 0, 65535),
    host: values.host ?? '127.0.0.1',
    workers: integer('workers', values.workers ?? '1', 1, MAX_WORKERS),
    redis: values.redis,
    maxMessageBytes: integer(
      'max-message-bytes',
      values['max-message-bytes'] ?? String(CHAT_DEFAULTS.maxMessageBytes),
      1,
      2 ** 30,
    ),
    maxRoomLength: integer('max-room-length', values['max-room-length'] ?? String(CHAT_DEFAULTS.maxRoomLength), 1, 1000),
    maxNameLength: integer('max-name-length', values['max-name-length'] ?? String(CHAT_DEFAULTS.maxNameLength), 1, 1000),
  };
  if (args.redis !== undefined && !/^rediss?:\/\/./.test(args.redis)) {
    throw new Error(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(args.redis)}`);
  }
  if (args.workers > 1 && args.redis === undefined) {
    throw new Error(
      `--workers ${args.workers} needs --redis: workers are separate processes, and their members can share rooms only through a broker`,
    );
  }
  return args;
}

/** Formats a host for a URL (IPv6 literals need brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
