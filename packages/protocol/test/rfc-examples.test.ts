/** RFC 6455 section 5.7: the example frames decode and encode to exactly the bytes in the RFC. */
import { describe, expect, it } from 'vitest';
import { applyMask, encodeFrame, encodeFrameHeader, FrameDecoder } from '../src/index.js';
import { concatBytes, run } from './helpers.js';

const h = (text: string): Uint8Array => Uint8Array.from(text.split(' ').map((b) => parseInt(b, 16)));

const examples = {
  unmaskedHello: h('81 05 48 65 6c 6c 6f'),
  maskedHello: h('81 85 37 fa 21 3d 7f 9f 4d 51 58'),
  fragmentedHel: h('01 03 48 65 6c'),
  fragmentedLo: h('80 02 6c 6f'),
  unmaskedPing: h('89 05 48 65 6c 6c 6f'),
  maskedPong: h('8a 85 37 fa 21 3d 7f 9f 4d 51 58'),
  binary256Header: h('82 7e 01 00'),
  binary64KiBHeader: h('82 7f 00 00 00 00 00 01 00 00'),
};

const hello = new TextEncoder().encode('Hello');

describe('RFC 6455 section 5.7 examples', () => {
  it('encodes a single-frame unmasked text message', () => {
    expect(concatBytes(encodeFrame(1, true, 0, hello))).toEqual(examples.unmaskedHello);
  });

  it('encodes a single-frame masked text message without touching the input', () => {
    const input = hello.slice();
    expect(concatBytes(encodeFrame(1, true, 0, input, h('37 fa 21 3d')))).toEqual(examples.maskedHello);
    expect(input).toEqual(hello);
  });

  it('encodes the fragmented unmasked text message', () => {
    expect(concatBytes(encodeFrame(1, false, 0, hello.subarray(0, 3)))).toEqual(examples.fragmentedHel);
    expect(concatBytes(encodeFrame(0, true, 0, hello.subarray(3)))).toEqual(examples.fragmentedLo);
  });

  it('encodes the ping, the masked pong and the 256-byte and 64 KiB binary headers', () => {
    expect(concatBytes(encodeFrame(9, true, 0, hello))).toEqual(examples.unmaskedPing);
    expect(concatBytes(encodeFrame(10, true, 0, hello, h('37 fa 21 3d')))).toEqual(examples.maskedPong);
    expect(encodeFrameHeader(2, true, 0, 256)).toEqual(examples.binary256Header);
    expect(encodeFrameHeader(2, true, 0, 65536)).toEqual(examples.binary64KiBHeader);
  });

  it('decodes the unmasked examples in a client connection', () => {
    const input = concatBytes([examples.unmaskedHello, examples.fragmentedHel, examples.unmaskedPing, examples.fragmentedLo]);
    const result = run(input, { role: 'client' });
    // The ping interleaved in the fragmented message is answered at once; the message completes after it.
    expect(result.events).toEqual(['text:Hello', 'ping:48656c6c6f', 'text:Hello']);
    expect(result.written).toEqual(['pong:48656c6c6f']);
  });

  it('decodes the masked examples in a server connection', () => {
    const result = run(concatBytes([examples.maskedHello, examples.maskedPong]), { role: 'server' });
    expect(result.events).toEqual(['text:Hello', 'pong:48656c6c6f']);
    expect(result.written).toEqual([]);
  });

  it('decodes the 256-byte and 64 KiB binary examples byte by byte', () => {
    const small = new Uint8Array(256).map((_, i) => i);
    const large = new Uint8Array(65536).map((_, i) => i * 7);
    const input = concatBytes([examples.binary256Header, small, examples.binary64KiBHeader, large]);
    for (const chunkSize of [0, 1, 1000]) {
      const payloads: Uint8Array[] = [];
      const decoder = new FrameDecoder({ role: 'client' });
      const data = input.slice();
      const size = chunkSize || data.length;
      for (let i = 0; i < data.length; i += size) {
        decoder.push(data.subarray(i, i + size), {
          frameStart: () => {},
          frameData: () => {},
          frameEnd: (p) => payloads.push(p.slice()),
        });
      }
      // Buffer.equals: deep equality on 64 KiB typed arrays is needlessly slow in the test runner.
      expect(payloads.length).toBe(2);
      expect(Buffer.from(payloads[0]!).equals(small)).toBe(true);
      expect(Buffer.from(payloads[1]!).equals(large)).toBe(true);
    }
  });

  it('never hands out the same bytes twice (headers come from a shared slab)', () => {
    const first = encodeFrameHeader(2, true, 0, 256);
    const masked = encodeFrame(1, true, 0, hello, h('37 fa 21 3d'));
    for (let i = 0; i < 20_000; i++) encodeFrame(2, true, 0, new Uint8Array(i % 300), h('01 02 03 04'));
    expect(first).toEqual(examples.binary256Header);
    expect(concatBytes(masked)).toEqual(examples.maskedHello);
  });

  it('encodes masked frames of every length class byte for byte (one chunk or two)', () => {
    const mask = h('37 fa 21 3d');
    for (const size of [0, 1, 3, 4, 5, 31, 32, 33, 125, 126, 127, 1000, 4087, 4088, 4089, 4090, 65_535, 65_536, 70_001]) {
      const payload = new Uint8Array(size).map((_, i) => (i * 13 + 5) & 255);
      const extended =
        size < 126
          ? [size]
          : size < 65_536
            ? [126, size >>> 8, size & 255]
            : [127, 0, 0, 0, 0, size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255];
      const header = [0x82, ...extended.map((b, i) => (i === 0 ? b | 0x80 : b)), ...mask];
      const expected = Uint8Array.from([...header, ...payload.map((b, i) => b ^ mask[i % 4]!)]);
      const chunks = encodeFrame(2, true, 0, payload, mask);
      expect(chunks.length).toBe(header.length + size <= 4096 ? 1 : 2);
      expect(Buffer.from(concatBytes(chunks)).equals(expected)).toBe(true);
      expect(payload.every((b, i) => b === ((i * 13 + 5) & 255))).toBe(true);
    }
  });

  it('applies the mask the same at any offset and alignment', () => {
    const mask = h('37 fa 21 3d');
    const source = new Uint8Array(300).map((_, i) => (i * 31) & 255);
    const expected = source.map((b, i) => b ^ mask[i % 4]!);
    for (const start of [0, 1, 2, 3, 5]) {
      for (const split of [0, 1, 7, 33, 150]) {
        const buffer = new Uint8Array(source.length + 8);
        buffer.set(source, start);
        const data = buffer.subarray(start, start + source.length);
        applyMask(data.subarray(0, split), mask, 0);
        applyMask(data.subarray(split), mask, split);
        expect(data).toEqual(expected);
      }
    }
  });
});
