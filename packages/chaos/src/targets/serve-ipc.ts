import type { Server } from 'node:net';
import { isRequest, type Reply, type ServerStats } from './ipc.js';

/** How many TCP sockets an HTTP server still holds (upgraded ones included until they close). */
export function openSockets(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? -1 : count)));
}

/**
 * Answers the suite's requests over the IPC channel, and exits when the channel goes: a target must not
 * outlive the suite that started it, however the suite died.
 */
export function serveIpc(stats: () => Promise<ServerStats>): void {
  const send = (reply: Reply): void => {
    if (process.connected) process.send?.(reply);
  };
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    if (message.type === 'stats') {
      void stats().then((s) => send({ type: 'stats', id: message.id, stats: s }));
    } else {
      const gc = globalThis.gc;
      if (gc !== undefined) gc();
      send({ type: 'gc-done', id: message.id, collected: gc !== undefined });
    }
  });
  process.on('disconnect', () => process.exit(0));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
}

/** The target's own view of its memory, for the stats reply. */
export function processMemory(): { rss: number; heapUsed: number; heapTotal: number; external: number } {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
}

export function announce(port: number, applied: string[]): void {
  if (process.connected) process.send?.({ type: 'listening', port, applied } satisfies Reply);
}
