import { execFileSync } from 'node:child_process';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PerMessageDeflate,
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  ZlibLimiter,
  type PerMessageDeflateOptions,
} from '../src/permessage-deflate/index.js';
import { inlineZlibWorks, setInlineZlibVerdict } from '../src/permessage-deflate/inline-zlib.js';

type Params = [string, string | true][];
const MiB = 1024 * 1024;
const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');

/**
 * The two ways a message goes through zlib: on the calling thread (small messages, the default) and on
 * libuv's thread pool (both inline limits 0). The codec suites below run once for each.
 */
const PATHS: { path: string; options: PerMessageDeflateOptions }[] = [
  { path: 'inline zlib', options: {} },
  { path: 'thread-pool zlib', options: { inlineDeflateLimit: 0, inlineInflateLimit: 0 } },
];
let pathOptions: PerMessageDeflateOptions = {};

/** Turns a synchronous throw into a rejection: decode/encode may do either (the Extension contract). */
function settle<T>(run: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(run()));
}

/** A server-side extension as negotiated for a client offer with these parameters. */
function serverExtension(params: Params = [], options: PerMessageDeflateOptions = {}): PerMessageDeflate {
  const result = new PerMessageDeflateServer({ threshold: 0, ...pathOptions, ...options }).accept([
    { name: 'permessage-deflate', params },
  ]);
  if (!result) throw new Error('offer declined');
  return result.extension;
}

/** RFC 7692 section 7.2.3: the payloads of its examples. */
const HELLO = bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);
const HELLO_AGAIN_SHARED_WINDOW = bytes(0xf2, 0x00, 0x11, 0x00, 0x00);

describe.each(PATHS)('$path', ({ options }) => {
  beforeAll(() => {
    pathOptions = options;
  });
  afterAll(() => {
    pathOptions = {};
  });

  describe('RFC 7692 section 7.2.3 examples', () => {
    it('7.2.3.1: a message compressed in one frame', async () => {
      const ext = serverExtension();
      expect(text(await ext.decode([HELLO], true, 1024))).toBe('Hello');
      ext.dispose();
    });

    it('7.2.3.1: a message split over two frames', async () => {
      const ext = serverExtension();
      const out = await ext.decode([bytes(0xf2, 0x48, 0xcd), bytes(0xc9, 0xc9, 0x07, 0x00)], true, 1024);
      expect(text(out)).toBe('Hello');
      ext.dispose();
    });

    it('7.2.3.2: the second "Hello" refers to the first one with context takeover', async () => {
      const ext = serverExtension();
      expect(text(await ext.decode([HELLO], true, 1024))).toBe('Hello');
      expect(text(await ext.decode([HELLO_AGAIN_SHARED_WINDOW], true, 1024))).toBe('Hello');
      ext.dispose();
    });

    it('7.2.3.2: we compress "Hello" twice to exactly the RFC bytes, with and without takeover', async () => {
      const shared = serverExtension();
      const hello = new TextEncoder().encode('Hello');
      expect(await shared.encode(hello, false)).toEqual({ data: expect.anything(), rsv1: true });
      const second = await shared.encode(hello, false);
      expect(hex(second.data)).toBe(hex(HELLO_AGAIN_SHARED_WINDOW));
      shared.dispose();

      const fresh = serverExtension([['server_no_context_takeover', true]]);
      for (let i = 0; i < 3; i++) {
        const encoded = await fresh.encode(hello, false);
        expect(encoded.rsv1).toBe(true);
        expect(hex(encoded.data)).toBe(hex(HELLO));
      }
      fresh.dispose();
    });

    it('7.2.3.3: a stored (uncompressed) DEFLATE block', async () => {
      const ext = serverExtension();
      const stored = bytes(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00);
      expect(text(await ext.decode([stored], true, 1024))).toBe('Hello');
      ext.dispose();
    });

    it('7.2.3.4: a block with BFINAL set, then the next message still inflates', async () => {
      const ext = serverExtension();
      const final = bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00);
      expect(text(await ext.decode([final], true, 1024))).toBe('Hello');
      expect(text(await ext.decode([HELLO], true, 1024))).toBe('Hello');
      ext.dispose();
    });

    it('7.2.3.5: two DEFLATE blocks in one message', async () => {
      const ext = serverExtension();
      const twoBlocks = bytes(0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00);
      expect(text(await ext.decode([twoBlocks], true, 1024))).toBe('Hello');
      ext.dispose();
    });

    it('7.2.3.6: an empty message compresses to a single 0x00 and back', async () => {
      const ext = serverExtension();
      const encoded = await ext.encode(new Uint8Array(0), true);
      expect(hex(encoded.data)).toBe('00');
      expect((await ext.decode([encoded.data], true, 1024)).length).toBe(0);
      ext.dispose();
    });
  });

  describe('compression', () => {
    const sample = Buffer.from('{"kind":"update","values":[1,2,3,4,5],"note":"hello hello hello"}\n'.repeat(200));

    it('round-trips through an independent inflater, the tail stripped and added back', async () => {
      const ext = serverExtension();
      const encoded = await ext.encode(sample, false);
      expect(encoded.rsv1).toBe(true);
      expect(encoded.data.length).toBeLessThan(sample.length / 10);
      const tail = Buffer.from([0x00, 0x00, 0xff, 0xff]);
      expect(Buffer.from(encoded.data.subarray(-4)).equals(tail)).toBe(false);
      expect(inflateRawSync(Buffer.concat([encoded.data, tail]), { finishFlush: constants.Z_SYNC_FLUSH }).equals(sample)).toBe(
        true,
      );
      ext.dispose();
    });

    it('leaves messages under the threshold uncompressed, synchronously', () => {
      const ext = serverExtension([], { threshold: 1024 });
      const small = new Uint8Array(1023).fill(65);
      expect(ext.encode(small, false)).toEqual({ data: small, rsv1: false });
      ext.dispose();
    });

    it('passes messages without RSV1 through untouched', () => {
      const ext = serverExtension();
      expect(text(ext.decode([bytes(0x48, 0x69), bytes(0x21)], false, 1024) as Uint8Array)).toBe('Hi!');
      ext.dispose();
    });

    it('keeps message order in both directions when many are in flight', async () => {
      const sender = serverExtension();
      const receiver = new PerMessageDeflateClient({ threshold: 0, ...pathOptions }).accept({
        name: 'permessage-deflate',
        params: [],
      });
      const messages = Array.from({ length: 50 }, (_, i) => Buffer.from(`message ${i} `.repeat(i * 10 + 1)));
      const encoded = await Promise.all(messages.map((m) => sender.encode(m, false)));
      const decoded = await Promise.all(encoded.map((e) => receiver.decode([e.data], e.rsv1, MiB)));
      expect(decoded.map(text)).toEqual(messages.map((m) => m.toString()));
      sender.dispose();
      receiver.dispose();
    });

    it('frees zlib memory after each message without context takeover, keeps it with', async () => {
      const fresh = serverExtension([
        ['server_no_context_takeover', true],
        ['client_no_context_takeover', true],
      ]);
      const encoded = await fresh.encode(sample, false);
      await fresh.decode([encoded.data], true, MiB);
      expect(fresh.zlibAllocated).toEqual({ deflate: false, inflate: false });
      fresh.dispose();
      const shared = serverExtension();
      await shared.decode([(await shared.encode(sample, false)).data], true, MiB);
      expect(shared.zlibAllocated).toEqual({ deflate: true, inflate: true });
      shared.dispose();
      expect(shared.zlibAllocated).toEqual({ deflate: false, inflate: false });
    });

    it('compresses with an 8-bit window that Python zlib inflates with wbits -8', async () => {
      const ext = serverExtension([['server_max_window_bits', '8']]);
      expect(ext.agreed.serverMaxWindowBits).toBe(8);
      // Repeats at distances between 256 and 512 bytes: a 9-bit window would reach them.
      const unit = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251));
      const data = Buffer.concat([unit, unit, unit, Buffer.from('tail '.repeat(100))]);
      const parts: string[] = [];
      for (let i = 0; i < 3; i++) parts.push(hex((await ext.encode(data, true)).data));
      ext.dispose();
      const script = [
        'import sys, zlib',
        'd = zlib.decompressobj(-8)',
        'for h in sys.argv[1:]:',
        '    sys.stdout.write(d.decompress(bytes.fromhex(h) + b"\\x00\\x00\\xff\\xff").hex() + "\\n")',
      ].join('\n');
      const out = execFileSync('/usr/bin/python3', ['-c', script, ...parts], { encoding: 'utf8', timeout: 20_000 });
      expect(out.trim().split('\n')).toEqual([hex(data), hex(data), hex(data)]);
    });

    it('inflates a message sent in many small fragments', async () => {
      const ext = serverExtension();
      const big = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i}: ${(i * 31) % 97}\n`).join(''));
      const compressed = deflateRawSync(big, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
      const fragments: Uint8Array[] = [];
      for (let i = 0; i < compressed.length; i += 7) fragments.push(compressed.subarray(i, i + 7));
      expect(fragments.length).toBeGreaterThan(1000);
      const out = await ext.decode(fragments, true, 64 * MiB);
      expect(Buffer.from(out).equals(big)).toBe(true);
      ext.dispose();
    });

    it('inflates a large message across hundreds of zlib output chunks, and compresses it back', async () => {
      const ext = serverExtension();
      const big = Buffer.from(Array.from({ length: 120_000 }, (_, i) => `row ${i}: ${(i * 7919) % 10007};`).join('\n'));
      expect(big.length).toBeGreaterThan(1.5 * MiB);
      const compressed = deflateRawSync(big, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
      const out = await ext.decode([compressed], true, 64 * MiB);
      expect(Buffer.from(out).equals(big)).toBe(true);
      const encoded = await ext.encode(big, false);
      const tail = Buffer.from([0x00, 0x00, 0xff, 0xff]);
      expect(inflateRawSync(Buffer.concat([encoded.data, tail]), { finishFlush: constants.Z_SYNC_FLUSH }).equals(big)).toBe(true);
      ext.dispose();
    });

    it('rejects corrupt data with 1007', async () => {
      const ext = serverExtension();
      await expect(settle(() => ext.decode([bytes(0xff, 0xff, 0xff, 0xff)], true, 1024))).rejects.toMatchObject({ code: 1007 });
      ext.dispose();
    });
  });

  describe('decompression bomb', () => {
    /** About 1 MiB of compressed zeros that inflates to 1 GiB. */
    function bomb(): Buffer {
      const block = deflateRawSync(Buffer.alloc(16 * MiB), { finishFlush: constants.Z_SYNC_FLUSH });
      return Buffer.concat(Array.from({ length: 64 }, () => block));
    }

    it('stops at the limit with 1009, promptly and without inflating the rest', async () => {
      const payload = bomb();
      expect(payload.length).toBeLessThan(2 * MiB);
      const ext = serverExtension();
      const before = process.memoryUsage();
      const started = performance.now();
      await expect(settle(() => ext.decode([payload], true, 4 * MiB))).rejects.toMatchObject({ code: 1009 });
      const elapsed = performance.now() - started;
      const after = process.memoryUsage();
      // Inflating 1 GiB takes seconds and a GiB; stopping at 4 MiB takes milliseconds and a few MiB.
      expect(elapsed).toBeLessThan(2000);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
      expect(ext.zlibAllocated.inflate).toBe(false);
      ext.dispose();
    });

    it('counts the limit on the inflated size, exactly', async () => {
      const ext = serverExtension();
      const data = Buffer.alloc(100_000, 1);
      const compressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
      await expect(settle(() => ext.decode([compressed], true, 99_999))).rejects.toMatchObject({ code: 1009 });
      ext.dispose();
      const ok = serverExtension();
      expect((await ok.decode([compressed], true, 100_000)).length).toBe(100_000);
      ok.dispose();
    });
  });
});

describe('zlib limiter', () => {
  it('runs at most `concurrency` jobs at once, in order', async () => {
    const limiter = new ZlibLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (i: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      running--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => limiter.run(job(i))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(2);
    expect(limiter.active).toBe(0);
    expect(limiter.pending).toBe(0);
  });

  it('frees the slot when a job throws or rejects', async () => {
    const limiter = new ZlibLimiter(1);
    await expect(
      limiter.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(limiter.run(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    await expect(limiter.run(async () => 1)).resolves.toBe(1);
  });

  it('bounds the zlib work of many connections compressing at once', async () => {
    const limiter = new ZlibLimiter(3);
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, limiter.active)), 0);
    const server = new PerMessageDeflateServer({ threshold: 0, limiter });
    const extensions = Array.from({ length: 40 }, () => server.accept([{ name: 'permessage-deflate', params: [] }])!.extension);
    const data = Buffer.from('abc'.repeat(5000));
    await Promise.all(extensions.map((e) => e.encode(data, false)));
    clearInterval(watch);
    expect(peak).toBeLessThanOrEqual(3);
    expect(limiter.active).toBe(0);
    for (const e of extensions) e.dispose();
  });

  it('settles work that is queued when the connection is disposed', async () => {
    const limiter = new ZlibLimiter(1);
    const ext = serverExtension([], { limiter });
    const data = Buffer.alloc(1 * MiB, 7);
    const first = ext.encode(data, true);
    const second = ext.encode(data, true);
    ext.dispose();
    await expect(first).rejects.toThrow(/disposed/);
    await expect(second).rejects.toThrow(/disposed/);
    expect(limiter.active).toBe(0);
  });
});

describe.each(PATHS)('$path', ({ options }) => {
  beforeAll(() => {
    pathOptions = options;
  });
  afterAll(() => {
    pathOptions = {};
  });

  describe('empty messages', () => {
    it('compress to 0x00 even after earlier messages (context takeover)', async () => {
      const ext = serverExtension();
      const receiver = serverExtension();
      for (const message of ['first message', '', 'x', '', '']) {
        const encoded = await ext.encode(Buffer.from(message), false);
        expect(encoded.data.length).toBeGreaterThan(0);
        expect(text(await receiver.decode([encoded.data], true, 1024))).toBe(message);
      }
      ext.dispose();
      receiver.dispose();
    });
  });

  describe('shared idle stream pool (no context takeover)', () => {
    it('reuses reset streams across connections: every message inflates on its own', async () => {
      const { idleStreams } = await import('../src/permessage-deflate/stream-pool.js');
      const noTakeover: Params = [
        ['server_no_context_takeover', true],
        ['client_no_context_takeover', true],
      ];
      const connections = Array.from({ length: 5 }, () => serverExtension(noTakeover));
      const tail = Buffer.from([0x00, 0x00, 0xff, 0xff]);
      for (let round = 0; round < 4; round++) {
        await Promise.all(
          connections.map(async (ext, i) => {
            const message = Buffer.from(`connection ${i} round ${round} `.repeat(50 + i));
            const encoded = await ext.encode(message, false);
            // A fresh inflater with no history: proves the borrowed stream carried no context over.
            const inflated = inflateRawSync(Buffer.concat([encoded.data, tail]), { finishFlush: constants.Z_SYNC_FLUSH });
            expect(inflated.equals(message)).toBe(true);
            expect(Buffer.from(await ext.decode([encoded.data], true, MiB)).equals(message)).toBe(true);
            expect(ext.zlibAllocated).toEqual({ deflate: false, inflate: false });
          }),
        );
      }
      expect(idleStreams.size).toBeGreaterThan(0);
      expect(idleStreams.size).toBeLessThanOrEqual(2 * idleStreams.maxIdlePerKey + 4);
      for (const ext of connections) ext.dispose();
    });
  });

  describe('inflated buffers', () => {
    it('a small inflated message owns its memory instead of pinning zlib output buffers', async () => {
      const ext = serverExtension();
      const out = await ext.decode([HELLO], true, 1024);
      expect(text(out)).toBe('Hello');
      expect(out.buffer.byteLength).toBe(5);
      ext.dispose();
    });
  });
});

describe('inline zlib (small messages on the calling thread)', () => {
  const KiB = 1024;
  const message = (size: number, seed = 0): Buffer =>
    Buffer.from(
      Array.from({ length: size }, (_, i) => `w${(i * 7 + seed) % 13} `)
        .join('')
        .slice(0, size),
    );
  const tail = Buffer.from([0x00, 0x00, 0xff, 0xff]);
  /** Bytes from a small LCG: they do not compress. */
  const noise = (size: number, seed: number): Buffer => {
    let x = seed;
    return Buffer.from(Array.from({ length: size }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24));
  };

  it('works on this Node (the internals it relies on are checked once per process)', () => {
    expect(inlineZlibWorks()).toBe(true);
  });

  it('defaults to 4 KiB messages deflated and 1 MiB compressed payloads inflated inline', async () => {
    const ext = serverExtension();
    expect(ext.encode(message(4 * KiB), false)).not.toBeInstanceOf(Promise);
    const large = ext.encode(message(4 * KiB + 1), false);
    expect(large).toBeInstanceOf(Promise);
    await large;
    // Noise does not compress: stored blocks, a few bytes over the data itself.
    const fits = deflateRawSync(noise(MiB - KiB, 1), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(fits.length).toBeLessThanOrEqual(MiB);
    const inline = ext.decode([fits], true, 2 * MiB);
    expect(inline).not.toBeInstanceOf(Promise);
    expect(Buffer.from(inline as Uint8Array).equals(noise(MiB - KiB, 1))).toBe(true);
    const over = deflateRawSync(noise(MiB + KiB, 2), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const later = ext.decode([over], true, 2 * MiB);
    expect(later).toBeInstanceOf(Promise);
    expect(Buffer.from(await later).equals(noise(MiB + KiB, 2))).toBe(true);
    ext.dispose();
  });

  it('a message of exactly 1 MiB inflates whole inline: the pause is past 1 MiB of output, not at it', () => {
    const ext = serverExtension();
    const data = message(MiB, 9);
    const compressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const result = ext.decode([compressed], true, 2 * MiB);
    expect(result).not.toBeInstanceOf(Promise);
    expect(Buffer.from(result as Uint8Array).equals(data)).toBe(true);
    ext.dispose();
  });

  it('encodes and decodes up to the inline limits synchronously; above them, or with 0, through the thread pool', async () => {
    const ext = serverExtension([], { inlineDeflateLimit: 4 * KiB, inlineInflateLimit: 4 * KiB });
    const small = message(4 * KiB);
    const encoded = ext.encode(small, false);
    expect(encoded).not.toBeInstanceOf(Promise);
    const decoded = ext.decode([(encoded as { data: Uint8Array }).data], true, MiB);
    expect(decoded).not.toBeInstanceOf(Promise);
    expect(Buffer.from(decoded as Uint8Array).equals(small)).toBe(true);
    const large = ext.encode(message(4 * KiB + 1), false);
    expect(large).toBeInstanceOf(Promise);
    await large;
    ext.dispose();
    const pooled = serverExtension([], { inlineDeflateLimit: 0 });
    expect(pooled.encode(small, false)).toBeInstanceOf(Promise);
    pooled.dispose();
  });

  it('a small message queues behind a thread-pool job of its direction, and the shared window stays right', async () => {
    const sender = serverExtension([], { inlineDeflateLimit: 2 * KiB });
    const messages = [message(200 * KiB, 1), message(KiB, 2), message(100 * KiB, 3), message(KiB, 4), message(KiB, 5)];
    const results = messages.map((m) => sender.encode(m, false));
    // Every message after the first large one waits for it, so none may bypass it synchronously...
    expect(results.slice(1).every((r) => r instanceof Promise)).toBe(true);
    const encoded = await Promise.all(results);
    // ...and once the direction is idle again, small messages go inline again.
    const after = message(KiB, 6);
    const last = sender.encode(after, false);
    expect(last).not.toBeInstanceOf(Promise);
    // One independent inflater reads them all in order: the window was never out of step.
    const wire = Buffer.concat([...encoded, last as { data: Uint8Array }].flatMap((e) => [Buffer.from(e.data), tail]));
    expect(inflateRawSync(wire, { finishFlush: constants.Z_SYNC_FLUSH }).equals(Buffer.concat([...messages, after]))).toBe(true);
    sender.dispose();
  });

  it('alternates inline and thread-pool messages on one inflater with context takeover', async () => {
    const receiver = serverExtension([], { inlineInflateLimit: KiB });
    const deflater = (await import('node:zlib')).createDeflateRaw({ flush: constants.Z_SYNC_FLUSH });
    const compress = (data: Buffer): Promise<Buffer> =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        const onData = (c: Buffer): void => void chunks.push(c);
        deflater.on('data', onData);
        deflater.write(data, () => {
          deflater.off('data', onData);
          resolve(Buffer.concat(chunks).subarray(0, -4));
        });
      });
    let inline = 0;
    for (let i = 0; i < 40; i++) {
      // Noisy text every few messages pushes the compressed size over the inline limit.
      const data = i % 3 === 0 ? noise(6000, i + 1) : message(3 * KiB, i);
      const compressed = await compress(data);
      const result = receiver.decode([compressed], true, MiB);
      if (!(result instanceof Promise)) inline++;
      expect(Buffer.from(await result).equals(data)).toBe(true);
    }
    expect(inline).toBeGreaterThan(10);
    expect(inline).toBeLessThan(40);
    deflater.close();
    receiver.dispose();
  });

  it('stops a small bomb at the limit with 1009 and frees the inflater', () => {
    const ext = serverExtension();
    const compressed = deflateRawSync(Buffer.alloc(4 * MiB), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(compressed.length).toBeLessThan(16 * KiB);
    expect(() => ext.decode([compressed], true, 64 * KiB)).toThrow(expect.objectContaining({ code: 1009 }));
    expect(ext.zlibAllocated.inflate).toBe(false);
    // The connection is failing by then, but the extension itself still inflates a new stream.
    expect(text(ext.decode([HELLO], true, 1024) as Uint8Array)).toBe('Hello');
    ext.dispose();
  });

  it('corrupt data throws 1007 synchronously and frees the inflater', () => {
    const ext = serverExtension();
    expect(() => ext.decode([bytes(0xff, 0xff, 0xff, 0xff)], true, 1024)).toThrow(expect.objectContaining({ code: 1007 }));
    expect(ext.zlibAllocated.inflate).toBe(false);
    ext.dispose();
  });

  it('inflated output spanning several 16 KiB scratch fills comes back whole', () => {
    const ext = serverExtension();
    const data = message(200 * KiB, 9);
    const compressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(compressed.length).toBeLessThan(16 * KiB);
    const out = ext.decode([compressed], true, MiB);
    expect(out).not.toBeInstanceOf(Promise);
    expect(Buffer.from(out as Uint8Array).equals(data)).toBe(true);
    ext.dispose();
  });

  it('a small payload inflating past 1 MiB starts inline and finishes on the thread pool, whole', async () => {
    const ext = serverExtension();
    const data = Buffer.concat([message(64 * KiB, 3), Buffer.alloc(3 * MiB, 0x61), message(64 * KiB, 4)]);
    const compressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(compressed.length).toBeLessThan(16 * KiB);
    const result = ext.decode([compressed], true, 64 * MiB);
    expect(result).toBeInstanceOf(Promise);
    expect(Buffer.from(await result).equals(data)).toBe(true);
    // The window carried on: the next message refers back into this one.
    const next = Buffer.from('the next message');
    const deflater = (await import('node:zlib')).createDeflateRaw({ flush: constants.Z_SYNC_FLUSH });
    const both = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      deflater.on('data', (c: Buffer) => chunks.push(c));
      deflater.write(data, () => {
        const first = Buffer.concat(chunks).length;
        deflater.write(next, () => resolve(Buffer.concat(chunks).subarray(first, -4)));
      });
    });
    deflater.close();
    const receiver = serverExtension();
    const firstCompressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(Buffer.from(await receiver.decode([firstCompressed], true, 64 * MiB)).equals(data)).toBe(true);
    expect(text(await receiver.decode([both], true, 1024))).toBe('the next message');
    receiver.dispose();
    ext.dispose();
  });

  it('a bomb that starts inline still stops at the limit on the thread pool', async () => {
    const ext = serverExtension();
    const compressed = deflateRawSync(Buffer.alloc(12 * MiB), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(compressed.length).toBeLessThan(16 * KiB);
    await expect(settle(() => ext.decode([compressed], true, 4 * MiB))).rejects.toMatchObject({ code: 1009 });
    expect(ext.zlibAllocated.inflate).toBe(false);
    ext.dispose();
  });

  it('dispose while an inline-started inflate waits for the thread pool rejects it and frees zlib', async () => {
    const limiter = new ZlibLimiter(1);
    const ext = serverExtension([], { limiter });
    const blocker = serverExtension([], { limiter, inlineDeflateLimit: 0 });
    const busy = blocker.encode(Buffer.alloc(4 * MiB, 1), false);
    const compressed = deflateRawSync(Buffer.alloc(3 * MiB), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const pending = ext.decode([compressed], true, 64 * MiB);
    expect(pending).toBeInstanceOf(Promise);
    ext.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    expect(ext.zlibAllocated.inflate).toBe(false);
    await busy;
    blocker.dispose();
    expect(limiter.active).toBe(0);
  });

  it('every message takes the thread pool when the internals check fails', async () => {
    setInlineZlibVerdict(false);
    try {
      const ext = serverExtension();
      const result = ext.encode(message(KiB), false);
      expect(result).toBeInstanceOf(Promise);
      await result;
      ext.dispose();
    } finally {
      setInlineZlibVerdict(undefined);
    }
  });

  it('rejects a negative or fractional inline limit', () => {
    expect(() => new PerMessageDeflateServer({ inlineDeflateLimit: -1 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ inlineInflateLimit: 1.5 })).toThrow(RangeError);
  });
});
