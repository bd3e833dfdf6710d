import type { ChaosCase } from '../case.js';
import type { Settings } from '../settings.js';
import { frame, Opcode } from '../wire/frames.js';
import type { Peer } from '../wire/peer.js';

interface Lie {
  name: string;
  /** The bytes sent; nothing follows them. */
  bytes: Buffer;
  /** Close codes that are a right answer (undefined: any way of ending it in time is). */
  codes: readonly number[] | undefined;
}

function lies(settings: Settings): Lie[] {
  const kib = Buffer.alloc(1024, 0x6c);
  return [
    // The largest length RFC 6455 allows, far past any maxMessageSize: refuse on the header alone.
    { name: '2^63-1', bytes: frame(Opcode.binary, kib, { declaredLength: 2n ** 63n - 1n }), codes: [1009, 1002] },
    // The most significant bit set, which RFC 6455 forbids outright.
    { name: '2^64-1', bytes: frame(Opcode.binary, kib, { declaredLength: 2n ** 64n - 1n }), codes: [1002, 1009] },
    // A length within the limits, 1 KiB of it sent, then silence: only a timer can end this one.
    {
      name: 'short then silent',
      bytes: frame(Opcode.binary, kib, { declaredLength: BigInt(Math.min(settings.knobs.maxMessageSize, 1024 * 1024)) }),
      codes: undefined,
    },
  ];
}

/** How long the server may take to end a lie: the message timeout or two heartbeats, and a margin. */
function boundMs(settings: Settings): number {
  return Math.max(settings.knobs.messageTimeout, 2 * settings.knobs.heartbeatInterval) + settings.releaseMarginMs;
}

/**
 * Frame-length lies: a header declaring 2^63-1 or 2^64-1 bytes, or a length larger than what follows and
 * then silence. The attacker reads (to see the close code) but never answers pings.
 */
export const lengthLies: ChaosCase = {
  name: 'length-lies',
  summary: 'frames declaring 2^63-1 / 2^64-1 bytes, or more than is sent then silence; each must be closed in time',
  timeLimitMs: (s) => boundMs(s) + 5000,
  async attack(ctx) {
    const perLie = ctx.quick ? 3 : 10;
    const bound = boundMs(ctx.settings);
    const groups: { lie: Lie; peers: Peer[] }[] = [];
    for (const lie of lies(ctx.settings)) {
      const peers = await Promise.all(Array.from({ length: perLie }, () => ctx.open({}, { read: true })));
      for (const peer of peers) peer.send(lie.bytes);
      ctx.sent.frames += perLie;
      groups.push({ lie, peers });
    }
    await Promise.all(groups.flatMap((g) => g.peers.map((p) => p.waitEnd(bound))));
    for (const { lie, peers } of groups) {
      const open = peers.filter((p) => p.closeCode === undefined && !p.serverEnded).length;
      ctx.require(open === 0, `${lie.name}: ${open} connection(s) neither closed nor cut within ${bound} ms`);
      const codes = lie.codes;
      if (codes !== undefined) {
        const wrong = peers.filter((p) => p.closeCode !== undefined && !codes.includes(p.closeCode)).map((p) => p.closeCode);
        ctx.require(
          wrong.length === 0,
          `${lie.name}: closed with ${[...new Set(wrong)].join(', ')}, expected ${codes.join(' or ')}`,
        );
      }
    }
  },
};
