import { constants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bombPayload } from '../src/cases/deflate-bomb.js';
import { Prng } from '../src/prng.js';
import { closeFrame, frame, Opcode, RSV1 } from '../src/wire/frames.js';
import { FrameReader } from '../src/wire/frame-reader.js';

describe('frame', () => {
  it('writes each length encoding, masked', () => {
    expect([...frame(Opcode.text).subarray(0, 2)]).toEqual([0x81, 0x80]);
    expect(frame(Opcode.binary, Buffer.alloc(126)).readUInt16BE(2)).toBe(126);
    const big = frame(Opcode.binary, Buffer.alloc(65536));
    expect(big[1]).toBe(0x80 | 127);
    expect(big.readBigUInt64BE(2)).toBe(65536n);
    expect(big.length).toBe(2 + 8 + 4 + 65536);
  });

  it('writes a declared length that differs from the payload (a lie)', () => {
    const lie = frame(Opcode.binary, Buffer.alloc(4), { declaredLength: 2n ** 63n - 1n });
    expect(lie.readBigUInt64BE(2)).toBe(2n ** 63n - 1n);
    expect(lie.length).toBe(2 + 8 + 4 + 4);
  });

  it('sets FIN, RSV1 and leaves an unmasked frame readable', () => {
    const f = frame(Opcode.continuation, Buffer.from('hi'), { fin: false, rsv: RSV1, mask: null });
    expect(f[0]).toBe(0x40);
    expect(f[1]).toBe(2);
    expect(f.subarray(2).toString()).toBe('hi');
  });
});

describe('FrameReader', () => {
  it('reassembles fragments fed one byte at a time, answers control frames in between', () => {
    const events: string[] = [];
    const reader = new FrameReader({
      message: (opcode, data) => events.push(`message ${opcode} ${data.toString()}`),
      ping: (payload) => events.push(`ping ${payload.toString()}`),
      close: (code, reason) => events.push(`close ${code} ${reason}`),
    });
    const stream = Buffer.concat([
      frame(Opcode.text, Buffer.from('hel'), { fin: false }),
      frame(Opcode.ping, Buffer.from('p')),
      frame(Opcode.continuation, Buffer.from('lo')),
      frame(Opcode.binary, Buffer.alloc(300, 0x61), { mask: null }),
      closeFrame(1008, 'too many'),
    ]);
    for (const byte of stream) reader.push(Buffer.of(byte));
    expect(events).toEqual(['ping p', 'message 1 hello', `message 2 ${'a'.repeat(300)}`, 'close 1008 too many']);
  });

  it('stops on a frame larger than its bound instead of buffering it', () => {
    let broken = '';
    const reader = new FrameReader({ broken: (reason) => (broken = reason) }, 1024);
    reader.push(frame(Opcode.binary, Buffer.alloc(4), { declaredLength: 2n ** 40n }));
    expect(broken).toMatch(/declared/);
  });
});

describe('bombPayload', () => {
  it('inflates to the asked size once the 00 00 ff ff tail is put back (RFC 7692)', () => {
    const payload = bombPayload(4 * 1024 * 1024);
    expect(payload.length).toBeLessThan(8 * 1024);
    const inflated = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(inflated.length).toBe(4 * 1024 * 1024);
  });
});

describe('Prng', () => {
  it('replays the same stream from the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(new Prng(43).next()).not.toBe(new Prng(42).next());
  });
});
