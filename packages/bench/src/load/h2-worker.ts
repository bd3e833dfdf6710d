/**
 * The h2 load generator, in its own process (forked with `--expose-gc` so it can report its own memory
 * per WebSocket): opens N WebSockets with our client, over one HTTP/2 connection (`http2: true`) or one
 * TCP connection each, holds them while the orchestrator measures the server, then keeps all of them
 * busy echoing for a bounded time, then closes them.
 */
import { performance } from 'node:perf_hooks';
import { connect, type WebSocketConnection } from '@wsts/server';
import type { H2Reply, H2Request } from './h2-job.js';

const connections: WebSocketConnection[] = [];

function reply(message: H2Reply, then: () => void = () => {}): void {
  process.send?.(message, then);
}

const gc = (globalThis as { gc?: () => void }).gc;

/** RSS after two collections (a turn of the event loop between, as the servers' GC hook does). */
async function collectedRss(): Promise<number | undefined> {
  if (gc === undefined) return undefined;
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  return process.memoryUsage().rss;
}

async function open(request: Extract<H2Request, { type: 'open' }>): Promise<void> {
  try {
    const before = await collectedRss();
    const url = `ws://127.0.0.1:${request.port}/`;
    const options = { http2: request.mode === 'h2', perMessageDeflate: false, handshakeTimeout: request.timeoutMs };
    let next = 0;
    const start = performance.now();
    // A fixed number of handshakes in flight: all 1,000 at once would overflow the HTTP/1.1 listen backlog.
    const lane = async (): Promise<void> => {
      while (next < request.count) {
        next++;
        const connection = await connect(url, options);
        connection.on('error', () => {});
        connections.push(connection);
      }
    };
    await Promise.all(Array.from({ length: Math.min(request.concurrency, request.count) }, lane));
    const ms = performance.now() - start;
    const after = await collectedRss();
    // An HTTP/2 stream has a session; a TCP socket of an HTTP/1.1 upgrade has none.
    const http2Used = connections.every((c) => (c.socket as { session?: unknown }).session !== undefined);
    reply({
      type: 'opened',
      ok: true,
      count: connections.length,
      ms,
      clientBytesPerSocket:
        before !== undefined && after !== undefined ? Math.max(0, after - before) / connections.length : undefined,
      http2Used,
    });
  } catch (error) {
    reply({ type: 'opened', ok: false, error: (error as Error).message });
  }
}

async function echo(request: Extract<H2Request, { type: 'echo' }>): Promise<void> {
  const payload = Buffer.alloc(request.size, 0x61);
  let sending = true;
  let measuring = false;
  let counted = 0;
  let failure: Error | undefined;
  const replied = new Array<number>(connections.length).fill(0);
  const send = (c: WebSocketConnection): void => {
    c.send(payload, { binary: true }).catch((error: Error) => {
      failure ??= error;
    });
  };
  connections.forEach((c, i) => {
    c.on('message', () => {
      if (measuring) {
        counted++;
        replied[i]!++;
      }
      if (sending) send(c);
    });
    c.on('close', () => {
      if (sending) failure ??= new Error('a WebSocket closed during the run');
    });
    for (let k = 0; k < request.window; k++) send(c);
  });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(request.warmupMs);
  reply({ type: 'phase', phase: 'start' });
  measuring = true;
  const start = performance.now();
  await sleep(request.durationMs);
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  reply({ type: 'phase', phase: 'end' });
  sending = false;
  if (failure !== undefined) return reply({ type: 'echoed', ok: false, error: failure.message });
  reply({ type: 'echoed', ok: true, messages: counted, seconds, busySockets: replied.filter((n) => n > 0).length });
}

process.on('message', (request: H2Request) => {
  if (request.type === 'open') void open(request);
  else if (request.type === 'echo') void echo(request);
  else {
    for (const c of connections) c.terminate();
    reply({ type: 'closed' }, () => process.exit(0));
  }
});
