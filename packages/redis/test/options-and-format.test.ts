/** The checks of redisBroker()'s options and the wire format's encoder and decoder. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FORMAT_VERSION, REDIS_BROKER_DEFAULTS, RedisBroker, redisBroker } from '../src/index.js';

describe('redisBroker() options', () => {
  it('refuses unknown options by name, with a hint for Redis client options', () => {
    expect(() => redisBroker({ url: 'redis://127.0.0.1:6379', maxPendingByte: 1 } as never)).toThrow(
      new TypeError('redisBroker: unknown option "maxPendingByte"'),
    );
    expect(() => redisBroker({ url: 'redis://127.0.0.1:6379', keyPrefix: 'x:' } as never)).toThrow(
      /unknown option "keyPrefix"; use prefix/,
    );
    expect(() => redisBroker({ url: 'redis://127.0.0.1:6379', enableOfflineQueue: true } as never)).toThrow(TypeError);
  });

  it('refuses a missing or non-Redis url and values out of range', () => {
    expect(() => redisBroker({} as never)).toThrow(/url must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => redisBroker({ url: 'http://127.0.0.1:6379' })).toThrow(TypeError);
    expect(() => redisBroker(undefined as never)).toThrow(TypeError);
    expect(() => redisBroker({ url: 'redis://h', maxPendingBytes: -1 })).toThrow(
      new RangeError('redisBroker: maxPendingBytes must be a non-negative integer, got -1'),
    );
    expect(() => redisBroker({ url: 'redis://h', reconnectDelay: Number.NaN })).toThrow(RangeError);
    expect(() => redisBroker({ url: 'redis://h', reconnectDelay: 500, maxReconnectDelay: 100 })).toThrow(
      /maxReconnectDelay \(100\) is below reconnectDelay \(500\)/,
    );
    expect(() => redisBroker({ url: 'redis://h', prefix: 1 as never })).toThrow(TypeError);
    expect(() => redisBroker({ url: 'redis://h', onEvent: 'log' as never })).toThrow(TypeError);
  });

  it('has a default for every limit, and creates a broker without connecting', () => {
    expect(REDIS_BROKER_DEFAULTS).toEqual({
      prefix: 'wsts:',
      maxPendingBytes: 16 * 1024 * 1024,
      reconnectDelay: 100,
      maxReconnectDelay: 5_000,
      connectTimeout: 5_000,
      closeTimeout: 2_000,
    });
    const broker = redisBroker({ url: 'rediss://user:secret@127.0.0.1:1' });
    expect(broker).toBeInstanceOf(RedisBroker);
    expect(broker.stats).toEqual({
      connected: false,
      topics: 0,
      pendingBytes: 0,
      published: 0,
      delivered: 0,
      droppedOffline: 0,
      droppedBackpressure: 0,
      lostInFlight: 0,
      garbled: 0,
      deliverErrors: 0,
      disconnects: 0,
    });
  });
});

describe('the wire format', () => {
  const origin = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

  it('puts magic, version, flags and origin before the payload, and reads them back', () => {
    const encoded = encodeMessage(origin, Buffer.from('hi'), false);
    expect([...encoded]).toEqual([0x77, FORMAT_VERSION, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x68, 0x69]);
    expect(encodeMessage(origin, new Uint8Array(0), true)[2]).toBe(1);
    const decoded = decodeMessage(encodeMessage(origin, Uint8Array.from([0xff, 0]), true));
    if ('error' in decoded) throw new Error(decoded.error);
    expect([[...decoded.origin], decoded.binary, [...decoded.data]]).toEqual([[...origin], true, [0xff, 0]]);
  });

  it('says why it cannot read a payload, and never throws', () => {
    const header = (version: number, flags: number) => Buffer.from([0x77, version, flags, ...origin]);
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /shorter than the 11-byte header/],
      [Buffer.from('hello world, no header'), /is not a wsts broker message/],
      [Buffer.concat([header(2, 0), Buffer.from('x')]), /format version 2 is not supported/],
      [Buffer.concat([header(1, 0x02), Buffer.from('x')]), /reserved flag bits/],
      [Buffer.concat([header(1, 0), Buffer.from([0xed, 0xa0, 0x80])]), /not valid UTF-8/],
    ];
    for (const [payload, reason] of cases) {
      const decoded = decodeMessage(payload);
      expect('error' in decoded && decoded.error, reason.source).toMatch(reason);
    }
    // Invalid UTF-8 is fine in a binary message.
    expect(decodeMessage(Buffer.concat([header(1, 1), Buffer.from([0xed, 0xa0, 0x80])]))).toHaveProperty('binary', true);
  });

  it('refuses an origin of the wrong length', () => {
    expect(() => encodeMessage(new Uint8Array(4), new Uint8Array(0), false)).toThrow(RangeError);
  });
});
