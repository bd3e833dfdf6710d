/** The Connection's sending side and closing handshake, for both roles. */
import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionEvent, encodeClosePayload, encodeFrameHeader, ProtocolError } from '../src/index.js';
import { concatBytes, describeEvent, describeWritten, frame, hex } from './helpers.js';

function endpoint(
  role: 'server' | 'client',
  options: { fragmentSize?: number; maxMessageSize?: number; maxFragments?: number } = {},
) {
  const writes: Uint8Array[][] = [];
  const events: string[] = [];
  const connection = new Connection({
    role,
    random: (bytes) => bytes.fill(0xa5),
    ...options,
    onWrite: (chunks, done) => {
      writes.push(chunks.map((c) => c.slice()));
      done?.();
    },
    onEvent: (event: ConnectionEvent) => events.push(describeEvent(event)),
  });
  return { connection, writes, events, written: () => describeWritten(concatBytes(writes.flat()), role) };
}

describe('sending', () => {
  it("writes the header and the payload as separate chunks; a server payload is the caller's bytes", () => {
    const server = endpoint('server');
    const data = Uint8Array.of(1, 2, 3);
    server.connection.send(data, true);
    expect(server.writes).toEqual([[Uint8Array.of(0x82, 3), data]]);
    server.connection.send('hé', false);
    expect(server.written()).toEqual(['binary:010203', `text:${hex(new TextEncoder().encode('hé'))}`]);
  });

  it("masks client payloads into a new buffer and never touches the caller's data", () => {
    const client = endpoint('client');
    const data = new Uint8Array(100).map((_, i) => i);
    const copy = data.slice();
    client.connection.send(data, true);
    expect(data).toEqual(copy);
    // A small frame is one chunk: the header, then the masked copy right after it.
    const [frame, ...rest] = client.writes[0]!;
    expect(rest).toEqual([]);
    expect([...frame!.subarray(0, 6)]).toEqual([0x82, 0x80 | 100, 0xa5, 0xa5, 0xa5, 0xa5]);
    expect(frame![6]).toBe(0 ^ 0xa5);
    expect(client.written()).toEqual([`binary:${hex(copy)}`]);
  });

  it('writes a client frame as one chunk up to 4 KiB in all, as header and masked copy above', () => {
    const client = endpoint('client');
    // 8 header bytes (2 + 2 length + 4 key) + 4,088 = 4,096: the largest single-chunk frame.
    const sizes = [0, 1, 125, 126, 4088, 4089, 70_000];
    const payloads = sizes.map((size) => new Uint8Array(size).map((_, i) => (i * 7) & 0xff));
    for (const p of payloads) client.connection.send(p, true);
    expect(client.writes.map((w) => w.length)).toEqual([1, 1, 1, 1, 1, 2, 2]);
    expect(client.writes[4]![0]!.length).toBe(4096);
    expect(client.writes[5]![0]!.length).toBe(8);
    expect(client.writes[6]![0]!.length).toBe(14);
    expect(client.written()).toEqual(payloads.map((p) => `binary:${hex(p)}`));
  });

  it('splits messages into frames of fragmentSize and calls done once, after the last', () => {
    const server = endpoint('server', { fragmentSize: 4 });
    let calls = 0;
    server.connection.send('0123456789', false, () => calls++);
    expect(server.writes.map((w) => w[0]![0])).toEqual([0x01, 0x00, 0x80]);
    expect(calls).toBe(1);
    const receiver = endpoint('client');
    receiver.connection.receive(concatBytes(server.writes.flat()));
    expect(receiver.events).toEqual(['text:0123456789']);
  });

  it('writes the right header for every small frame a server sends, whatever came before it', () => {
    // Small server headers are shared between frames: each must still be the bytes of its own frame.
    const fragmented = endpoint('server', { fragmentSize: 7 });
    const whole = endpoint('server');
    const expected: string[] = [];
    for (let length = 0; length < 126; length++) {
      const payload = new Uint8Array(length).fill(length);
      whole.connection.send(payload, length % 2 === 0);
      whole.connection.ping(payload);
      expected.push(`${length % 2 === 0 ? 'binary' : 'text'}:${hex(payload)}`, `ping:${hex(payload)}`);
      fragmented.connection.send(payload, true);
    }
    expect(whole.written()).toEqual(expected);
    for (const [header] of whole.writes) {
      expect(header!.length).toBe(2);
    }
    const reassembled = endpoint('client');
    reassembled.connection.receive(concatBytes(fragmented.writes.flat()));
    expect(reassembled.events).toEqual(
      Array.from({ length: 126 }, (_, length) => `binary:${hex(new Uint8Array(length).fill(length))}`),
    );
    // A header a caller of encodeFrameHeader keeps is its own, never one of the shared ones.
    const kept = encodeFrameHeader(2, true, 0, 3);
    kept[1] = 99;
    const after = endpoint('server');
    after.connection.send(Uint8Array.of(1, 2, 3), true);
    expect(after.writes[0]![0]).toEqual(Uint8Array.of(0x82, 3));
  });

  it('sends pings and pongs up to 125 bytes and refuses longer ones', () => {
    const server = endpoint('server');
    expect(server.connection.ping('a')).toBe(true);
    expect(server.connection.pong(new Uint8Array(125))).toBe(true);
    expect(server.connection.ping()).toBe(true);
    expect(() => server.connection.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(server.written()).toEqual(['ping:61', `pong:${'00'.repeat(125)}`, 'ping:']);
  });
});

describe('closing handshake', () => {
  it('validates the code and reason given to close()', () => {
    const server = endpoint('server');
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5])
      expect(() => server.connection.close(code), String(code)).toThrow(RangeError);
    expect(() => server.connection.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(() => server.connection.close(1000, 'é'.repeat(62))).toThrow(RangeError); // 124 bytes
    expect(() => server.connection.close(undefined, 'reason')).toThrow(TypeError);
    expect(server.writes).toEqual([]);
    expect(server.connection.state).toBe('open');
    server.connection.close(4000, 'é'.repeat(61));
    expect(server.written()).toEqual(['close:4000']);
  });

  it('server closes first: no data after the close frame, then close + closed when the client answers', async () => {
    const server = endpoint('server');
    server.connection.close(1001, 'going away');
    expect(server.connection.state).toBe('closing');
    let sendError: Error | undefined;
    server.connection.send('late', false, (error) => {
      sendError = error;
    });
    expect(server.connection.ping()).toBe(false);
    server.connection.close(1000); // ignored: a close frame was already sent
    // Data the client sent before it saw our close is still delivered.
    server.connection.receive(
      concatBytes([frame({ opcode: 1, payload: 'in flight' }), frame({ opcode: 8, payload: encodeClosePayload(1001) })]),
    );
    expect(server.events).toEqual(['text:in flight', 'close:1001:', 'closed']);
    expect(server.written()).toEqual(['close:1001']);
    expect(server.connection.state).toBe('closed');
    await Promise.resolve();
    expect(sendError?.message).toMatch(/not open/);
  });

  it('client closes first and the two connections complete the handshake in memory', () => {
    const transcript: string[] = [];
    let server!: Connection;
    const client: Connection = new Connection({
      role: 'client',
      random: (b) => b.fill(1),
      onWrite: (chunks) => server.receive(concatBytes(chunks).slice()),
      onEvent: (e) => transcript.push(`client ${describeEvent(e)}`),
    });
    server = new Connection({
      role: 'server',
      onWrite: (chunks) => client.receive(concatBytes(chunks).slice()),
      onEvent: (e) => transcript.push(`server ${describeEvent(e)}`),
    });
    client.close(1000, 'bye');
    // Writes are delivered synchronously here, so the server's reply reaches the client while the server
    // is still inside receive() and the client still inside close(): the client reports the server's
    // close at once, but 'closed' only once its own close() call has finished writing.
    expect(transcript).toEqual(['client close:1000:', 'server close:1000:bye', 'server closed', 'client closed']);
    expect([client.state, server.state]).toEqual(['closed', 'closed']);
  });

  it('a failure writes one close frame with the code and a readable reason, then ignores input', () => {
    const server = endpoint('server');
    const raw: ConnectionEvent[] = [];
    const connection = new Connection({
      role: 'server',
      onWrite: (chunks) => server.writes.push(chunks),
      onEvent: (e) => raw.push(e),
    });
    connection.receive(frame({ opcode: 1, payload: [0xff] }));
    connection.receive(frame({ opcode: 9 }));
    expect(raw).toHaveLength(1);
    const event = raw[0]!;
    expect(event.type).toBe('fail');
    if (event.type === 'fail') {
      expect(event.error).toBeInstanceOf(ProtocolError);
      expect(event.error.code).toBe(1007);
      expect(event.error.message).toMatch(/UTF-8/);
    }
    const payload = server.writes[0]![1]!;
    expect((payload[0]! << 8) | payload[1]!).toBe(1007);
    expect(new TextDecoder().decode(payload.subarray(2))).toMatch(/UTF-8/);
    expect(server.writes).toHaveLength(1);
    expect(connection.state).toBe('closed');
  });

  it('destroy() releases extensions, fails pending sends and emits nothing', async () => {
    let disposed = 0;
    const events: ConnectionEvent[] = [];
    const connection = new Connection({
      role: 'server',
      extensions: [
        { name: 'x', rsv1: false, encode: () => new Promise(() => {}), decode: (f) => f[0]!, dispose: () => disposed++ },
      ],
      onWrite: () => {},
      onEvent: (e) => events.push(e),
    });
    let error: Error | undefined;
    connection.send('never', false, (e) => {
      error = e;
    });
    connection.destroy();
    connection.destroy();
    await Promise.resolve();
    await Promise.resolve();
    expect(error).toBeInstanceOf(Error);
    expect(disposed).toBe(1);
    expect(events).toEqual([]);
    expect(connection.state).toBe('closed');
  });
});

describe('robustness', () => {
  it('rethrows an exception from onEvent after the input was fully processed', () => {
    const seen: string[] = [];
    const connection = new Connection({
      role: 'server',
      onWrite: () => {},
      onEvent: (e) => {
        seen.push(describeEvent(e));
        if (seen.length === 1) throw new Error('listener bug');
      },
    });
    expect(() =>
      connection.receive(concatBytes([frame({ opcode: 1, payload: 'a' }), frame({ opcode: 1, payload: 'b' })])),
    ).toThrow('listener bug');
    expect(seen).toEqual(['text:a', 'text:b']);
    connection.receive(frame({ opcode: 1, payload: 'c' }));
    expect(seen).toEqual(['text:a', 'text:b', 'text:c']);
  });

  it('rethrows whatever onEvent threw, undefined included, once, and only the first', () => {
    let calls = 0;
    const connection = new Connection({
      role: 'server',
      onWrite: () => {},
      onEvent: () => {
        calls++;
        if (calls === 1) throw undefined;
        if (calls === 2) throw new Error('second');
      },
    });
    let caught: unknown = 'nothing caught';
    try {
      connection.receive(concatBytes([frame({ opcode: 1, payload: 'a' }), frame({ opcode: 1, payload: 'b' })]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeUndefined();
    expect(calls).toBe(2);
    // Nothing left to rethrow: the next receive ends normally.
    expect(() => connection.receive(frame({ opcode: 1, payload: 'c' }))).not.toThrow();
    expect(calls).toBe(3);
  });

  it('requires a random source for clients and sane limits', () => {
    expect(() => new Connection({ role: 'client', onWrite: () => {}, onEvent: () => {} })).toThrow(TypeError);
    expect(() => new Connection({ role: 'server', maxMessageSize: -1, onWrite: () => {}, onEvent: () => {} })).toThrow(
      RangeError,
    );
    expect(() => new Connection({ role: 'server', fragmentSize: 0, onWrite: () => {}, onEvent: () => {} })).toThrow(RangeError);
  });

  it('hands out a single-frame payload as a subarray of the input, unmasked in place', () => {
    const input = frame({ opcode: 2, payload: [1, 2, 3, 4, 5] });
    const events: ConnectionEvent[] = [];
    new Connection({ role: 'server', onWrite: () => {}, onEvent: (e) => events.push(e) }).receive(input);
    const event = events[0]!;
    if (event.type !== 'message') throw new Error('expected a message');
    expect(event.data.buffer).toBe(input.buffer);
    expect([...event.data]).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('re-entrancy', () => {
  it('decodes input passed to receive() from inside a callback after the current input, in order', () => {
    const seen: string[] = [];
    const connection: Connection = new Connection({
      role: 'server',
      onWrite: () => {},
      onEvent: (event) => {
        seen.push(describeEvent(event));
        // A frame split in two, fed re-entrantly while the outer receive() still has frames to decode.
        if (seen.length === 1) {
          const inner = frame({ opcode: 1, payload: 'inner' });
          connection.receive(inner.subarray(0, 3));
          connection.receive(inner.subarray(3));
        }
      },
    });
    connection.receive(concatBytes([frame({ opcode: 1, payload: 'first' }), frame({ opcode: 1, payload: 'second' })]));
    expect(seen).toEqual(['text:first', 'text:second', 'text:inner']);
  });

  it('two connections wired back to back can answer each other from their event handlers', () => {
    const log: string[] = [];
    let server!: Connection;
    const client: Connection = new Connection({
      role: 'client',
      random: (b) => b.fill(3),
      onWrite: (chunks) => {
        for (const c of chunks) server.receive(c);
      },
      onEvent: (e) => {
        log.push(`client ${describeEvent(e)}`);
        if (e.type === 'message' && log.length < 6) client.send(`again ${log.length}`, false);
      },
    });
    server = new Connection({
      role: 'server',
      onWrite: (chunks) => {
        for (const c of chunks) client.receive(c);
      },
      onEvent: (e) => {
        log.push(`server ${describeEvent(e)}`);
        if (e.type === 'message') server.send(e.data, false);
      },
    });
    client.send('start', false);
    expect(log).toEqual([
      'server text:start',
      'client text:start',
      'server text:again 2',
      'client text:again 2',
      'server text:again 4',
      'client text:again 4',
    ]);
  });
});

describe('extension lifetime', () => {
  it('disposes extensions exactly once: closed, then destroy() from the socket close', () => {
    let disposed = 0;
    const connection = new Connection({
      role: 'server',
      extensions: [
        {
          name: 'x',
          rsv1: false,
          encode: (data) => ({ data, rsv1: false }),
          decode: (f) => concatBytes(f),
          dispose: () => disposed++,
        },
      ],
      onWrite: () => {},
      onEvent: () => {},
    });
    connection.receive(frame({ opcode: 8, payload: [0x03, 0xe8] }));
    expect(connection.state).toBe('closed');
    expect(disposed).toBe(1);
    connection.destroy();
    expect(disposed).toBe(1);
  });
});

describe('many tiny fragments', () => {
  it('reassembles a message sent as 50,000 one-byte frames, in 7-byte chunks', () => {
    const text = 'abcdefghij'.repeat(5000);
    const bytes = new TextEncoder().encode(text);
    const input = concatBytes(
      [...bytes].map((b, i) => frame({ opcode: i === 0 ? 1 : 0, fin: i === bytes.length - 1, payload: [b] })),
    );
    const events: ConnectionEvent[] = [];
    const connection = new Connection({ role: 'server', onWrite: () => {}, onEvent: (e) => events.push(e) });
    for (let i = 0; i < input.length; i += 7) connection.receive(input.subarray(i, i + 7));
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.type === 'message' && new TextDecoder().decode(event.data) === text).toBe(true);
  });

  function fragmented(count: number): Uint8Array {
    // Empty fragments: the cheapest flood on the wire, and the one the cap is for.
    return concatBytes(Array.from({ length: count }, (_, i) => frame({ opcode: i === 0 ? 2 : 0, fin: i === count - 1 })));
  }

  it('accepts a message of exactly maxFragments frames and fails the next one with 1008', () => {
    const server = endpoint('server', { maxFragments: 100 });
    server.connection.receive(fragmented(100));
    expect(server.events).toEqual(['binary:']);
    server.connection.receive(fragmented(101));
    expect(server.events).toEqual(['binary:', 'fail:1008']);
    expect(server.written()).toEqual(['close:1008']);
  });

  it('caps fragments at 131,072 by default, enough for 4 MiB in 64-byte fragments', () => {
    const server = endpoint('server');
    server.connection.receive(fragmented(131_072));
    expect(server.events).toEqual(['binary:']);
    server.connection.receive(fragmented(131_073));
    expect(server.events).toEqual(['binary:', 'fail:1008']);
  });

  it('rejects a maxFragments below 1', () => {
    expect(() => endpoint('server', { maxFragments: 0 })).toThrow(RangeError);
  });
});

describe('ping floods', () => {
  const ping = (n: number) => frame({ opcode: 9, payload: [n & 0xff, n >> 8] });

  it('answers the first 32 pings of one receive() one by one, and only the last of the rest', () => {
    const server = endpoint('server');
    server.connection.receive(concatBytes(Array.from({ length: 1000 }, (_, i) => ping(i))));
    const pongs = server.written();
    expect(pongs).toHaveLength(33);
    expect(pongs.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => `pong:${hex(Uint8Array.of(i & 0xff, i >> 8))}`));
    // The coalesced pong answers the most recent ping (RFC 6455 section 5.5.3), after the event for it.
    expect(pongs[32]).toBe(`pong:${hex(Uint8Array.of(999 & 0xff, 999 >> 8))}`);
    expect(server.events).toHaveLength(1000);
  });

  it('answers every ping when they come in separate receive() calls', () => {
    const server = endpoint('server');
    for (let i = 0; i < 100; i++) server.connection.receive(ping(i));
    expect(server.written()).toHaveLength(100);
  });

  it('writes the owed pong before a close reply in the same receive()', () => {
    const server = endpoint('server');
    const pings = Array.from({ length: 40 }, (_, i) => ping(i));
    server.connection.receive(concatBytes([...pings, frame({ opcode: 8, payload: encodeClosePayload(1000) })]));
    const written = server.written();
    expect(written).toHaveLength(34);
    expect(written[32]).toBe(`pong:${hex(Uint8Array.of(39, 0))}`);
    expect(written[33]).toBe('close:1000');
  });

  it('owes no pong after a protocol error in the same receive()', () => {
    const server = endpoint('server');
    const pings = Array.from({ length: 40 }, (_, i) => ping(i));
    server.connection.receive(concatBytes([...pings, frame({ opcode: 3 })]));
    const written = server.written();
    expect(written.slice(32)).toEqual(['close:1002']);
  });

  it('writes no pong with autoPong off', () => {
    const writes: Uint8Array[][] = [];
    const connection = new Connection({ role: 'server', autoPong: false, onWrite: (c) => writes.push(c), onEvent: () => {} });
    connection.receive(concatBytes(Array.from({ length: 40 }, (_, i) => ping(i))));
    expect(writes).toEqual([]);
  });
});

describe('what an adapter reads to account for memory and time', () => {
  it('bufferedBytes counts a partial frame and earlier fragments; receivingMessage spans the message', () => {
    const server = endpoint('server');
    const connection = server.connection;
    expect([connection.bufferedBytes, connection.receivingMessage]).toEqual([0, false]);
    const first = frame({ opcode: 1, fin: false, payload: 'x'.repeat(1000) });
    connection.receive(first.subarray(0, 1));
    expect(connection.receivingMessage).toBe(true); // one header byte is a frame begun
    connection.receive(first.subarray(1, 500));
    expect(connection.bufferedBytes).toBeGreaterThan(0);
    connection.receive(first.subarray(500));
    expect([connection.bufferedBytes, connection.receivingMessage]).toEqual([1000, true]);
    connection.receive(frame({ opcode: 0, payload: 'y' }));
    expect([connection.bufferedBytes, connection.receivingMessage]).toEqual([0, false]);
    expect(server.events).toEqual([`text:${'x'.repeat(1000)}y`]);
  });
});
