import type { ChaosCase } from '../case.js';
import type { Settings } from '../settings.js';
import { MiB } from '../units.js';
import { frame, Opcode, repeated } from '../wire/frames.js';

function bounds(settings: Settings): { connections: number; bytes: number; ms: number } {
  return settings.form === 'quick'
    ? { connections: 2, bytes: 32 * MiB, ms: 2000 }
    : { connections: 8, bytes: 64 * MiB, ms: 10_000 };
}

/**
 * Slow readers: clients that ask for lots of echo (64 KiB messages, as fast as TCP takes them) and read the
 * replies at 1 KiB/s. Together they ask for more than the memory budget: the server must stop reading them
 * or close them (1013), and hold its memory whatever they do.
 */
export const slowReader: ChaosCase = {
  name: 'slow-reader',
  summary: 'clients push 64 KiB messages for echo and read replies at 1 KiB/s; memory must stay within budget',
  timeLimitMs: (s) => bounds(s).ms + 5000,
  async attack(ctx) {
    const { connections, bytes, ms } = bounds(ctx.settings);
    const peers = await Promise.all(Array.from({ length: connections }, () => ctx.open({}, { read: false })));
    const one = frame(Opcode.binary, Buffer.alloc(64 * 1024, 0x72));
    const block = repeated(one, 4);
    const until = Math.min(ctx.until, Date.now() + ms);
    await Promise.all(
      peers.map(async (peer) => {
        await Promise.all([peer.flood(block, bytes / connections, until), peer.readSlowly(1024, 1000, until)]);
        ctx.sent.frames += Math.floor(peer.bytesOnWire / one.length);
      }),
    );
    ctx.note(`asked for ${Math.round(peers.reduce((s, p) => s + p.bytesOnWire, 0) / MiB)} MiB of echo in ${ms} ms`);
  },
};
