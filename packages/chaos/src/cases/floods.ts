import type { CaseContext, ChaosCase } from '../case.js';
import { releaseBoundMs, type Settings } from '../settings.js';
import { MiB } from '../units.js';
import { frame, Opcode, repeated } from '../wire/frames.js';

/** The flood's bounds: it stops at whichever comes first. */
function floodBounds(settings: Settings): { bytes: number; ms: number } {
  return settings.form === 'quick' ? { bytes: 8 * MiB, ms: 1500 } : { bytes: 30 * MiB, ms: 10_000 };
}

/**
 * How long the flooders are held (still not reading) for the server to cut them: the release bound,
 * two heartbeats to find them dead plus a closing handshake plus the margin (a server may close a
 * flooder with a close frame, 1013 say, and wait closeTimeout for an answer that never comes).
 */
function holdMs(settings: Settings): number {
  return releaseBoundMs(settings);
}

const KINDS = {
  empty: { label: 'empty text messages', frame: frame(Opcode.text) },
  ping: { label: 'empty pings', frame: frame(Opcode.ping) },
  small: { label: '16-byte binary messages', frame: frame(Opcode.binary, Buffer.alloc(16, 0x61)) },
} as const;

/**
 * Tiny-frame flood from clients that never read: every frame asks for a reply (an echo or a pong) that
 * costs the server far more than the 6 to 22 bytes it took to send. The server must stop reading them
 * (backpressure), keep its memory within the budget, and cut them (heartbeat) while they hold on.
 */
function floodCase(kind: keyof typeof KINDS, connections: number): ChaosCase {
  const { label, frame: one } = KINDS[kind];
  return {
    name: `flood-${kind}-x${connections}`,
    summary: `${connections} non-reading connection(s) sending ${label} as fast as TCP allows`,
    timeLimitMs: (s) => floodBounds(s).ms + holdMs(s) + 3000,
    async attack(ctx: CaseContext) {
      const { bytes, ms } = floodBounds(ctx.settings);
      const peers = await Promise.all(Array.from({ length: connections }, () => ctx.open({}, { read: false })));
      // 64 KiB blocks of whole frames: big writes keep the attacker cheap, whole frames keep the stream valid.
      const block = repeated(one, Math.floor((64 * 1024) / one.length));
      const floodUntil = Math.min(ctx.until, Date.now() + ms);
      const started = Date.now();
      await Promise.all(peers.map((peer) => peer.flood(block, bytes / connections, floodUntil)));
      const onWire = peers.reduce((sum, peer) => sum + peer.bytesOnWire, 0);
      ctx.sent.frames += Math.floor(onWire / one.length);
      ctx.note(`flood stopped after ${Date.now() - started} ms`);
      if (ctx.targetGone()) return;

      // Keep holding the connections, still not reading: a heartbeat must find them dead.
      const hold = holdMs(ctx.settings);
      const releasedMs = await ctx.waitReleased(hold);
      ctx.note(
        releasedMs === undefined
          ? `flooders still held ${hold} ms after the flood`
          : `server let go of the flooders ${releasedMs} ms after the flood`,
      );
      ctx.require(releasedMs !== undefined, `the server still held the non-reading flooders ${hold} ms after the flood stopped`);

      // Read what is left, to learn how the server ended each one (close code or a plain cut).
      for (const peer of peers) peer.read();
      await Promise.all(peers.map((peer) => peer.waitEnd(500)));
    },
  };
}

export const floodCases: ChaosCase[] = [
  floodCase('empty', 1),
  floodCase('empty', 10),
  floodCase('ping', 1),
  floodCase('ping', 10),
  floodCase('small', 1),
  floodCase('small', 10),
];
