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
    const input = concatBytes([frame({ opcode: 2, payload: [1, 2, 3, 4, 5], rsv: 4, fin: false }), frame({ opcode: 0, payload: [] })]);
    decoder.push(input.subarray(0, 9), sink);
    expect(decoder.bufferedBytes).toBe(3);
    decoder.push(input.subarray(9), sink);
    expect(log).toEqual(['start fin=false rsv=4 op=2 len=5', 'data 010203', 'data 0405', 'end 0102030405', 'start fin=true rsv=0 op=0 len=0', 'end ']);
    expect(decoder.bufferedBytes).toBe(0);
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
    decoder.push(concatBytes([frame({ opcode: 1, payload: 'a', mask: null }), frame({ opcode: 1, payload: 'b', mask: null })]), sink);
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
