/**
 * Measures what a send queued behind a peer that never reads holds in memory, for the accounting in
 * @wsts/server's outbox.ts (WRITE_COST, SEND_COST): a server whose kernel buffers toward the
 * peer are full queues N empty sends, then N 16-byte sends, and the heap after a full GC is compared.
 *
 *   pnpm --filter @wsts/chaos run send-cost
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { WebSocketServer, type WebSocketConnection } from '@wsts/server';

const N = 100_000;

function collect(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

async function main(): Promise<void> {
  const limits = { maxBufferedAmount: 1e12, sendHighWaterMark: 1e12, memoryBudget: 1e12 };
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, heartbeatInterval: 0, ...limits });
  await once(wss, 'listening');
  const opened = once(wss, 'connection') as Promise<[WebSocketConnection]>;
  const peer = net.connect(wss.port!, '127.0.0.1');
  await once(peer, 'connect');
  peer.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const [connection] = await opened;
  peer.pause(); // never reads again: everything the server sends from here on waits
  for (let i = 0; i < 64; i++) void connection.send(Buffer.alloc(1 << 20));
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const [label, payload, writes] of [
    ['empty message (1 write)', Buffer.alloc(0), 1],
    ['16-byte message (2 writes)', Buffer.alloc(16, 0x61), 2],
  ] as const) {
    const before = collect();
    for (let i = 0; i < N; i++) void connection.send(payload);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = collect();
    const heap = (after.heapUsed - before.heapUsed) / N;
    const rss = (after.rss - before.rss) / N;
    console.log(
      `${label}: ${heap.toFixed(0)} B of heap, ${rss.toFixed(0)} B of RSS per queued send (${writes} socket write(s) each)`,
    );
  }
  peer.destroy();
  await wss.close();
}

await main();
