import { constants, deflateRawSync } from 'node:zlib';
import type { ChaosCase } from '../case.js';
import { inLanes } from '../lanes.js';
import { MiB } from '../units.js';
import { frame, Opcode, RSV1 } from '../wire/frames.js';

/**
 * A compressed message body that inflates to `size` zero bytes: deflate with a sync flush, then drop the
 * trailing 00 00 ff ff, as RFC 7692 section 7.2.1 has every sender do (the receiver puts it back).
 */
export function bombPayload(size: number): Buffer {
  const deflated = deflateRawSync(Buffer.alloc(size), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  if (!deflated.subarray(-4).equals(Buffer.from([0x00, 0x00, 0xff, 0xff]))) throw new Error('sync flush marker missing');
  return deflated.subarray(0, -4);
}

/**
 * Decompression bombs: permessage-deflate messages of a few dozen KiB that inflate past maxMessageSize,
 * several at once. Each must be refused with 1009 (or 1013 when the memory budget cuts in first) without
 * the inflate output ever piling up.
 */
export const deflateBomb: ChaosCase = {
  name: 'deflate-bomb',
  summary: 'permessage-deflate messages of ~1/1000 their inflated size, inflating past maxMessageSize; expect 1009',
  timeLimitMs: (s) => (s.form === 'quick' ? 10_000 : 30_000),
  async attack(ctx) {
    const payload = bombPayload(ctx.knobs.maxMessageSize + MiB);
    const bomb = frame(Opcode.binary, payload, { rsv: RSV1 });
    const concurrent = ctx.quick ? 2 : 8;
    const rounds = ctx.quick ? 2 : 4;
    ctx.note(`bomb: ${payload.length} bytes inflating to ${ctx.knobs.maxMessageSize + MiB}`);
    const wrong: string[] = [];
    let notNegotiated = 0;
    await inLanes(concurrent * rounds, concurrent, ctx.until, async () => {
      const peer = await ctx.open({ deflate: true }, { read: true });
      if (!peer.deflated) {
        notNegotiated++;
        return;
      }
      peer.send(bomb);
      ctx.sent.frames++;
      await peer.waitEnd(ctx.knobs.messageTimeout + 5000);
      const outcome = peer.outcome();
      if (outcome !== '1009' && outcome !== '1013') wrong.push(outcome);
    });
    ctx.require(notNegotiated === 0, `${notNegotiated} connection(s) did not get permessage-deflate`);
    ctx.require(wrong.length === 0, `expected 1009 (or 1013), got ${[...new Set(wrong)].join(', ')}`);
  },
};
