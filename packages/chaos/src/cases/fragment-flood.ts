import type { ChaosCase } from '../case.js';
import type { Settings } from '../settings.js';
import { frame, Opcode, repeated } from '../wire/frames.js';

function bounds(settings: Settings): { frames: number; ms: number } {
  return settings.form === 'quick' ? { frames: 200_000, ms: 2000 } : { frames: 3_000_000, ms: 10_000 };
}

/**
 * Fragment flood: a text message opened with an empty non-final frame, then empty continuation frames by
 * the million, never the last one. Each fragment is free to send and costs the server a list entry; it
 * must close the connection (ours: 1008 past maxFragments) long before the flood runs out.
 */
export const fragmentFlood: ChaosCase = {
  name: 'fragment-flood',
  summary: 'one message of millions of empty continuation frames; must be closed (1008 past maxFragments)',
  timeLimitMs: (s) => bounds(s).ms + 5000,
  async attack(ctx) {
    const { frames, ms } = bounds(ctx.settings);
    const connections = ctx.quick ? 1 : 2;
    const peers = await Promise.all(Array.from({ length: connections }, () => ctx.open({}, { read: true })));
    const one = frame(Opcode.continuation, undefined, { fin: false });
    const block = repeated(one, Math.floor((64 * 1024) / one.length));
    const until = Math.min(ctx.until, Date.now() + ms);
    await Promise.all(
      peers.map(async (peer) => {
        peer.send(frame(Opcode.text, undefined, { fin: false }));
        await peer.flood(block, frames * one.length, until);
        ctx.sent.frames += 1 + Math.floor(peer.bytesOnWire / one.length);
      }),
    );
    await Promise.all(peers.map((p) => p.waitEnd(1000)));
    const codes = peers.map((p) => p.outcome());
    ctx.require(
      codes.every((c) => c === '1008'),
      `expected every connection closed with 1008, got ${codes.join(', ')}`,
    );
  },
};
