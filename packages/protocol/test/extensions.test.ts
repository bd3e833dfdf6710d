/**
 * The extension interface: negotiation in both handshakes, and a Connection keeping event and write order
 * while extension work is asynchronous. Timing-sensitive cases use a hand-resolved promise; the last case
 * runs a real compressing extension on node:zlib end to end.
 */
import { webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import {
  acceptClientHandshake,
  Connection,
  type ConnectionEvent,
  createClientHandshake,
  disposeExtensions,
  type EncodedMessage,
  type Extension,
  type ExtensionOffer,
  HandshakeError,
  parseExtensionHeader,
  ProtocolError,
  type ServerExtensionNegotiator,
  upgrade,
} from '../src/index.js';
import { formatSharedResponses, parseSharedOffers } from '../src/handshake/extension-header.js';
import { concatBytes, describeEvent, describeWritten, frame } from './helpers.js';

const random = (bytes: Uint8Array): void => {
  webcrypto.getRandomValues(bytes);
};

const baseRequest = {
  host: 'h',
  upgrade: 'websocket',
  connection: 'upgrade',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAA==',
};

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

describe('extension header grammar (RFC 7230 / RFC 6455 9.1)', () => {
  it('parses several offers, parameters, quoted strings and repeated headers in order', () => {
    expect(
      parseExtensionHeader([
        'permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10" ;client_no_context_takeover',
        ' x-foo ,, x-bar;a=1;a=2',
      ]),
    ).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
      {
        name: 'permessage-deflate',
        params: [
          ['server_max_window_bits', '10'],
          ['client_no_context_takeover', true],
        ],
      },
      { name: 'x-foo', params: [] },
      {
        name: 'x-bar',
        params: [
          ['a', '1'],
          ['a', '2'],
        ],
      },
    ]);
    expect(parseExtensionHeader('a; b="c\\d"')).toEqual([{ name: 'a', params: [['b', 'cd']] }]);
    expect(parseExtensionHeader('')).toEqual([]);
  });

  it('rejects bad syntax with HandshakeError(400)', () => {
    for (const bad of ['a;', ';a', 'a b', 'a; b=', 'a; b="c', 'a; b="c d"', 'a; b=c d', 'a=b', 'a; b="', 'a; b=@', 'ä']) {
      let error: unknown;
      try {
        parseExtensionHeader(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(400);
    }
  });

  it('makes the server handshake answer 400 on a malformed header', () => {
    expect(upgrade({ ...baseRequest, 'sec-websocket-extensions': 'a;;' })).toMatchObject({ ok: false, status: 400 });
  });
});

/** A pass-through extension that records its lifecycle. */
function recordingExtension(name: string, rsv1: boolean, log: string[]): Extension {
  return {
    name,
    rsv1,
    encode: (data) => ({ data, rsv1 }),
    decode: (fragments) => concatBytes(fragments),
    dispose: () => log.push(`dispose ${name}`),
  };
}

describe('disposeExtensions', () => {
  it('disposes every extension once, going on past one whose dispose throws', () => {
    const disposed: string[] = [];
    const make = (name: string, throws: boolean): Extension => ({
      name,
      rsv1: false,
      encode: (data) => ({ data, rsv1: false }),
      decode: (fragments) => fragments[0]!,
      dispose: () => {
        disposed.push(name);
        if (throws) throw new Error(`${name} failed`);
      },
    });
    expect(() => disposeExtensions([make('a', true), make('b', false)])).not.toThrow();
    expect(disposed).toEqual(['a', 'b']);
  });
});

describe('server negotiation', () => {
  it('hands each negotiator its offers in client order and answers with the accepted responses', () => {
    const log: string[] = [];
    const seen: ExtensionOffer[][] = [];
    const negotiator = (name: string, rsv1: boolean): ServerExtensionNegotiator => ({
      name,
      accept: (offers) => {
        seen.push([...offers]);
        return { response: { name, params: offers[offers.length - 1]!.params }, extension: recordingExtension(name, rsv1, log) };
      },
    });
    const result = upgrade(
      [
        ...Object.entries(baseRequest),
        ['Sec-WebSocket-Extensions', 'x-a; p=1, x-b'],
        ['Sec-WebSocket-Extensions', 'x-a; p="2", x-c'],
      ],
      { extensions: [negotiator('x-c', false), negotiator('x-a', true), negotiator('x-b', true), negotiator('x-none', false)] },
    );
    expect(seen).toEqual([
      [{ name: 'x-c', params: [] }],
      [
        { name: 'x-a', params: [['p', '1']] },
        { name: 'x-a', params: [['p', '2']] },
      ],
      [{ name: 'x-b', params: [] }],
    ]);
    if (!result.ok) throw new Error(result.reason);
    // x-b also claims RSV1, which x-a already owns: it is declined and disposed.
    expect(result.headers).toContainEqual(['Sec-WebSocket-Extensions', 'x-c, x-a; p=2']);
    expect(result.extensions.map((e) => e.name)).toEqual(['x-c', 'x-a']);
    expect(log).toEqual(['dispose x-b']);
  });

  it('omits the header when every negotiator declines, and fails with the status a negotiator throws', () => {
    const declined = upgrade(
      { ...baseRequest, 'sec-websocket-extensions': 'x-a' },
      { extensions: [{ name: 'x-a', accept: () => undefined }] },
    );
    expect(declined.ok && declined.headers.some(([k]) => k === 'Sec-WebSocket-Extensions')).toBe(false);
    const log: string[] = [];
    const failed = upgrade(
      { ...baseRequest, 'sec-websocket-extensions': 'x-a, x-b; bad' },
      {
        extensions: [
          {
            name: 'x-a',
            accept: () => ({ response: { name: 'x-a', params: [] }, extension: recordingExtension('x-a', false, log) }),
          },
          {
            name: 'x-b',
            accept: () => {
              throw new HandshakeError(400, 'x-b: unknown parameter "bad"');
            },
          },
        ],
      },
    );
    expect(failed).toEqual({ ok: false, status: 400, reason: 'x-b: unknown parameter "bad"', headers: [] });
    expect(log).toEqual(['dispose x-a']);
  });
});

describe('shared offers (one parse per distinct header value)', () => {
  it('gives the same deeply frozen offers for a value seen before, and fresh ones for another value', () => {
    const value = 'permessage-deflate; client_max_window_bits, x-b; p="1"';
    const first = parseSharedOffers(value);
    expect(first).toEqual(parseExtensionHeader(value));
    expect(parseSharedOffers(value)).toBe(first);
    expect(
      Object.isFrozen(first) &&
        first.every((o) => Object.isFrozen(o) && Object.isFrozen(o.params) && o.params.every(Object.isFrozen)),
    ).toBe(true);
    expect(() => (first[0]!.params as unknown[]).push(['x', true])).toThrow(TypeError);
    expect(parseSharedOffers('permessage-deflate')).not.toBe(first);
  });

  it('parses long values and repeated headers afresh (still frozen), and never keeps a bad value', () => {
    const long = `x-a; p=${'v'.repeat(300)}`;
    const a = parseSharedOffers(long);
    expect(parseSharedOffers(long)).not.toBe(a);
    expect(Object.isFrozen(a[0])).toBe(true);
    const list = ['x-a', 'x-b'];
    expect(parseSharedOffers(list).map((o) => o.name)).toEqual(['x-a', 'x-b']);
    expect(() => parseSharedOffers('x-a; =1')).toThrow(HandshakeError);
    expect(() => parseSharedOffers('x-a; =1')).toThrow(HandshakeError);
  });

  it('stays bounded: past 64 distinct values it starts over rather than growing', () => {
    const kept = parseSharedOffers('x-kept');
    for (let i = 0; i < 64; i++) parseSharedOffers(`x-${i}`);
    // The table was emptied on the way: the first value is parsed again (equal, not the same objects).
    const again = parseSharedOffers('x-kept');
    expect(again).toEqual(kept);
    expect(again).not.toBe(kept);
  });

  it('formats a single frozen response once; anything else afresh', () => {
    const response = Object.freeze({
      name: 'x-a',
      params: Object.freeze([Object.freeze(['p', '1'] as [string, string])]) as [string, string][],
    });
    expect(formatSharedResponses([response])).toBe('x-a; p=1');
    expect(formatSharedResponses([response])).toBe('x-a; p=1');
    const open: ExtensionOffer = { name: 'x-b', params: [] };
    expect(formatSharedResponses([open])).toBe('x-b');
    open.params.push(['q', true]);
    expect(formatSharedResponses([open])).toBe('x-b; q');
    expect(formatSharedResponses([response, open])).toBe('x-a; p=1, x-b; q');
  });

  it('hands negotiators the same frozen offer objects on every handshake with the same header', () => {
    const seen: (readonly ExtensionOffer[])[] = [];
    const negotiator: ServerExtensionNegotiator = { name: 'x-s', accept: (offers) => void seen.push(offers) };
    for (let i = 0; i < 2; i++) upgrade({ ...baseRequest, 'sec-websocket-extensions': 'x-s; a=1' }, { extensions: [negotiator] });
    expect(seen).toHaveLength(2);
    expect(seen[1]![0]).toBe(seen[0]![0]);
    expect(Object.isFrozen(seen[0]![0])).toBe(true);
  });
});

describe('client negotiation', () => {
  const clientNegotiator = (log: string[]) => ({
    name: 'x-a',
    offer: (): ExtensionOffer[] => [
      { name: 'x-a', params: [['mode', 'fast']] },
      { name: 'x-a', params: [] },
    ],
    accept: (response: ExtensionOffer): Extension => {
      if (response.params.some(([k]) => k === 'evil')) throw new HandshakeError(400, 'x-a: unacceptable parameter evil');
      return recordingExtension('x-a', true, log);
    },
  });

  it('offers, accepts the response and rejects responses it did not offer', () => {
    const log: string[] = [];
    const handshake = createClientHandshake({ host: 'h', path: '/', extensions: [clientNegotiator(log)], random });
    expect(handshake.headers).toContainEqual(['Sec-WebSocket-Extensions', 'x-a; mode=fast, x-a']);
    const server = upgrade(handshake.headers, {
      extensions: [
        { name: 'x-a', accept: (offers) => ({ response: offers[0]!, extension: recordingExtension('x-a', true, log) }) },
      ],
    });
    if (!server.ok) throw new Error(server.reason);
    const result = acceptClientHandshake(handshake, 101, server.headers);
    expect(result.extensions.map((e) => e.name)).toEqual(['x-a']);

    const withExtensions = (value: string): [string, string][] => [
      ...server.headers.filter(([k]) => k !== 'Sec-WebSocket-Extensions'),
      ['Sec-WebSocket-Extensions', value],
    ];
    expect(() => acceptClientHandshake(handshake, 101, withExtensions('x-b'))).toThrow(/not offered/);
    expect(() => acceptClientHandshake(handshake, 101, withExtensions('x-a, x-a'))).toThrow(/twice/);
    expect(() => acceptClientHandshake(handshake, 101, withExtensions('x-a; evil'))).toThrow(/unacceptable/);
    expect(() => acceptClientHandshake(handshake, 101, withExtensions('x-a;'))).toThrow(HandshakeError);
    // The extension created before the duplicate was detected has been released.
    expect(log).toContain('dispose x-a');
  });
});

interface Harness {
  connection: Connection;
  events: string[];
  written: () => string[];
}

function harness(
  role: 'server' | 'client',
  extension: Extension,
  extra: Partial<ConstructorParameters<typeof Connection>[0]> = {},
): Harness {
  const events: string[] = [];
  const writes: Uint8Array[] = [];
  const connection = new Connection({
    role,
    random,
    extensions: [extension],
    onWrite: (chunks, done) => {
      for (const chunk of chunks) writes.push(chunk.slice());
      done?.();
    },
    onEvent: (event: ConnectionEvent) => events.push(describeEvent(event)),
    ...extra,
  });
  return { connection, events, written: () => describeWritten(concatBytes(writes), role) };
}

describe('Connection with asynchronous extensions', () => {
  it('holds later events behind a pending decode, while the pong goes out at once', async () => {
    const pending = deferred<Uint8Array>();
    const log: string[] = [];
    const extension: Extension = {
      ...recordingExtension('x-async', true, log),
      decode: (fragments, rsv1) => (rsv1 ? pending.promise : concatBytes(fragments)),
    };
    const h = harness('server', extension);
    h.connection.receive(
      concatBytes([
        frame({ opcode: 1, payload: 'compressed', rsv: 4 }),
        frame({ opcode: 9, payload: 'p' }),
        frame({ opcode: 1, payload: 'plain' }),
        frame({ opcode: 8, payload: [0x03, 0xe8] }),
      ]),
    );
    expect(h.events).toEqual([]);
    // The pong goes out at once; the close is taken in its turn, after the messages before it.
    expect(h.written()).toEqual(['pong:70']);
    expect(h.connection.bufferedIncoming).toBe('compressed'.length + 'plain'.length);
    expect(h.connection.state).toBe('open');
    pending.resolve(new TextEncoder().encode('decoded'));
    await tick();
    expect(h.events).toEqual(['text:decoded', 'ping:70', 'text:plain', 'close:1000:', 'closed']);
    expect(h.written()).toEqual(['pong:70', 'close:1000']);
    expect(h.connection.bufferedIncoming).toBe(0);
    expect(h.connection.state).toBe('closed');
    expect(log).toEqual(['dispose x-async']);
  });

  it('keeps outgoing data order across a pending encode; control frames pass, close waits', async () => {
    const pending = deferred<EncodedMessage>();
    const extension: Extension = {
      ...recordingExtension('x-async', true, []),
      encode: (data, binary) => (binary ? { data, rsv1: false } : pending.promise),
    };
    const h = harness('server', extension);
    const done: string[] = [];
    h.connection.send('first', false, (error) => done.push(`first ${error ? 'error' : 'ok'}`));
    h.connection.send(Uint8Array.of(2), true, (error) => done.push(`second ${error ? 'error' : 'ok'}`));
    expect(h.connection.ping('p')).toBe(true);
    h.connection.close(1000);
    h.connection.send('too late', false, (error) => done.push(`late ${error?.message ?? 'ok'}`));
    expect(h.written()).toEqual(['ping:70']);
    expect(h.connection.state).toBe('closing');
    pending.resolve({ data: new TextEncoder().encode('FIRST'), rsv1: true });
    await tick();
    expect(h.written()).toEqual(['ping:70', `text:${Buffer.from('FIRST').toString('hex')}`, 'binary:02', 'close:1000']);
    // The rejected send is reported at once (next microtask); the queued ones when they are written.
    expect(done).toEqual([expect.stringMatching(/^late .*not open/), 'first ok', 'second ok']);
  });

  it('fails with the code of a decode rejection and drops what follows', async () => {
    const pending = deferred<Uint8Array>();
    const log: string[] = [];
    const extension: Extension = { ...recordingExtension('x-async', true, log), decode: () => pending.promise };
    const h = harness('server', extension);
    h.connection.receive(concatBytes([frame({ opcode: 2, payload: [1], rsv: 4 }), frame({ opcode: 2, payload: [2] })]));
    pending.reject(new ProtocolError(1009, 'inflated message too big'));
    await tick();
    expect(h.events).toEqual(['fail:1009']);
    expect(h.written()).toEqual(['close:1009']);
    expect(h.connection.state).toBe('closed');
    expect(log).toEqual(['dispose x-async']);
    h.connection.receive(frame({ opcode: 9 }));
    expect(h.written()).toEqual(['close:1009']);
  });

  it('fails with 1007 when a decode throws something else, and 1011 when an encode fails', () => {
    const throwing: Extension = {
      ...recordingExtension('x', true, []),
      decode: () => {
        throw new Error('corrupt stream');
      },
      encode: () => {
        throw new Error('encoder crashed');
      },
    };
    const receiving = harness('server', throwing);
    receiving.connection.receive(frame({ opcode: 2, payload: [1], rsv: 4 }));
    expect(receiving.events).toEqual(['fail:1007']);
    const sending = harness('server', throwing);
    let sendError: Error | undefined;
    sending.connection.send('x', false, (error) => {
      sendError = error;
    });
    expect(sending.events).toEqual(['fail:1011']);
    expect(sending.written()).toEqual(['close:1011']);
    expect(sendError).toBeInstanceOf(ProtocolError);
  });

  it('checks text produced by an extension for valid UTF-8 (1007)', () => {
    const bad: Extension = { ...recordingExtension('x', true, []), decode: () => Uint8Array.of(0xc0, 0xaf) };
    const h = harness('server', bad);
    h.connection.receive(frame({ opcode: 1, payload: 'x', rsv: 4 }));
    expect(h.events).toEqual(['fail:1007']);
  });

  it('carries a real compressing extension (node:zlib, async) in order in both directions', async () => {
    const deflate = promisify(deflateRaw);
    const inflate = promisify(inflateRaw);
    const zlibExtension = (): Extension => ({
      name: 'x-test-deflate',
      rsv1: true,
      encode: async (data) => ({ data: new Uint8Array(await deflate(data)), rsv1: true }),
      decode: async (fragments, rsv1, maxSize) => {
        const joined = concatBytes(fragments);
        if (!rsv1) return joined;
        const out = new Uint8Array(
          await inflate(joined, { maxOutputLength: Math.max(1, maxSize) }).catch(() => {
            throw new ProtocolError(1009, 'inflated message too big');
          }),
        );
        return out;
      },
      dispose: () => {},
    });
    const received: string[] = [];
    let server!: Connection;
    const client: Connection = new Connection({
      role: 'client',
      random,
      fragmentSize: 7,
      extensions: [zlibExtension()],
      onWrite: (chunks, done) => {
        for (const chunk of chunks) server.receive(chunk.slice());
        done?.();
      },
      onEvent: (event) => received.push(`client ${describeEvent(event)}`),
    });
    server = new Connection({
      role: 'server',
      extensions: [zlibExtension()],
      onWrite: (chunks, done) => {
        for (const chunk of chunks) client.receive(chunk.slice());
        done?.();
      },
      onEvent: (event) => {
        received.push(`server ${describeEvent(event)}`);
        if (event.type === 'message') server.send(event.data, event.binary);
      },
    });
    const texts = Array.from({ length: 20 }, (_, i) => `message ${i} ${'z'.repeat(i * 13)}`);
    for (const text of texts) client.send(text, false);
    client.close(1000, 'done');
    // zlib runs on the thread pool: wait (bounded) for the closing handshake to complete.
    await vi.waitFor(() => expect(received).toContain('client closed'), { timeout: 10_000, interval: 5 });
    expect(received.filter((e) => e.startsWith('server text'))).toEqual(texts.map((t) => `server text:${t}`));
    expect(received.filter((e) => e.startsWith('client text'))).toEqual(texts.map((t) => `client text:${t}`));
    // Every message (even the last, still being compressed when the close arrived) is echoed before the close.
    expect(received.filter((e) => e.startsWith('server')).slice(-2)).toEqual(['server close:1000:done', 'server closed']);
    expect(received.filter((e) => e.startsWith('client')).slice(-2)).toEqual(['client close:1000:', 'client closed']);
  });
});

describe("errors quote a peer's input briefly", () => {
  it('a long bad extension header is quoted around the fault, 40 characters at most', () => {
    const value = `permessage-deflate; ${'a'.repeat(10_000)}=@${'b'.repeat(5_000)}`;
    let message = '';
    try {
      parseExtensionHeader(value);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid Sec-WebSocket-Extensions header at offset \d+/);
    expect(message.length).toBeLessThan(200);
    expect(message).toContain('=@');
    expect(message).toContain(`(${value.length} characters)`);
  });

  it('a short one is quoted whole', () => {
    expect(() => parseExtensionHeader('x; =')).toThrow(/"x; ="$/);
  });
});
