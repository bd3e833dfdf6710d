/**
 * The chat bin (dist/bin/chat.js) as a child process, and members joining it with `ws` clients.
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const CHAT_BIN = fileURLToPath(new URL('../../dist/bin/chat.js', import.meta.url));

/** Every child started here, killed at the end of the test file if a test left one behind. */
const started = new Set<ChildProcessWithoutNullStreams>();

export interface ChatProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  /** ws://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly stdout: string[];
  stderr(): string;
  /** Sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`, then null). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Runs the bin to completion (for refusals): its exit code and output. */
export async function runChatToExit(
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CHAT_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Spawns the chat bin with `args` and waits for its `listening on ws://HOST:PORT` line. */
export async function startChat(args: readonly string[], timeoutMs = 15_000): Promise<ChatProcess> {
  const child = spawn(process.execPath, [CHAT_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8_000)));
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    stdout.push(...parts);
  });
  const deadline = Date.now() + timeoutMs;
  let listening: string | undefined;
  while ((listening = stdout.find((line) => line.startsWith('listening on '))) === undefined) {
    if (child.exitCode !== null) throw new Error(`chat exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `chat printed no listening line within ${timeoutMs} ms; stdout ${JSON.stringify(stdout)}; stderr ${stderr}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const port = Number(/:(\d+)$/.exec(listening)![1]);
  return {
    child,
    port,
    url: `ws://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    stdout,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM', ms = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const closed = once(child, 'close');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await closed;
      clearTimeout(timer);
      return child.exitCode;
    },
  };
}

/** Kills whatever a failed test left running. */
export function killLeftovers(): void {
  for (const child of started) child.kill('SIGKILL');
}

/** Rejects after `ms` with `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A `ws` client in a room, keeping what it receives. */
export interface Member {
  readonly socket: WebSocket;
  /** The chat process that took the connection (its X-Chat-Process header). */
  readonly process: string;
  readonly received: { name: string; text: string }[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The texts received so far. */
  texts(): string[];
}

/** Joins `room` on `url` as `name` (appended as `?name=` when given). */
export async function join(url: string, room: string, name?: string): Promise<Member> {
  const target = `${url}/room/${room}${name === undefined ? '' : `?name=${encodeURIComponent(name)}`}`;
  const socket = new WebSocket(target);
  let process = '';
  socket.once('upgrade', (response) => (process = String(response.headers['x-chat-process'])));
  const received: { name: string; text: string }[] = [];
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString()) as { name: string; text: string }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  await within(once(socket, 'open'), 5_000, `joining ${target}`);
  return { socket, process, received, closed, texts: () => received.map((message) => message.text) };
}

/** The refusal of a handshake: its HTTP status and body. */
export async function refusal(target: string): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(target);
  socket.on('error', () => {});
  const [, response] = (await within(once(socket, 'unexpected-response'), 5_000, `refusal of ${target}`)) as [
    unknown,
    import('node:http').IncomingMessage,
  ];
  let body = '';
  for await (const chunk of response) body += String(chunk);
  socket.terminate();
  return { status: response.statusCode ?? 0, body };
}
