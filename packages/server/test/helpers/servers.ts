import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocketServerOptions } from '../../src/index.js';

/** Starts a WebSocketServer on 127.0.0.1 with a free port; returns it and its ws:// URL. */
export async function startServer<Data = unknown>(
  options: Omit<WebSocketServerOptions<Data>, 'port' | 'host' | 'server' | 'noServer'> = {},
): Promise<{
  wss: WebSocketServer<Data>;
  port: number;
  url: string;
}> {
  const wss = new WebSocketServer<Data>({ ...options, port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}` };
}

/** Starts an echo server (text as text, binary as binary) and returns it. */
export async function startEcho(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {}) {
  const started = await startServer(options);
  started.wss.on('connection', (connection) => {
    connection.on('message', (data, isBinary) => void connection.send(data, { binary: isBinary }));
  });
  return started;
}

/** Resolves with `promise`, or rejects after `ms` naming `what` - so no test waits forever. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with a connection's 'close' arguments. WHY not `events.once(c, 'close')`: `once` also
 * listens for 'error' and rejects on it, which both hides the close and makes our connection think
 * someone observes its errors.
 */
export function closeOf(connection: {
  once(event: 'close', listener: (code: number, reason: string, wasClean: boolean) => void): unknown;
}): Promise<[number, string, boolean]> {
  return new Promise((resolve) => connection.once('close', (code, reason, wasClean) => resolve([code, reason, wasClean])));
}
