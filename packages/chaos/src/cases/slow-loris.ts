import type { Socket } from 'node:net';
import type { ChaosCase } from '../case.js';
import { inLanes, sleep, sourceAddress } from '../lanes.js';
import type { Settings } from '../settings.js';

/** How long a trickling socket may live: the handshake timeout twice over (ws's checks run on an interval) and a margin. */
function dropBoundMs(settings: Settings): number {
  return 2 * settings.knobs.handshakeTimeout + settings.releaseMarginMs;
}

/** An endless request head: a request line, a Host, then header line after header line, never the blank line. */
function* endlessHead(port: number): Generator<number> {
  for (const byte of Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`)) yield byte;
  for (let i = 0; ; i++) for (const byte of Buffer.from(`X-Slow-${i}: ${'s'.repeat(24)}\r\n`)) yield byte;
}

/**
 * Slow-loris: many sockets trickle their request head one byte at a time and never finish it. Every
 * one must be dropped by the handshake timeout (ours times the whole head; for ws, Node's headersTimeout).
 */
export const slowLoris: ChaosCase = {
  name: 'slow-loris',
  summary: 'many sockets trickle request headers one byte at a time; each must be dropped by handshakeTimeout',
  timeLimitMs: (s) => dropBoundMs(s) + 5000,
  async attack(ctx) {
    const count = ctx.quick ? 50 : 500;
    const tickMs = ctx.quick ? 50 : 100;
    const bound = dropBoundMs(ctx.settings);
    const sockets: Socket[] = [];
    await inLanes(count, 50, ctx.until, async (i) => {
      sockets.push(await ctx.connect({ localAddress: sourceAddress(i) }));
    });
    const started = Date.now();
    let slowest = 0;
    await Promise.all(
      sockets.map(async (socket) => {
        const opened = Date.now();
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1', 0, Math.min(chunk.length, 64))));
        const head = endlessHead(ctx.port);
        while (!socket.destroyed && socket.writable && !socket.readableEnded && Date.now() - opened < bound) {
          socket.write(Buffer.of(head.next().value as number));
          await sleep(tickMs);
        }
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
        const dropped = socket.destroyed || !socket.writable || socket.readableEnded;
        if (dropped) slowest = Math.max(slowest, Date.now() - opened);
        ctx.outcome(!dropped ? 'open' : status !== undefined ? `http ${status}` : 'terminated');
      }),
    );
    ctx.note(`slowest drop ${slowest} ms after connect (bound ${bound} ms), ${Date.now() - started} ms in all`);
    const held = sockets.filter((s) => !s.destroyed && s.writable && !s.readableEnded).length;
    ctx.require(held === 0, `${held} of ${sockets.length} trickling sockets still open ${bound} ms after connecting`);
  },
};
