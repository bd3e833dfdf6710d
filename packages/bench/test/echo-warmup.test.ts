import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { EchoJob, EchoWorkerMessage } from '../src/load/echo-job.js';

const HOLD_MS = 600;

/**
 * The load generator's warm-up must last until every socket's first window has come back, not merely
 * until as many replies as there are messages in the first windows: a server that answers one socket
 * twice while another still waits would otherwise start the measured phase with the start-up queue in it.
 */
describe('echo warm-up', () => {
  // An echo server that holds the first message of its first connection back, and answers the rest at once.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  let first = true;
  wss.on('connection', (socket) => {
    let hold = first;
    first = false;
    socket.on('message', (data, isBinary) => {
      if (!hold) return void socket.send(data, { binary: isBinary });
      hold = false;
      setTimeout(() => socket.send(data, { binary: isBinary }), HOLD_MS);
    });
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  it('ends once every socket has its first window back, however early the reply count is reached', async () => {
    if (!wss.address()) await once(wss, 'listening');
    const job: EchoJob = {
      port: (wss.address() as AddressInfo).port,
      size: 16,
      connections: 2,
      window: 1,
      warmupMs: 50,
      durationMs: 200,
      maxMessages: 1_000_000,
      deflate: false,
      text: false,
      connectTimeoutMs: 5000,
    };
    const worker = fork(new URL('../dist/load/echo-worker.js', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    try {
      const messages: { message: EchoWorkerMessage; at: number }[] = [];
      const sentAt = performance.now();
      const done = new Promise<void>((resolve, reject) => {
        worker.on('message', (message: EchoWorkerMessage) => {
          messages.push({ message, at: performance.now() - sentAt });
          if (message.type === 'result') resolve();
        });
        worker.on('exit', () => reject(new Error('the load generator exited without a result')));
      });
      worker.send(job);
      await done;
      const start = messages.find((m) => m.message.type === 'phase' && m.message.phase === 'start');
      const result = messages.find((m) => m.message.type === 'result')!.message;
      expect(result.type === 'result' && result.result.ok).toBe(true);
      // The second socket alone passed two replies within milliseconds; the phase still waited for the first.
      expect(start!.at).toBeGreaterThanOrEqual(HOLD_MS - 50);
    } finally {
      worker.kill();
    }
  }, 20_000);
});
