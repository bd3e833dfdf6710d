/**
 * The scale load generator, in its own process: opens many idle WebSocket connections as fast as the
 * server accepts them (bounded concurrency), reports the handshake rate, then holds them open, silent,
 * until told to close them so the orchestrator can measure the server's memory meanwhile.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openMany, openWebSocket, sourceAddress } from '../wire/handshake.js';
import type { ScaleReply, ScaleRequest } from './scale-job.js';

const sockets: Socket[] = [];

function reply(message: ScaleReply, then: () => void = () => {}): void {
  process.send?.(message, then);
}

async function open(request: Extract<ScaleRequest, { type: 'open' }>): Promise<void> {
  try {
    let deflateNegotiated = true;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await openMany(request.count, request.concurrency, async (i) => {
      const o = await openWebSocket({
        port: request.port,
        deflate: request.deflate,
        localAddress: sourceAddress(i, request.addressBlock),
        timeoutMs: request.timeoutMs,
      });
      sockets.push(o.socket);
      // A server heartbeat may ping these sockets; they stay silent either way, as idle clients do.
      o.socket.on('error', () => {});
      if (!o.deflate) deflateNegotiated = false;
    });
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const generatorCpu = (cpu.user + cpu.system) / 1000 / ms;
    reply({
      type: 'opened',
      ok: true,
      count: sockets.length,
      ms,
      handshakesPerSec: (request.count / ms) * 1000,
      deflateNegotiated,
      generatorCpu,
    });
  } catch (error) {
    reply({ type: 'opened', ok: false, error: (error as Error).message });
  }
}

process.on('message', (request: ScaleRequest) => {
  if (request.type === 'open') void open(request);
  else {
    for (const s of sockets) s.destroy();
    reply({ type: 'closed' }, () => process.exit(0));
  }
});
