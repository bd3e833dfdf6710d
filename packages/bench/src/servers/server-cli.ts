/**
 * What every bench server process shares on its command line: its flags, the one line it prints once it
 * listens (server-process.ts waits for exactly that line), and a clean exit on SIGINT and SIGTERM so the
 * orchestrator's stop is quick. Type imports only, so the Bun servers load it as well as the Node ones.
 * @module
 */
import type { AddressInfo } from 'node:net';

const args = process.argv.slice(2);

/** Whether `name` (e.g. `--deflate`) is on the command line. */
export function hasFlag(name: string): boolean {
  return args.includes(name);
}

/** The number after `name` (e.g. `--port 0`), or `fallback` without the flag. */
export function numberFlag(name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The port of a Node server's `address()`: undefined for a pipe, or before it listens. */
export function portOf(address: AddressInfo | string | null): number | undefined {
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

/** Prints `listening on ws://127.0.0.1:PORT`, the line the orchestrator reads the port from. */
export function announceListening(port: number | undefined): void {
  process.stdout.write(`listening on ws://127.0.0.1:${port ?? ''}\n`);
}

/** Exits at once on SIGINT or SIGTERM: a bench server holds nothing that needs a graceful close. */
export function exitOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
}
