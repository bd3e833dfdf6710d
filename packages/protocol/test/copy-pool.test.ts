/** A client's large masked copies: reused only after `done` says the transport is finished with them. */
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/index.js';

/** A client whose writes are kept, each with its `done`, to be completed when the test says. */
function client(reuseAfterWrite: boolean | undefined) {
  const writes: { chunks: Uint8Array[]; done: ((error?: Error) => void) | undefined }[] = [];
  const connection = new Connection({
    role: 'client',
    random: (bytes) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = (Math.random() * 256) | 0;
    },
    ...(reuseAfterWrite === undefined ? {} : { reuseAfterWrite }),
    onWrite: (chunks, done) => writes.push({ chunks, done }),
    onEvent: () => {},
  });
  return { connection, writes };
}

/** The payload a frame carries, unmasked with the key in its header. */
function unmasked(chunks: Uint8Array[]): Uint8Array {
  const [header, body] = chunks as [Uint8Array, Uint8Array];
  const key = header.subarray(header.length - 4);
  return body.map((byte, i) => byte ^ key[i % 4]!);
}

describe('reuseAfterWrite', () => {
  it('writes a large masked copy into the buffer of one whose done came without an error, never of one in flight', () => {
    const { connection, writes } = client(true);
    const a = new Uint8Array(70_000).fill(1);
    const b = new Uint8Array(70_000).fill(2);
    connection.send(a, true, () => {});
    connection.send(b, true, () => {});
    const [first, second] = writes;
    expect(first!.chunks[1]!.buffer).not.toBe(second!.chunks[1]!.buffer); // both in flight: two buffers
    first!.done!();
    connection.send(new Uint8Array(70_000).fill(3), true, () => {});
    expect(writes[2]!.chunks[1]!.buffer).toBe(first!.chunks[1]!.buffer); // the written one, again
    expect(unmasked(writes[2]!.chunks).every((byte) => byte === 3)).toBe(true);
    expect(unmasked(second!.chunks).every((byte) => byte === 2)).toBe(true); // untouched while in flight
    // A write that failed may still hold its buffer: not reused.
    second!.done!(new Error('socket closed'));
    connection.send(new Uint8Array(70_000).fill(4), true, () => {});
    expect(writes[3]!.chunks[1]!.buffer).not.toBe(second!.chunks[1]!.buffer);
  });

  it('is off by default, and leaves small frames (one chunk from the slab) as they were', () => {
    const { connection, writes } = client(undefined);
    connection.send(new Uint8Array(70_000), true, () => {});
    writes[0]!.done!();
    connection.send(new Uint8Array(70_000), true, () => {});
    expect(writes[1]!.chunks[1]!.buffer).not.toBe(writes[0]!.chunks[1]!.buffer);
    const pooled = client(true);
    pooled.connection.send(new Uint8Array(100).fill(9), true, () => {});
    expect(pooled.writes[0]!.chunks.length).toBe(1);
  });
});
