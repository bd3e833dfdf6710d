import type { ChaosCase } from '../case.js';
import { inLanes, sleep, sourceAddress } from '../lanes.js';
import { frame, Opcode } from '../wire/frames.js';
import type { Peer } from '../wire/peer.js';

/** The message connection `index` sends in the burst, unique so a crossed reply shows. */
function burstMessage(index: number): Buffer {
  return Buffer.from(`burst #${String(index).padStart(6, '0')} ${'b'.repeat(48)}`);
}

/**
 * Many idle connections (they answer pings, so they are alive), held through a heartbeat, then a burst:
 * every one sends a message at the same moment. Every echo must come back intact on its own connection,
 * and no idle connection may be dropped.
 */
export const idleBurst: ChaosCase = {
  name: 'idle-burst',
  summary: '500 (quick) / 10,000 (full) idle connections over 127.0.0.2-9, then one message from each at once',
  timeLimitMs: (s) => (s.form === 'quick' ? 15_000 : 90_000),
  async attack(ctx) {
    const count = ctx.quick ? 500 : 10_000;
    const peers: Peer[] = [];
    const echoed = new Set<number>();
    const wrong: string[] = [];
    let failedOpen = 0;
    const openStart = Date.now();
    await inLanes(count, ctx.quick ? 50 : 200, ctx.until, async (index) => {
      try {
        const peer = await ctx.open(
          { localAddress: sourceAddress(index) },
          {
            read: true,
            answerPings: true,
            sink: {
              message: (_opcode, data) => {
                if (data.equals(burstMessage(index))) echoed.add(index);
                else wrong.push(`#${index} got ${data.length} bytes "${data.subarray(0, 16).toString('latin1')}"`);
              },
            },
          },
        );
        peers[index] = peer;
      } catch (error) {
        failedOpen++;
        throw error;
      }
    });
    const opened = peers.filter((p) => p !== undefined);
    ctx.note(`${opened.length} connections open in ${Date.now() - openStart} ms`);
    ctx.require(failedOpen === 0, `${failedOpen} of ${count} connections could not be opened`);

    // Idle through more than a heartbeat: the server pings, the connections answer, none may be cut.
    await sleep(ctx.knobs.heartbeatInterval * 1.2);
    const dropped = opened.filter((p) => p.serverEnded || p.closeCode !== undefined).length;
    ctx.require(dropped === 0, `${dropped} idle connection(s) were dropped while they answered every ping`);

    const burstStart = Date.now();
    peers.forEach((peer, index) => {
      if (peer === undefined) return;
      peer.send(frame(Opcode.text, burstMessage(index)));
      ctx.sent.frames++;
    });
    const waitUntil = Math.min(ctx.until - 1000, burstStart + (ctx.quick ? 5000 : 20_000));
    while (echoed.size + wrong.length < opened.length && Date.now() < waitUntil) await sleep(20);
    ctx.note(`burst: ${echoed.size} of ${opened.length} echoes in ${Date.now() - burstStart} ms`);
    ctx.require(wrong.length === 0, `wrong echoes: ${wrong.slice(0, 3).join('; ')}`);
    ctx.require(echoed.size === opened.length, `${opened.length - echoed.size} echo(es) missing after the burst`);
  },
};
