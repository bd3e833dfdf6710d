/**
 * Prepared messages: framed once by prepareMessage, written by sendPrepared to any number of server
 * connections as the same chunks, in order with the connection's own sends, also while an extension
 * encodes asynchronously or the prepared message itself is still being prepared.
 */
import { describe, expect, it } from 'vitest';
import {
  Connection,
  type ConnectionEvent,
  type EncodedMessage,
  type Extension,
  prepareMessage,
  type PreparedMessage,
  ProtocolError,
} from '../src/index.js';
import { concatBytes, describeEvent, describeWritten, hex } from './helpers.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An extension claiming RSV1 whose encode answers with `encode` (identity by default). */
function extension(encode?: (data: Uint8Array, binary: boolean) => EncodedMessage | Promise<EncodedMessage>): Extension {
  return {
    name: 'x-test',
    rsv1: true,
    encode: encode ?? ((data) => ({ data, rsv1: false })),
    decode: (fragments) => concatBytes(fragments),
    dispose: () => {},
  };
}

interface Harness {
  connection: Connection;
  /** Every chunks array handed to onWrite, as given. */
  arrays: Uint8Array[][];
  events: string[];
  written(): string[];
}

function server(extensions: Extension[] = []): Harness {
  const arrays: Uint8Array[][] = [];
  const raw: ConnectionEvent[] = [];
  const connection = new Connection({
    role: 'server',
    extensions,
    onWrite: (chunks, done) => {
      arrays.push(chunks);
      done?.();
    },
    onEvent: (event) => raw.push(event),
  });
  return {
    connection,
    arrays,
    get events() {
      return raw.map(describeEvent);
    },
    written: () => describeWritten(concatBytes(arrays.flat()), 'server'),
  };
}

/** What a client connection makes of bytes a server wrote: the messages it delivers. */
function clientReads(bytes: Uint8Array, extensions: Extension[] = []): string[] {
  const events: ConnectionEvent[] = [];
  const client = new Connection({
    role: 'client',
    random: (b) => b.fill(1),
    extensions,
    onWrite: () => {},
    onEvent: (event) => events.push(event),
  });
  client.receive(bytes.slice());
  return events.map(describeEvent);
}

describe('prepareMessage', () => {
  it('frames text and binary once, the payload not copied, frozen', () => {
    const payload = Uint8Array.of(1, 2, 3);
    const binary = prepareMessage(payload, true);
    expect(binary.chunks).toHaveLength(2);
    expect(binary.chunks[1]).toBe(payload);
    expect(hex(binary.chunks[0]!)).toBe('8203');
    expect(binary).toMatchObject({ binary: true, rsv1: false, byteLength: 5, payloadLength: 3 });
    expect(Object.isFrozen(binary) && Object.isFrozen(binary.chunks)).toBe(true);

    const text = prepareMessage('héllo', false);
    expect(text.payloadLength).toBe(6);
    expect(clientReads(concatBytes(text.chunks))).toEqual(['text:héllo']);
    // An empty message is a header alone.
    const empty = prepareMessage(new Uint8Array(0), false);
    expect(empty.chunks).toHaveLength(1);
    expect(hex(empty.chunks[0]!)).toBe('8100');
    // 16-bit and 64-bit lengths.
    expect(hex(prepareMessage(new Uint8Array(200), true).chunks[0]!)).toBe('827e00c8');
    expect(hex(prepareMessage(new Uint8Array(70_000), true).chunks[0]!)).toBe('827f0000000000011170');
  });

  it('splits once by fragmentSize, RSV1 on the first frame only', () => {
    const message = prepareMessage(Uint8Array.of(1, 2, 3, 4, 5), true, { fragmentSize: 2, rsv1: true });
    const frames = message.chunks.filter((_, i) => i % 2 === 0).map((header) => hex(header));
    // binary+RSV1 (0x42), continuation (0x00), final continuation (0x80)
    expect(frames).toEqual(['4202', '0002', '8001']);
    expect(message.byteLength).toBe(5 + 3 * 2);
    expect(describeWritten(concatBytes(message.chunks), 'server')).toEqual(['binary:0102', 'cont:0304', 'cont:05']);
    // A payload of exactly fragmentSize is one frame.
    expect(prepareMessage(Uint8Array.of(1, 2), true, { fragmentSize: 2 }).chunks).toHaveLength(2);
  });

  it('refuses what it cannot frame', () => {
    expect(() => prepareMessage(Uint8Array.of(1), true, { fragmentSize: 0 })).toThrow(RangeError);
    expect(() => prepareMessage(42 as unknown as string, true)).toThrow(TypeError);
  });
});

describe('Connection.sendPrepared', () => {
  it('writes the same chunks to every server connection, and a client reads the message', () => {
    const message = prepareMessage('to everyone', false);
    const a = server();
    const b = server([extension()]);
    const doneCalls: (Error | undefined)[] = [];
    a.connection.sendPrepared(message, (error) => doneCalls.push(error));
    b.connection.sendPrepared(message);
    expect(a.arrays).toEqual([message.chunks]);
    expect(a.arrays[0]).toBe(message.chunks);
    expect(b.arrays[0]).toBe(message.chunks);
    expect(doneCalls).toEqual([undefined]);
    expect(clientReads(concatBytes(a.arrays.flat()))).toEqual(['text:to everyone']);
  });

  it('is for the server role: a client throws TypeError', () => {
    const client = new Connection({ role: 'client', random: (b) => b.fill(1), onWrite: () => {}, onEvent: () => {} });
    expect(() => client.sendPrepared(prepareMessage('x', false))).toThrow(TypeError);
  });

  it('is refused after close(): nothing written, done gets an error', async () => {
    const h = server();
    h.connection.close(1000);
    let error: Error | undefined;
    h.connection.sendPrepared(prepareMessage('late', false), (e) => {
      error = e;
    });
    await tick();
    expect(h.written()).toEqual(['close:1000']);
    expect(error?.message).toMatch(/not open/);
  });

  it('needs an extension claiming RSV1 for a compressed message', () => {
    const compressed = prepareMessage(Uint8Array.of(0), true, { rsv1: true });
    const plain = server();
    expect(() => plain.connection.sendPrepared(compressed)).toThrow(TypeError);
    expect(plain.arrays).toEqual([]);
    // Refused at once, before queueing, also on a connection with an extension that does not claim RSV1.
    const otherExtension = server([{ ...extension(), rsv1: false }]);
    expect(() => otherExtension.connection.sendPrepared(compressed)).toThrow(TypeError);
    const withExtension = server([extension()]);
    withExtension.connection.sendPrepared(compressed);
    expect(withExtension.arrays).toEqual([compressed.chunks]);
  });

  it('waits behind a send an extension is still encoding, ahead of later sends', async () => {
    const pending = deferred<EncodedMessage>();
    const h = server([extension((data, binary) => (binary ? { data, rsv1: false } : pending.promise))]);
    const order: string[] = [];
    h.connection.send('first', false, () => order.push('first'));
    expect(h.connection.outboundHeld).toBe(true);
    h.connection.sendPrepared(prepareMessage(Uint8Array.of(2), true), () => order.push('prepared'));
    // A compressed one may queue here: the extension claims RSV1.
    h.connection.sendPrepared(prepareMessage(Uint8Array.of(9), true, { rsv1: true }));
    h.connection.send(Uint8Array.of(3), true, () => order.push('third'));
    expect(h.written()).toEqual([]);
    pending.resolve({ data: new TextEncoder().encode('first'), rsv1: false });
    await tick();
    expect(h.written()).toEqual([`text:${hex(new TextEncoder().encode('first'))}`, 'binary:02', 'binary:09', 'binary:03']);
    expect(order).toEqual(['first', 'prepared', 'third']);
    expect(h.connection.outboundHeld).toBe(false);
  });

  it('holds later messages, and the close, while a prepared message is still being prepared (no extensions)', async () => {
    const h = server();
    const ready = deferred<PreparedMessage>();
    const order: string[] = [];
    h.connection.sendPrepared(ready.promise, (error) => order.push(`prepared ${error ? 'error' : 'ok'}`));
    expect(h.connection.outboundHeld).toBe(true);
    h.connection.send('after', false, () => order.push('after'));
    expect(h.connection.ping()).toBe(true); // control frames do not wait
    h.connection.close(1000);
    expect(h.written()).toEqual(['ping:']);
    ready.resolve(prepareMessage('published', false));
    await tick();
    expect(h.written()).toEqual([
      'ping:',
      `text:${hex(new TextEncoder().encode('published'))}`,
      `text:${hex(new TextEncoder().encode('after'))}`,
      'close:1000',
    ]);
    expect(order).toEqual(['prepared ok', 'after']);
    // Sends still go out directly afterwards (through the queue made for the prepared message).
    const again = server();
    again.connection.sendPrepared(Promise.resolve(prepareMessage('a', false)));
    await tick();
    again.connection.send('b', false);
    expect(again.written()).toEqual(['text:61', 'text:62']);
  });

  it('keeps two prepared messages in order when the later is ready first', async () => {
    const h = server([extension()]);
    const slow = deferred<PreparedMessage>();
    h.connection.sendPrepared(slow.promise);
    h.connection.sendPrepared(prepareMessage('second', false));
    h.connection.sendPrepared(Promise.resolve(prepareMessage('third', false)));
    await tick();
    expect(h.written()).toEqual([]);
    slow.resolve(prepareMessage('first', false));
    await tick();
    expect(clientReads(concatBytes(h.arrays.flat()), [extension()])).toEqual(['text:first', 'text:second', 'text:third']);
  });

  it('fails the connection with 1011 when the preparation rejects or yields what it may not send', async () => {
    const rejected = server();
    let error: Error | undefined;
    rejected.connection.sendPrepared(Promise.reject(new Error('zlib broke')), (e) => {
      error = e;
    });
    rejected.connection.send('never', false);
    await tick();
    expect(rejected.events).toEqual(['fail:1011']);
    expect(rejected.written()).toEqual(['close:1011']);
    expect(error).toBeInstanceOf(ProtocolError);

    const wrongBits = server();
    wrongBits.connection.sendPrepared(Promise.resolve(prepareMessage('x', false, { rsv1: true })));
    await tick();
    expect(wrongBits.events).toEqual(['fail:1011']);
  });

  it('reports a pending prepared message as not sent when the connection is destroyed', async () => {
    const h = server([extension()]);
    const never = deferred<PreparedMessage>();
    let error: Error | undefined;
    h.connection.sendPrepared(never.promise, (e) => {
      error = e;
    });
    h.connection.destroy();
    await tick();
    expect(error?.message).toMatch(/not open/);
    never.resolve(prepareMessage('too late', false));
    await tick();
    expect(h.arrays).toEqual([]);
  });
});
