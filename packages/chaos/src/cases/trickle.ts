import type { ChaosCase } from '../case.js';
import type { Settings } from '../settings.js';
import { frame, Opcode } from '../wire/frames.js';
import type { Peer } from '../wire/peer.js';

function tickMs(settings: Settings): number {
  return settings.form === 'quick' ? 100 : 250;
}

/**
 * Trickle: one byte of a frame every tick. Each byte is traffic, so a liveness check that counts bytes
 * never fires; only a bound on how long one message may take (ours: messageTimeout, 1008) ends it.
 */
export const trickle: ChaosCase = {
  name: 'trickle',
  summary: 'one byte of a frame every 100 ms (quick) / 250 ms (full); must be cut by messageTimeout with 1008',
  timeLimitMs: (s) => s.knobs.messageTimeout + s.releaseMarginMs + 5000,
  async attack(ctx) {
    const count = ctx.quick ? 3 : 10;
    const tick = tickMs(ctx.settings);
    // 125 bytes of payload: the frame takes far longer to trickle than any message timeout here.
    const bytes = frame(Opcode.text, Buffer.alloc(125, 0x74));
    const peers: Peer[] = await Promise.all(Array.from({ length: count }, () => ctx.open({}, { read: true })));
    const bound = ctx.knobs.messageTimeout + ctx.settings.releaseMarginMs;
    const started = Date.now();
    let position = 0;
    while (Date.now() - started < bound && position < bytes.length && peers.some((p) => !p.closed && p.closeCode === undefined)) {
      const byte = bytes.subarray(position, position + 1);
      for (const peer of peers) if (!peer.closed && peer.closeCode === undefined) peer.send(byte);
      position++;
      await new Promise((r) => setTimeout(r, tick));
    }
    await Promise.all(peers.map((p) => p.waitEnd(200)));
    ctx.note(`${position} bytes trickled over ${Date.now() - started} ms`);
    const outcomes = peers.map((p) => p.outcome());
    const open = outcomes.filter((o) => o === 'open').length;
    ctx.require(
      open === 0,
      `${open} trickling connection(s) still open ${bound} ms after their first byte (messageTimeout + margin)`,
    );
    const other = outcomes.filter((o) => o !== '1008' && o !== 'open');
    ctx.require(other.length === 0, `expected 1008 (message timeout), got ${[...new Set(other)].join(', ')}`);
  },
};
