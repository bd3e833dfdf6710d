import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopProcess, track } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * packages/server/dist/bin, where turbo's build puts the example and echo servers.
 * `WSTS_E2E_SERVER_BIN_DIR` points the suite at other builds of the same two bins (same CLI).
 */
export const SERVER_BIN_DIR = process.env['WSTS_E2E_SERVER_BIN_DIR'] ?? resolve(here, '../../server/dist/bin');

/** Absolute path of a server bin, e.g. "echo" -> .../dist/bin/echo.js. */
export function serverBin(name: 'example' | 'echo'): string {
  return join(SERVER_BIN_DIR, `${name}.js`);
}

/** True when the bin has been built (the server package is written in parallel with this one). */
export function hasServerBin(name: 'example' | 'echo'): boolean {
  return existsSync(serverBin(name));
}

/** A server bin running as a child process, with its stdout kept line by line. */
export interface ServerProcess {
  /** ws:// or wss:// URL from its `listening on` line. */
  readonly url: string;
  readonly port: number;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** Resolves when a stdout line equals `line` (counting from `fromIndex`), rejects after `timeoutMs`. */
  waitForLine(line: string, timeoutMs: number, fromIndex?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Spawns `node dist/bin/<name>.js ...args` and waits for `listening on ws[s]://HOST:PORT`. The process is
 * killed if this worker dies.
 */
export async function startServer(name: 'example' | 'echo', args: readonly string[], timeoutMs = 15_000): Promise<ServerProcess> {
  const bin = serverBin(name);
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build @wsts/server first (pnpm e2e does)`);
  return startBin(bin, name, args, timeoutMs);
}

/** packages/chat/dist/bin/chat.js, the chat server (`pnpm chat`). */
export const CHAT_BIN = resolve(here, '../../chat/dist/bin/chat.js');

/** Spawns the chat server with `args` and waits for its `listening on ws://HOST:PORT`. */
export async function startChatServer(args: readonly string[], timeoutMs = 15_000): Promise<ServerProcess> {
  if (!existsSync(CHAT_BIN)) throw new Error(`${CHAT_BIN} does not exist: build @wsts/chat first (pnpm e2e does)`);
  return startBin(CHAT_BIN, 'chat', args, timeoutMs);
}

/** Spawns `node bin ...args` and waits for its `listening on` line; `name` labels its errors. */
async function startBin(bin: string, name: string, args: readonly string[], timeoutMs: number): Promise<ServerProcess> {
  const child: ChildProcess = track(spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) lines.push(part.replace(/\r$/, ''));
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}); stderr: ${stderr}`)));
  });
  exited.catch(() => undefined);

  const waitFor = (match: (line: string) => boolean, timeoutMs: number, fromIndex: number, what: string): Promise<number> =>
    new Promise<number>((resolvePromise, reject) => {
      let next = fromIndex;
      const check = (): boolean => {
        for (; next < lines.length; next++) {
          if (match(lines[next] ?? '')) {
            cleanup();
            resolvePromise(next);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${name}: no line ${what} within ${timeoutMs} ms; stdout: ${JSON.stringify(lines.slice(-10))}; stderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      const listener = (): void => void check();
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      listeners.add(listener);
      exited.catch((error: Error) => {
        cleanup();
        reject(error);
      });
      check();
    });

  const listenIndex = await waitFor((line) => /listening on wss?:\/\//.test(line), timeoutMs, 0, 'listening on ...').catch(
    async (error: unknown) => {
      await stopProcess(child);
      throw error;
    },
  );
  const url = /listening on (wss?:\/\/\S+)/.exec(lines[listenIndex] ?? '')?.[1] ?? '';
  const port = Number(new URL(url).port);
  return {
    url: url.endsWith('/') ? url : `${url}/`,
    port,
    lines,
    waitForLine: (line, ms, fromIndex = 0) => waitFor((candidate) => candidate === line, ms, fromIndex, JSON.stringify(line)),
    stop: () => stopProcess(child),
  };
}
