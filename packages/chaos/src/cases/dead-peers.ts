import type { ChaosCase } from '../case.js';
import { closeFrame } from '../wire/frames.js';
import type { Peer } from '../wire/peer.js';

/**
 * Dead peers: connections that go completely silent after the handshake (no reads, no writes, no FIN).
 * Held by the attacker, they must still be cut by the heartbeat within two intervals.
 */
export const deadPeers: ChaosCase = {
  name: 'dead-peers',
  summary: 'connections silent after the handshake (no read, no write, no FIN); the heartbeat must cut them',
  timeLimitMs: (s) => 2 * s.knobs.heartbeatInterval + s.releaseMarginMs + 5000,
  async attack(ctx) {
    const count = ctx.quick ? 5 : 50;
    await Promise.all(Array.from({ length: count }, () => ctx.open({}, { read: false })));
    const bound = 2 * ctx.knobs.heartbeatInterval + ctx.settings.releaseMarginMs;
    const releasedMs = await ctx.waitReleased(bound);
    ctx.note(releasedMs === undefined ? `still held after ${bound} ms` : `released ${releasedMs} ms after going silent`);
    ctx.require(releasedMs !== undefined, `${count} silent connection(s) not cut within ${bound} ms (2 heartbeats + margin)`);
  },
};

/**
 * Half-open after the close handshake: the client sends a close frame and then never sends its FIN;
 * half of them read the server's close reply first, half never read at all. The server has finished
 * the closing handshake (or tried to) and must let go within closeTimeout, whoever keeps the socket.
 */
export const halfOpen: ChaosCase = {
  name: 'half-open-after-close',
  summary: 'client sends close (reads the reply or not), then never sends FIN; released within closeTimeout',
  timeLimitMs: (s) => s.knobs.closeTimeout + s.releaseMarginMs + 8000,
  async attack(ctx) {
    const count = ctx.quick ? 6 : 50;
    const peers: Peer[] = await Promise.all(
      Array.from({ length: count }, (_, i) => ctx.open({ allowHalfOpen: true }, { read: i % 2 === 0 })),
    );
    for (const peer of peers) peer.send(closeFrame(1000, 'bye'));
    ctx.sent.frames += count;
    // The readers wait for the server's close reply, then stop reading for good.
    const readers = peers.filter((_, i) => i % 2 === 0);
    await Promise.all(readers.map((p) => p.waitEnd(2000)));
    for (const peer of readers) peer.socket.pause();
    const replied = readers.filter((p) => p.closeCode !== undefined).length;
    ctx.note(`${replied} of ${readers.length} readers got the close reply`);
    ctx.require(replied === readers.length, `${readers.length - replied} close frame(s) got no reply`);
    const bound = ctx.knobs.closeTimeout + ctx.settings.releaseMarginMs;
    const releasedMs = await ctx.waitReleased(bound);
    ctx.note(releasedMs === undefined ? `still held after ${bound} ms` : `released ${releasedMs} ms after the close replies`);
    ctx.require(
      releasedMs !== undefined,
      `half-open connections still held ${bound} ms after the close handshake (closeTimeout + margin)`,
    );
  },
};
