import type { ChaosCase } from '../case.js';
import { inLanes, sleep } from '../lanes.js';
import { Prng } from '../prng.js';
import type { Settings } from '../settings.js';
import { closeFrame, frame, Opcode, RSV1 } from '../wire/frames.js';

/** Close codes that may not be sent on the wire, or are outside the ranges RFC 6455 allows. */
const BAD_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535];

/** One well-formed frame of a random kind and size (the raw material mutations start from). */
function validFrame(rng: Prng): Buffer {
  const kind = rng.below(4);
  if (kind === 0) return frame(Opcode.text, Buffer.from('x'.repeat(rng.below(300))));
  if (kind === 1) return frame(Opcode.binary, rng.bytes(rng.pick([0, 1, 125, 126, 200, 65536])));
  if (kind === 2) return frame(Opcode.ping, rng.bytes(rng.below(126)));
  return frame(Opcode.pong, rng.bytes(rng.below(126)));
}

/** One unit of the stream: valid, mutated, or plainly wrong in one of the ways RFC 6455 names. */
function unit(rng: Prng): Buffer {
  switch (rng.below(12)) {
    case 0:
    case 1:
      return validFrame(rng);
    case 2: {
      // A bit flipped in the two header bytes: FIN, RSV, opcode, MASK or the 7-bit length.
      const f = validFrame(rng);
      f[rng.below(2)]! ^= 1 << rng.below(8);
      return f;
    }
    case 3: {
      // A byte of the frame replaced anywhere (header, mask key or payload).
      const f = validFrame(rng);
      f[rng.below(f.length)] = rng.next() & 0xff;
      return f;
    }
    case 4: {
      // Cut short: the rest of the stream is read as this frame's payload.
      const f = validFrame(rng);
      return f.subarray(0, rng.below(f.length));
    }
    case 5:
      return rng.bytes(1 + rng.below(64));
    case 6:
      // Invalid UTF-8 in a text message (a lone continuation byte, an overlong encoding, a surrogate).
      return frame(Opcode.text, Buffer.from(rng.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]])));
    case 7:
      return frame(rng.pick([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]), rng.bytes(rng.below(20)));
    case 8:
      return frame(Opcode.binary, rng.bytes(rng.below(40)), { mask: null });
    case 9:
      // Control frames that break the rules: too long, fragmented, or compressed.
      return rng.pick([
        frame(Opcode.ping, rng.bytes(126 + rng.below(200))),
        frame(Opcode.ping, Buffer.alloc(0), { fin: false }),
        frame(Opcode.pong, Buffer.alloc(3), { rsv: RSV1 }),
      ]);
    case 10: {
      const payload = Buffer.alloc(rng.chance(0.3) ? 1 : 2);
      if (payload.length === 2) payload.writeUInt16BE(rng.pick(BAD_CLOSE_CODES));
      return frame(Opcode.close, payload);
    }
    default:
      // Fragmentation gone wrong: a continuation with nothing to continue, or a new message inside one.
      return rng.chance(0.5)
        ? frame(Opcode.continuation, rng.bytes(rng.below(20)))
        : Buffer.concat([frame(Opcode.text, Buffer.from('ab'), { fin: false }), frame(Opcode.binary, Buffer.from('cd'))]);
  }
}

/** How long a connection may stay open after its last byte: a message timeout or two heartbeats, plus a closing handshake. */
function boundMs(settings: Settings): number {
  const { messageTimeout, heartbeatInterval, closeTimeout } = settings.knobs;
  return Math.max(messageTimeout, 2 * heartbeatInterval) + closeTimeout + settings.releaseMarginMs;
}

/**
 * Random and mutated frames, from a seeded generator (one stream per connection, derived from the seed and
 * the connection's index, so any connection can be replayed alone). Each stream ends with a valid close
 * frame; every connection must end with a close code or a plain cut, and the server must not crash.
 */
export const randomFrames: ChaosCase = {
  name: 'random-frames',
  summary: 'seeded random and mutated frames on many connections; each must end with a close code or a cut',
  timeLimitMs: (s) => (s.form === 'quick' ? 8000 : 40_000) + boundMs(s),
  async attack(ctx) {
    const count = ctx.quick ? 60 : 600;
    const bound = boundMs(ctx.settings);
    const stuck: number[] = [];
    let finished = 0;
    ctx.note(`seed ${ctx.settings.seed}`);
    const ran = await inLanes(count, ctx.quick ? 15 : 30, ctx.until - bound, async (index) => {
      const rng = new Prng(ctx.settings.seed * 1_000_003 + index);
      const peer = await ctx.open({}, { read: true });
      const units = Array.from({ length: 1 + rng.below(8) }, () => unit(rng));
      ctx.sent.frames += units.length + 1;
      const stream = Buffer.concat([...units, closeFrame(1000, 'random done')]);
      // Split at random points with short pauses, so the parser's partial-frame paths see the mess too.
      let offset = 0;
      while (offset < stream.length && !peer.closed) {
        const end = rng.chance(0.5) ? stream.length : offset + 1 + rng.below(stream.length - offset);
        peer.send(stream.subarray(offset, end));
        offset = end;
        if (offset < stream.length) await sleep(rng.below(5));
      }
      if (!(await peer.waitEnd(bound))) stuck.push(index);
      finished++;
    });
    ctx.require(
      finished === count,
      `only ${finished} of ${count} connections ran to the end (${ran} started) within the time limit`,
    );
    ctx.require(
      stuck.length === 0,
      `${stuck.length} connection(s) neither closed nor cut within ${bound} ms (indices ${stuck.slice(0, 5).join(', ')})`,
    );
  },
};
