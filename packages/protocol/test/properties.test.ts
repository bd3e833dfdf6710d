/**
 * Property tests (fast-check): round trips whatever the fragmentation and chunking, and robustness against
 * arbitrary input. Sizes and run counts are bounded to keep the suite quick on a shared machine. UTF-8
 * validation runs twice: with the scalar loops and with the WebAssembly SIMD kernel at every size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNEL_PATHS, kernelsFrom } from './kernel-paths.js';
import {
  applyMask,
  Connection,
  type ConnectionEvent,
  formatExtensionHeader,
  FrameDecoder,
  isValidUtf8,
  maskCopy,
  parseExtensionHeader,
  ProtocolError,
  Utf8Validator,
} from '../src/index.js';
import { concatBytes, frame } from './helpers.js';

type Message = { binary: true; data: Uint8Array } | { binary: false; data: string };

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((data) => ({ binary: true as const, data })),
  fc.string({ unit: 'binary', maxLength: 100 }).map((data) => ({ binary: false as const, data })),
);

/** Cuts `data` at the given (wrapped) positions. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (data.length === 0) return [data];
  const points = [...new Set(cuts.map((c) => c % data.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    out.push(data.subarray(start, point));
    start = point;
  }
  out.push(data.subarray(start));
  return out;
}

/** Sends `messages` from a `from`-role connection and returns the bytes it wrote. */
function wireBytes(messages: readonly Message[], from: 'server' | 'client', fragmentSize: number): Uint8Array {
  const written: Uint8Array[] = [];
  const sender = new Connection({
    role: from,
    fragmentSize,
    random: (b) => {
      for (let i = 0; i < b.length; i++) b[i] = (Math.random() * 256) | 0;
    },
    onWrite: (chunks) => {
      for (const chunk of chunks) written.push(chunk.slice());
    },
    onEvent: () => {},
  });
  for (const m of messages) sender.send(m.data, m.binary);
  return concatBytes(written);
}

function receiveAll(role: 'server' | 'client', chunks: readonly Uint8Array[]): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  const receiver = new Connection({ role, random: (b) => b.fill(1), onWrite: () => {}, onEvent: (e) => events.push(e) });
  for (const chunk of chunks) receiver.receive(chunk);
  return events;
}

const normalize = (m: Message): { binary: boolean; data: string } =>
  m.binary
    ? { binary: true, data: Buffer.from(m.data).toString('hex') }
    : { binary: false, data: Buffer.from(new TextEncoder().encode(m.data)).toString('hex') };

const received = (events: readonly ConnectionEvent[]): { binary: boolean; data: string }[] =>
  events.map((e) => {
    if (e.type !== 'message') throw new Error(`unexpected ${e.type}`);
    return { binary: e.binary, data: Buffer.from(e.data).toString('hex') };
  });

describe('round trip: decode(encode(messages)) == messages', () => {
  for (const from of ['client', 'server'] as const) {
    const to = from === 'client' ? 'server' : 'client';
    it(`${from} -> ${to}, random fragment sizes and chunk splits`, () => {
      fc.assert(
        fc.property(
          fc.array(message, { maxLength: 8 }),
          fc.integer({ min: 1, max: 400 }),
          fc.array(fc.nat(), { maxLength: 30 }),
          (messages, fragmentSize, cuts) => {
            const bytes = wireBytes(messages, from, fragmentSize);
            expect(received(receiveAll(to, split(bytes, cuts)))).toEqual(messages.map(normalize));
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${from} -> ${to}, one byte per call`, () => {
      fc.assert(
        fc.property(fc.array(message, { maxLength: 4 }), fc.integer({ min: 1, max: 64 }), (messages, fragmentSize) => {
          const bytes = wireBytes(messages, from, fragmentSize);
          const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
          expect(received(receiveAll(to, chunks))).toEqual(messages.map(normalize));
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('large payloads spread over chunks', () => {
  it('reassemble exactly from any mix of large and tiny pieces', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16_000, max: 200_000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.nat({ max: 40 }),
        (size, cuts, tiny) => {
          const payload = new Uint8Array(size).map((_, i) => (i * 131 + 7) & 255);
          const bytes = frame({ opcode: 2, payload });
          // Big cuts from the generator, plus a run of 1-byte pieces somewhere to mix staging and large parts.
          const at = cuts[0] ?? 0;
          const extra = Array.from({ length: tiny }, (_, i) => (at % bytes.length) + i + 1);
          const events = receiveAll('server', split(bytes, [...cuts, ...extra]));
          expect(events).toHaveLength(1);
          const event = events[0]!;
          expect(event.type === 'message' && Buffer.from(event.data).equals(payload)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('unmask while joining: pieces at unrelated alignments, any key, binary and text, with the allocate hook', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70_000 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        (size, cuts, shifts, mask, text) => {
          const payload = text
            ? new TextEncoder().encode('é'.repeat(size >> 1))
            : new Uint8Array(size).map((_, i) => (i * 61 + 3) & 255);
          const bytes = frame({ opcode: text ? 1 : 2, payload, mask });
          // Every chunk in its own buffer at its own byte offset, so source phases differ piece by piece.
          const chunks = split(bytes, cuts).map((chunk, i) => {
            const shift = shifts[i % shifts.length]!;
            const holder = new Uint8Array(chunk.length + shift).fill(0xee);
            holder.set(chunk, shift);
            return holder.subarray(shift);
          });
          const received: Uint8Array[] = [];
          const connection = new Connection({
            role: 'server',
            maxMessageSize: 1 << 20,
            allocate: (n) => new Uint8Array(n).fill(0xee),
            onWrite: () => {},
            onEvent: (event) => {
              if (event.type === 'message') received.push(event.data.slice());
            },
          });
          for (const chunk of chunks) connection.receive(chunk);
          expect(received).toHaveLength(1);
          expect(Buffer.from(received[0]!).equals(Buffer.from(payload))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** Frames with random header fields (valid or not), random payloads and occasional corruption. */
const frameSoup = fc
  .array(
    fc.record({
      opcode: fc.integer({ min: 0, max: 15 }),
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      masked: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 200 }),
    }),
    { maxLength: 6 },
  )
  .map((frames) =>
    concatBytes(
      frames.map((s) =>
        frame({ opcode: s.opcode, fin: s.fin, rsv: s.rsv, payload: s.payload, mask: s.masked ? [1, 2, 3, 4] : null }),
      ),
    ),
  );

const hostileInput = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  frameSoup,
  frameSoup.chain((b) =>
    fc.tuple(fc.constant(b), fc.nat(), fc.nat({ max: 255 })).map(([bytes, at, value]) => {
      const copy = bytes.slice();
      if (copy.length > 0) copy[at % copy.length] = value;
      return copy;
    }),
  ),
);

describe('robustness on arbitrary input', () => {
  it('FrameDecoder throws nothing but ProtocolError', () => {
    fc.assert(
      fc.property(hostileInput, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (bytes, cuts, server) => {
        const decoder = new FrameDecoder({ role: server ? 'server' : 'client', maxPayload: 1000 });
        const sink = { frameStart: () => {}, frameData: () => {}, frameEnd: () => {} };
        try {
          for (const chunk of split(bytes.slice(), cuts)) decoder.push(chunk, sink);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          expect([1002, 1009]).toContain((error as ProtocolError).code);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('Connection.receive never throws; a failure is the last event, once, with a close frame written', () => {
    fc.assert(
      fc.property(hostileInput, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (bytes, cuts, server) => {
        const events: ConnectionEvent[] = [];
        let writesAfterEnd = 0;
        let ended = false;
        const connection = new Connection({
          role: server ? 'server' : 'client',
          maxMessageSize: 500,
          random: (b) => b.fill(3),
          onWrite: () => {
            if (ended) writesAfterEnd++;
          },
          onEvent: (e) => {
            events.push(e);
            if (e.type === 'fail' || e.type === 'closed') ended = true;
          },
        });
        for (const chunk of split(bytes.slice(), cuts)) connection.receive(chunk);
        connection.receive(Uint8Array.of(0x81, 0x80, 0, 0, 0, 0)); // more input after whatever happened
        const fails = events.filter((e) => e.type === 'fail');
        expect(fails.length).toBeLessThanOrEqual(1);
        if (fails.length === 1) {
          expect(events.at(-1)!.type).toBe('fail');
          expect(connection.state).toBe('closed');
          expect([1002, 1007, 1009]).toContain((fails[0] as { error: ProtocolError }).error.code);
        }
        expect(writesAfterEnd).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});

describe('robustness with an extension claiming RSV1', () => {
  it('Connection.receive never throws and fails at most once', () => {
    const passThrough = {
      name: 'x-pass',
      rsv1: true,
      encode: (data: Uint8Array) => ({ data, rsv1: true }),
      decode: (fragments: readonly Uint8Array[]) => concatBytes(fragments),
      dispose: () => {},
    };
    fc.assert(
      fc.property(hostileInput, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const events: ConnectionEvent[] = [];
        const connection = new Connection({
          role: 'server',
          maxMessageSize: 500,
          extensions: [passThrough],
          onWrite: () => {},
          onEvent: (e) => events.push(e),
        });
        for (const chunk of split(bytes.slice(), cuts)) connection.receive(chunk);
        expect(events.filter((e) => e.type === 'fail').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});

/** Bytes drawn mostly from the values where UTF-8 validity changes. */
const utf8ish = fc.array(
  fc.oneof(
    fc.constantFrom(
      0x00,
      0x41,
      0x7f,
      0x80,
      0x8f,
      0x90,
      0x9f,
      0xa0,
      0xbf,
      0xc0,
      0xc1,
      0xc2,
      0xdf,
      0xe0,
      0xe1,
      0xec,
      0xed,
      0xee,
      0xef,
      0xf0,
      0xf1,
      0xf3,
      0xf4,
      0xf5,
      0xff,
    ),
    fc.integer({ min: 0, max: 255 }),
  ),
  { maxLength: 40 },
);
const fatal = new TextDecoder('utf-8', { fatal: true });
const reference = (bytes: Uint8Array): boolean => {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe.each(KERNEL_PATHS)('UTF-8 validation with %s at every size', (_, from) => {
  kernelsFrom(from, ['utf8']);

  it('agrees with a fatal TextDecoder, whole and split anywhere', () => {
    fc.assert(
      fc.property(utf8ish, fc.array(fc.nat(), { maxLength: 5 }), (values, cuts) => {
        const bytes = Uint8Array.from(values);
        const expected = reference(bytes);
        expect(isValidUtf8(bytes)).toBe(expected);
        const validator = new Utf8Validator();
        let ok = true;
        for (const part of split(bytes, cuts)) if (validator.push(part) !== -1) ok = false;
        expect(ok && validator.end()).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports the same first bad byte as a streaming fatal TextDecoder, over long mixed inputs split anywhere', () => {
    // The WHATWG decoder fails at the first byte that cannot start or continue a sequence: the smallest
    // k for which the prefix bytes[0..k] throws in streaming mode.
    const firstBad = (bytes: Uint8Array): number => {
      for (let k = 0; k < bytes.length; k++) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, k + 1), { stream: true });
        } catch {
          return k;
        }
      }
      return -1;
    };
    // Valid text (ASCII runs, 2/3/4-byte characters) with a few arbitrary bytes spliced in.
    const longText = fc
      .tuple(
        fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 80 })), { maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(), utf8ish), { maxLength: 2 }),
      )
      .map(([texts, splices]) => {
        const bytes = Array.from(new TextEncoder().encode(texts.join('')));
        for (const [at, values] of splices) bytes.splice(bytes.length === 0 ? 0 : at % bytes.length, 0, ...values.slice(0, 3));
        return Uint8Array.from(bytes);
      });
    fc.assert(
      fc.property(longText, fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
        const expected = firstBad(bytes);
        const validator = new Utf8Validator();
        let found = -1;
        let offset = 0;
        for (const part of split(bytes, cuts)) {
          const at = validator.push(part);
          if (at !== -1) {
            found = offset + at;
            break;
          }
          offset += part.length;
        }
        expect(found).toBe(expected);
        expect(isValidUtf8(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('accepts every string TextEncoder produces, including long ASCII runs at any alignment', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.nat({ max: 600 }),
        fc.nat({ max: 7 }),
        (text, ascii, offset) => {
          const encoded = new TextEncoder().encode('a'.repeat(ascii) + text + 'b'.repeat(ascii));
          const buffer = new Uint8Array(encoded.length + offset);
          buffer.set(encoded, offset);
          expect(isValidUtf8(buffer.subarray(offset))).toBe(true);
          if (encoded.length > 0) {
            // Corrupting any byte to 0xFF always breaks it.
            const broken = encoded.slice();
            broken[ascii % broken.length] = 0xff;
            expect(isValidUtf8(broken)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('masking', () => {
  it('matches a byte-by-byte XOR for any length, offset and alignment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 3 }),
        (data, mask, align, offset) => {
          const buffer = new Uint8Array(data.length + align);
          buffer.set(data, align);
          const view = buffer.subarray(align);
          applyMask(view, mask, offset);
          expect(Buffer.from(view).toString('hex')).toBe(
            Buffer.from(data.map((b, i) => b ^ mask[(offset + i) % 4]!)).toString('hex'),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('extension header', () => {
  const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
  const offer = fc.record({
    name: token,
    params: fc.array(fc.tuple(token, fc.oneof(token, fc.constant(true as const))), { maxLength: 4 }),
  });
  it('parse(format(offers)) == offers', () => {
    fc.assert(
      fc.property(fc.array(offer, { minLength: 1, maxLength: 4 }), (offers) => {
        expect(parseExtensionHeader(formatExtensionHeader(offers))).toEqual(offers);
      }),
      { numRuns: 300 },
    );
  });
});

describe('masked copies', () => {
  it('maskCopy equals a byte-by-byte XOR and leaves the source alone, at any alignment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat({ max: 7 }),
        (data, mask, align) => {
          const buffer = new Uint8Array(data.length + align);
          buffer.set(data, align);
          const source = buffer.subarray(align);
          const out = maskCopy(source, mask);
          expect(Buffer.from(source).equals(data)).toBe(true);
          expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(data.map((b, i) => b ^ mask[i % 4]!)).toString('hex'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
