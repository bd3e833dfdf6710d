/** FrameDecoder on its own: the sink protocol, limits, stop(), and what it holds between chunks. */
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type FrameSink, ProtocolError } from '../src/index.js';
import { concatBytes, frame, hex } from './helpers.js';

function recorder(): { sink: FrameSink; log: string[] } {
  const log: string[] = [];
  return {
    log,
    sink: {
      frameStart: (fin, rsv, opcode, length) => log.push(`start fin=${fin} rsv=${rsv} op=${opcode} len=${length}`),
      frameData: (chunk) => log.push(`data ${hex(chunk)}`),
      frameEnd: (payload) => log.push(`end ${hex(payload)}`),
    },
  };
}

describe('FrameDecoder', () => {
  it('reports header, unmasked pieces and the whole payload, in order', () => {
    const { sink, log } = recorder();
    const decoder = new FrameDecoder({ role: 'server', allowedRsv: 4 });
    const input = concatBytes([
      frame({ opcode: 2, payload: [1, 2, 3, 4, 5], rsv: 4, fin: false }),
      frame({ opcode: 0, payload: [] }),
    ]);
    decoder.push(input.subarray(0, 9), sink);
    expect(decoder.bufferedBytes).toBe(3);
    decoder.push(input.subarray(9), sink);
    expect(log).toEqual([
      'start fin=false rsv=4 op=2 len=5',
      'data 010203',
      'data 0405',
      'end 0102030405',
      'start fin=true rsv=0 op=0 len=0',
      'end ',
    ]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('assembles a payload split over chunks in one buffer allocated up front only once a quarter of it arrived', () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    for (const role of ['server', 'client'] as const) {
      const input = frame({ opcode: 2, payload, mask: role === 'server' ? [1, 2, 3, 4] : null });
      const header = input.length - payload.length;
      // First piece: 250 bytes (a quarter: allocated up front), then 249 (under: kept as pieces).
      for (const first of [250, 249, 1]) {
        const sizes: number[] = [];
        const ends: Uint8Array[] = [];
        const decoder = new FrameDecoder({
          role,
          allocate: (size) => {
            sizes.push(size);
            return new Uint8Array(size).fill(0xee); // garbage the decoder must overwrite completely
          },
        });
        const sink: FrameSink = { frameStart: () => false, frameData: () => {}, frameEnd: (p) => ends.push(p.slice()) };
        // The rest arrives in uneven pieces, with the start of a next frame behind the last one.
        const rest = concatBytes([
          input.subarray(header + first),
          frame({ opcode: 1, payload: 'x', mask: role === 'server' ? [9, 9, 9, 9] : null }),
        ]);
        decoder.push(input.subarray(0, header + first), sink);
        expect(sizes).toEqual([]); // the first piece is held as a view until the next shows where it continues
        decoder.push(rest.slice(0, 333), sink);
        expect(sizes.includes(1000)).toBe(first === 250); // below a quarter, memory follows the bytes received
        for (let at = 333; at < rest.length; at += 333) decoder.push(rest.slice(at, at + 333), sink);
        expect(ends.map(hex)).toEqual([hex(payload), '78']);
        if (first === 250) expect(sizes).toEqual([1000]);
        expect(decoder.bufferedBytes).toBe(0);
      }
    }
  });

  it('hands out a payload across slices of one buffer as a view of it, and copies once a piece comes from elsewhere', () => {
    const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 13 + 5) & 0xff);
    for (const role of ['server', 'client'] as const) {
      for (const wantData of [false, true]) {
        const mask = role === 'server' ? [7, 1, 200, 33] : null;
        const input = concatBytes([frame({ opcode: 2, payload, mask }), frame({ opcode: 2, payload, mask })]);
        const header = input.length / 2 - payload.length;
        const sizes: number[] = [];
        const ends: Uint8Array[] = [];
        const pieces: string[] = [];
        const decoder = new FrameDecoder({
          role,
          allocate: (size) => {
            sizes.push(size);
            return new Uint8Array(size).fill(0xee);
          },
        });
        const sink: FrameSink = {
          frameStart: () => wantData,
          frameData: (chunk) => pieces.push(hex(chunk)),
          frameEnd: (p) => ends.push(p),
        };
        // The first frame in slices of 1000 bytes of the same buffer: one view, nothing allocated.
        const firstEnd = header + payload.length;
        for (let at = 0; at < firstEnd; at += 1000) decoder.push(input.subarray(at, Math.min(at + 1000, firstEnd)), sink);
        expect(sizes).toEqual([]);
        expect(ends[0]!.buffer).toBe(input.buffer);
        expect(hex(ends[0]!)).toBe(hex(payload));
        if (wantData) expect(pieces.join('')).toBe(hex(payload)); // every piece was seen, unmasked
        // The second frame: two adjacent slices, then the rest from another buffer: one copy.
        const second = input.subarray(firstEnd);
        decoder.push(second.subarray(0, header + 600), sink);
        decoder.push(second.subarray(header + 600, header + 1200), sink);
        expect(sizes).toEqual([]);
        expect(decoder.bufferedBytes).toBe(1200);
        decoder.push(second.slice(header + 1200), sink);
        expect(ends.length).toBe(2);
        expect(ends[1]!.buffer).not.toBe(input.buffer);
        expect(hex(ends[1]!)).toBe(hex(payload));
        expect(decoder.bufferedBytes).toBe(0);
        // A first piece at the end of its own memory (a whole read) cannot be continued there: it is
        // kept at once (here: its final buffer, over a quarter of the payload arrived).
        if (!wantData) {
          const third = frame({ opcode: 2, payload, mask }); // the input above was unmasked in place
          decoder.push(third.slice(0, header + 1000), sink);
          expect(sizes).toEqual([3000, 3000]);
          decoder.push(third.slice(header + 1000), sink);
          expect(hex(ends[2]!)).toBe(hex(payload));
        }
      }
    }
  });

  it('rejects a frame over maxPayload from its header, before any payload', () => {
    const { sink, log } = recorder();
    const decoder = new FrameDecoder({ role: 'client', maxPayload: 10 });
    const header = frame({ opcode: 2, payload: new Uint8Array(11), mask: null }).subarray(0, 2);
    let error: unknown;
    try {
      decoder.push(header, sink);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(1009);
    expect(log).toEqual([]);
    expect(decoder.stopped).toBe(true);
  });

  it('stops mid-chunk when the sink asks, ignoring the rest and later input', () => {
    const { log } = recorder();
    const decoder = new FrameDecoder({ role: 'client' });
    const sink: FrameSink = {
      frameStart: () => {},
      frameData: () => {},
      frameEnd: (payload) => {
        log.push(hex(payload));
        decoder.stop();
      },
    };
    decoder.push(
      concatBytes([frame({ opcode: 1, payload: 'a', mask: null }), frame({ opcode: 1, payload: 'b', mask: null })]),
      sink,
    );
    decoder.push(frame({ opcode: 1, payload: 'c', mask: null }), sink);
    expect(log).toEqual(['61']);
  });

  it('checks header rules as soon as the bytes they need arrive', () => {
    const { sink } = recorder();
    // Reserved opcode: known from the first byte alone.
    expect(() => new FrameDecoder({ role: 'server' }).push(Uint8Array.of(0x83), sink)).toThrow(/Reserved opcode/);
    // Control frame length: needs the second byte; the extended length never has to arrive.
    const decoder = new FrameDecoder({ role: 'server' });
    decoder.push(Uint8Array.of(0x89), sink);
    expect(() => decoder.push(Uint8Array.of(0xfe), sink)).toThrow(/125 bytes/);
  });
});
