import type { ChaosCase } from '../case.js';
import { inLanes, sourceAddress } from '../lanes.js';
import { frame, Opcode } from '../wire/frames.js';
import { openWebSocket, upgradeRequest, connectTcp } from '../wire/handshake.js';

/**
 * Connection churn with resets: connect, and RST (socket.resetAndDestroy) at three points: right after
 * the 101, half way through the request head, and half way through a frame. Thousands of times. The
 * server must end up holding nothing (the release check after the case), and keep serving the canary.
 */
export const churn: ChaosCase = {
  name: 'churn-reset',
  summary: 'connect then RST after the 101, mid-request or mid-frame, thousands of times; nothing may stay held',
  timeLimitMs: (s) => (s.form === 'quick' ? 8000 : 40_000),
  async attack(ctx) {
    const count = ctx.quick ? 300 : 3000;
    const halfRequest = upgradeRequest(ctx.port).slice(0, 60);
    const halfFrame = frame(Opcode.text, Buffer.alloc(1000, 0x68)).subarray(0, 100);
    const done = await inLanes(count, ctx.quick ? 20 : 50, ctx.until, async (i) => {
      const localAddress = sourceAddress(i);
      const kind = i % 3;
      try {
        if (kind === 1) {
          const socket = await connectTcp({ port: ctx.port, localAddress }, 5000);
          socket.on('error', () => {});
          socket.write(halfRequest);
          ctx.sent.bytes += socket.bytesWritten;
          socket.resetAndDestroy();
          ctx.outcome('rst mid-request');
        } else {
          const upgraded = await openWebSocket({ port: ctx.port, localAddress }, 5000);
          if (kind === 2) {
            upgraded.socket.write(halfFrame);
            ctx.sent.frames++;
          }
          ctx.sent.bytes += upgraded.socket.bytesWritten;
          upgraded.socket.resetAndDestroy();
          ctx.outcome(kind === 0 ? 'rst after 101' : 'rst mid-frame');
        }
      } catch (error) {
        ctx.outcome(`refused (${(error as Error).message.slice(0, 40)})`);
        throw error;
      } finally {
        ctx.sent.connections++;
      }
    });
    ctx.note(`${done} of ${count} cycles ran`);
    ctx.require(done === count, `only ${done} of ${count} cycles ran within the time limit`);
  },
};
