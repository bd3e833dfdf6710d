/**
 * The adapter hooks of ConnectionOptions. The `allocate` option: buffers the codec fills completely may come from an allocator that does not
 * zero them (Node's `Buffer.allocUnsafe`). A "dirty" allocator that pre-fills every buffer with 0xEE
 * proves no byte of such a buffer reaches an event or the wire without being written. The `validateUtf8`
 * option: a whole-message validator (Node's native `isUtf8`) used only where it cannot delay a failure.
 * The `thisArg` option: the callbacks may be shared methods of an adapter's connection object.
 */
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionEvent } from '../src/index.js';
import { concatBytes, frame, hex } from './helpers.js';

function dirtyAllocator() {
  const sizes: number[] = [];
  const allocate = (size: number): Uint8Array => {
    sizes.push(size);
    return new Uint8Array(size).fill(0xee);
  };
  return { allocate, sizes };
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function server(allocate: (size: number) => Uint8Array) {
  const messages: Uint8Array[] = [];
  const events: ConnectionEvent[] = [];
  const connection = new Connection({
    role: 'server',
    allocate,
    onWrite: () => {},
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'message') messages.push(event.data.slice());
    },
  });
  return { connection, messages, events };
}

/** Cuts `bytes` into reads of `size` bytes. */
function reads(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
}

describe('allocate option', () => {
  it('assembles a frame spread over reads in an allocated buffer, every byte overwritten', () => {
    const { allocate, sizes } = dirtyAllocator();
    const { connection, messages } = server(allocate);
    const payload = pattern(100_000, 1);
    for (const read of reads(frame({ opcode: 2, payload }), 65_536)) connection.receive(read);
    expect(messages).toHaveLength(1);
    expect(hex(messages[0]!)).toBe(hex(payload));
    // One buffer for the whole payload (+3 spare bytes when unmasking while joining needs to shift it
    // to the alignment of the input).
    expect(sizes.filter((size) => size >= 100_000)).toHaveLength(1);
    expect(sizes.find((size) => size >= 100_000)).toBeLessThanOrEqual(100_003);
  });

  it('joins a fragmented message, small frames and small reads included, through the allocator', () => {
    const { allocate, sizes } = dirtyAllocator();
    const { connection, messages } = server(allocate);
    const parts = [pattern(3, 2), pattern(20_000, 3), pattern(1, 4), pattern(700, 5)];
    const wire = concatBytes(parts.map((payload, i) => frame({ opcode: i === 0 ? 2 : 0, fin: i === parts.length - 1, payload })));
    for (const read of reads(wire, 7)) connection.receive(read);
    expect(messages).toHaveLength(1);
    expect(hex(messages[0]!)).toBe(hex(concatBytes(parts)));
    expect(sizes.length).toBeGreaterThan(0);
  });

  it('gives a client masked copies from the allocator above 4 KiB; a server decodes them', () => {
    const { allocate, sizes } = dirtyAllocator();
    const writes: Uint8Array[] = [];
    const client = new Connection({
      role: 'client',
      random: (bytes) => bytes.fill(0x5c),
      allocate,
      onWrite: (chunks) => writes.push(...chunks.map((c) => c.slice())),
      onEvent: () => {},
    });
    const small = pattern(4096, 6);
    const large = pattern(70_001, 7);
    client.send(small, true);
    client.send(large, true);
    // The shared slab small frames come from may have been renewed from the allocator too (64 KiB).
    expect(sizes.filter((size) => size !== 65_536)).toEqual([70_001]);
    const { connection, messages } = server((size) => new Uint8Array(size));
    connection.receive(concatBytes(writes));
    expect(messages.map(hex)).toEqual([hex(small), hex(large)]);
  });

  it("takes a client's new slabs from the allocator, and every byte of its small frames is written", () => {
    const { allocate, sizes } = dirtyAllocator();
    const writes: Uint8Array[] = [];
    const client = new Connection({
      role: 'client',
      random: (bytes) => bytes.fill(0x3a),
      allocate,
      onWrite: (chunks) => writes.push(...chunks.map((c) => c.slice())),
      onEvent: () => {},
    });
    // More than a slab's worth of small frames, of every header size below the slab limit.
    const sent = Array.from({ length: 300 }, (_, i) => pattern([0, 1, 31, 125, 126, 1000, 4082][i % 7]!, i));
    for (const payload of sent) client.send(payload, true);
    expect(sizes).toContain(65_536);
    const { connection, messages } = server((size) => new Uint8Array(size));
    connection.receive(concatBytes(writes));
    expect(messages.map(hex)).toEqual(sent.map(hex));
  });

  it('works with Buffer.allocUnsafe, what a Node adapter passes', () => {
    const { connection, messages } = server(Buffer.allocUnsafe);
    const payload = pattern(200_000, 8);
    const wire = concatBytes([
      frame({ opcode: 2, fin: false, payload: payload.subarray(0, 5) }),
      frame({ opcode: 0, payload: payload.subarray(5) }),
    ]);
    for (const read of reads(wire, 65_536)) connection.receive(read);
    expect(hex(messages[0]!)).toBe(hex(payload));
  });

  it('sizes buffers by the bytes received, not by the announced length, and keeps the last piece as is', () => {
    const { allocate, sizes } = dirtyAllocator();
    const { connection, messages } = server(allocate);
    const payload = pattern(65_536, 9);
    const wire = frame({ opcode: 2, payload });
    connection.receive(wire.slice(0, 14 + 100)); // header and 100 payload bytes of a 64 KiB frame
    expect(sizes).toEqual([256]); // a small stage, not 64 KiB
    connection.receive(wire.slice(14 + 100, 14 + 60_000));
    connection.receive(wire.slice(14 + 60_000)); // the 5,536-byte tail is not staged
    expect(sizes).toHaveLength(2); // then the one join (+ at most 3 bytes to match the input's alignment)
    expect(sizes[1]).toBeGreaterThanOrEqual(65_536);
    expect(sizes[1]).toBeLessThanOrEqual(65_539);
    expect(hex(messages[0]!)).toBe(hex(payload));
  });

  it('a payload trickled one byte per read costs O(log n) staging buffers', () => {
    const { allocate, sizes } = dirtyAllocator();
    const { connection, messages } = server(allocate);
    const payload = pattern(40_000, 10);
    for (const read of reads(frame({ opcode: 2, payload }), 1)) connection.receive(read);
    expect(hex(messages[0]!)).toBe(hex(payload));
    expect(sizes.length).toBeLessThanOrEqual(12); // 256, 512, ... 32 KiB (capped by the length), + the join
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(3 * 40_000);
  });

  it('rejects an allocate that is not a function', () => {
    expect(
      () =>
        new Connection({
          role: 'server',
          allocate: 5 as unknown as (size: number) => Uint8Array,
          onWrite: () => {},
          onEvent: () => {},
        }),
    ).toThrow(TypeError);
  });
});

describe('validateUtf8 option', () => {
  function textServer(validateUtf8: (bytes: Uint8Array) => boolean) {
    const events: string[] = [];
    const connection = new Connection({
      role: 'server',
      validateUtf8,
      onWrite: () => {},
      onEvent: (event) =>
        events.push(
          event.type === 'message'
            ? `message:${new TextDecoder().decode(event.data)}`
            : event.type === 'fail'
              ? `fail:${event.error.code}`
              : event.type,
        ),
    });
    return { connection, events };
  }

  it('validates an unfragmented text message that arrived in one read with the hook, and nothing else', () => {
    const seen: string[] = [];
    const { connection, events } = textServer((bytes) => {
      seen.push(new TextDecoder().decode(bytes));
      return isUtf8(bytes);
    });
    connection.receive(frame({ opcode: 1, payload: 'héllo' }));
    connection.receive(frame({ opcode: 2, payload: [0xff] }));
    const split = frame({ opcode: 1, payload: 'κόσμε' });
    connection.receive(split.subarray(0, 9));
    connection.receive(split.subarray(9));
    connection.receive(concatBytes([frame({ opcode: 1, fin: false, payload: 'a' }), frame({ opcode: 0, payload: 'b' })]));
    expect(seen).toEqual(['héllo']);
    expect(events).toEqual(['message:héllo', 'message:\ufffd', 'message:κόσμε', 'message:ab']);
  });

  it('fails with 1007 when the hook rejects', () => {
    const { connection, events } = textServer(isUtf8);
    connection.receive(frame({ opcode: 1, payload: [0x61, 0xed, 0xa0, 0x80] })); // an encoded surrogate
    expect(events).toEqual(['fail:1007']);
    expect(connection.state).toBe('closed');
  });

  it('rejects a validateUtf8 that is not a function', () => {
    expect(
      () =>
        new Connection({
          role: 'server',
          validateUtf8: true as unknown as (b: Uint8Array) => boolean,
          onWrite: () => {},
          onEvent: () => {},
        }),
    ).toThrow(TypeError);
  });
});

describe('thisArg option', () => {
  /** An adapter's connection object whose prototype methods are the codec's callbacks. */
  class Adapter {
    readonly writes: number[] = [];
    readonly events: string[] = [];
    readonly codec: Connection;
    constructor(role: 'server' | 'client') {
      this.codec = new Connection({
        role,
        random: role === 'client' ? (bytes) => bytes.fill(7) : undefined,
        onWrite: this.write,
        onEvent: this.event,
        thisArg: this,
      });
    }
    write(this: Adapter, chunks: Uint8Array[]): void {
      this.writes.push(chunks.reduce((n, c) => n + c.length, 0));
    }
    event(this: Adapter, event: ConnectionEvent): void {
      this.events.push(event.type);
    }
  }

  it('calls onWrite and onEvent with this = thisArg, one shared function for every connection', () => {
    const a = new Adapter('server');
    const b = new Adapter('server');
    a.codec.send(new Uint8Array(3), true); // a server frame: 2 header bytes and the payload
    a.codec.receive(frame({ opcode: 9, payload: [1] })); // a ping: its event, and the pong written
    b.codec.receive(frame({ opcode: 2, payload: [1, 2] }));
    expect(a.writes).toEqual([5, 3]);
    expect(a.events).toEqual(['ping']);
    expect(b.writes).toEqual([]);
    expect(b.events).toEqual(['message']);
  });

  it('also for a client, whose frames are masked', () => {
    const client = new Adapter('client');
    client.codec.send('hi', false);
    client.codec.close(1000);
    expect(client.writes).toEqual([8, 8]); // 2 + 4 (mask) + 2 each
    expect(client.events).toEqual([]);
  });

  it('calls plain callbacks without a this when none is given', () => {
    let seen: unknown = 'unset';
    const connection = new Connection({
      role: 'server',
      onWrite: () => {},
      onEvent: function (this: unknown) {
        seen = this;
      },
    });
    connection.receive(frame({ opcode: 10, payload: [] }));
    expect(seen).toBeUndefined();
  });
});
