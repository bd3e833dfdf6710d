/**
 * A conformance table modelled on the Autobahn|Testsuite case list. Each case names the RFC 6455 rule it
 * exercises and the exact outcome: the events emitted and the frames written back (close frames by code).
 * Every case is run whole and again split into 1-, 2- and 7-byte chunks: the outcome must not change.
 * The table runs again with the Node adapter's whole-message validator, and with the WebAssembly
 * kernels (unmasking, UTF-8) forced at every size, and then with the scalar loops forced at every size.
 */
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { ConnectionOptions, Extension } from '../src/index.js';
import { kernelsFrom } from './kernel-paths.js';
import { concatBytes, frame, type FrameSpec, hex, run } from './helpers.js';
import { UTF8_BOUNDARIES, UTF8_INVALID, UTF8_INVALID_BOUNDARIES, UTF8_VALID } from './utf8-vectors.js';

interface Case {
  id: string;
  rule: string;
  title: string;
  input: Uint8Array;
  events: string[];
  written: string[];
  role?: 'server' | 'client';
  options?: Partial<ConnectionOptions>;
}

const TEXT = 1;
const BINARY = 2;
const CONT = 0;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

const f = (spec: FrameSpec): Uint8Array => frame(spec);
const all = (...frames: Uint8Array[]): Uint8Array => concatBytes(frames);
const repeat = (char: string, n: number): string => char.repeat(n);
const filled = (n: number, value: number): Uint8Array => new Uint8Array(n).fill(value);
const closePayload = (code: number, reason: number[] | string = []): Uint8Array => {
  const text = typeof reason === 'string' ? new TextEncoder().encode(reason) : Uint8Array.from(reason);
  return concatBytes([Uint8Array.from([code >> 8, code & 255]), text]);
};
const failWith = (code: number, before: string[] = []): Pick<Case, 'events' | 'written'> => ({
  events: [...before, `fail:${code}`],
  written: [`close:${code}`],
});

/** A synchronous pass-through extension that claims RSV1, to test RSV1 acceptance rules. */
const rsv1Extension = (): Extension => ({
  name: 'x-test-rsv1',
  rsv1: true,
  encode: (data) => ({ data, rsv1: false }),
  decode: (fragments) => concatBytes(fragments),
  dispose: () => {},
});

const cases: Case[] = [];
const add = (c: Case): void => {
  cases.push(c);
};

// 1. Framing: payload lengths around the 7/16/64-bit boundaries.
for (const [i, n] of [0, 1, 125, 126, 127, 128, 65535, 65536].entries()) {
  add({
    id: `1.1.${i + 1}`,
    rule: '5.2 payload length',
    title: `text, ${n} bytes`,
    input: f({ opcode: TEXT, payload: repeat('*', n) }),
    events: [`text:${repeat('*', n)}`],
    written: [],
  });
  add({
    id: `1.2.${i + 1}`,
    rule: '5.2 payload length',
    title: `binary, ${n} bytes`,
    input: f({ opcode: BINARY, payload: filled(n, 0xfe) }),
    events: [`binary:${hex(filled(n, 0xfe))}`],
    written: [],
  });
}
add({
  id: '1.3.1',
  rule: '5.2 payload length',
  title: 'several frames in one chunk',
  input: all(f({ opcode: TEXT, payload: 'a' }), f({ opcode: BINARY, payload: [1] }), f({ opcode: TEXT, payload: 'b' })),
  events: ['text:a', 'binary:01', 'text:b'],
  written: [],
});

// 2. Pings and pongs.
const binaryPing = [0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
add({
  id: '2.1',
  rule: '5.5.2 ping -> pong',
  title: 'empty ping',
  input: f({ opcode: PING }),
  events: ['ping:'],
  written: ['pong:'],
});
add({
  id: '2.2',
  rule: '5.5.2 ping -> pong',
  title: 'ping with text payload',
  input: f({ opcode: PING, payload: 'Hello, world!' }),
  events: [`ping:${hex(new TextEncoder().encode('Hello, world!'))}`],
  written: [`pong:${hex(new TextEncoder().encode('Hello, world!'))}`],
});
add({
  id: '2.3',
  rule: '5.5.2 ping -> pong',
  title: 'ping with binary payload',
  input: f({ opcode: PING, payload: binaryPing }),
  events: [`ping:${hex(Uint8Array.from(binaryPing))}`],
  written: [`pong:${hex(Uint8Array.from(binaryPing))}`],
});
add({
  id: '2.4',
  rule: '5.5 control payload <= 125',
  title: 'ping with 125-byte payload',
  input: f({ opcode: PING, payload: filled(125, 0xfe) }),
  events: [`ping:${hex(filled(125, 0xfe))}`],
  written: [`pong:${hex(filled(125, 0xfe))}`],
});
add({
  id: '2.5',
  rule: '5.5 control payload <= 125',
  title: 'ping with 126-byte payload',
  input: f({ opcode: PING, payload: filled(126, 0xfe) }),
  ...failWith(1002),
});
add({
  id: '2.6',
  rule: '5.5.3 unsolicited pong',
  title: 'unsolicited empty pong',
  input: f({ opcode: PONG }),
  events: ['pong:'],
  written: [],
});
add({
  id: '2.7',
  rule: '5.5.3 unsolicited pong',
  title: 'unsolicited pong with payload',
  input: f({ opcode: PONG, payload: 'unsolicited' }),
  events: [`pong:${hex(new TextEncoder().encode('unsolicited'))}`],
  written: [],
});
add({
  id: '2.8',
  rule: '5.5.3 unsolicited pong',
  title: 'unsolicited pong, then ping',
  input: all(f({ opcode: PONG, payload: 'a' }), f({ opcode: PING, payload: 'b' })),
  events: ['pong:61', 'ping:62'],
  written: ['pong:62'],
});
add({
  id: '2.9',
  rule: '5.5.2 ping -> pong',
  title: '10 pings, 10 pongs in order',
  input: all(...Array.from({ length: 10 }, (_, i) => f({ opcode: PING, payload: [i] }))),
  events: Array.from({ length: 10 }, (_, i) => `ping:0${i}`),
  written: Array.from({ length: 10 }, (_, i) => `pong:0${i}`),
});
add({
  id: '2.10',
  rule: '5.5.2 ping -> pong (opt-out)',
  title: 'autoPong off: ping reported, nothing written',
  input: f({ opcode: PING, payload: 'x' }),
  events: ['ping:78'],
  written: [],
  options: { autoPong: false },
});

// 3. Reserved bits.
add({
  id: '3.1',
  rule: '5.2 RSV must be 0 without extension',
  title: 'text with RSV1',
  input: f({ opcode: TEXT, payload: 'Hello', rsv: 4 }),
  ...failWith(1002),
});
add({
  id: '3.2',
  rule: '5.2 RSV must be 0 without extension',
  title: 'text, then text with RSV2, then ping',
  input: all(
    f({ opcode: TEXT, payload: 'Hello' }),
    f({ opcode: TEXT, payload: 'Hello', rsv: 2 }),
    f({ opcode: PING, payload: 'x' }),
  ),
  ...failWith(1002, ['text:Hello']),
});
add({
  id: '3.3',
  rule: '5.2 RSV must be 0 without extension',
  title: 'text with RSV3 after ping',
  input: all(f({ opcode: PING }), f({ opcode: TEXT, payload: 'Hello', rsv: 3 })),
  events: ['ping:', 'fail:1002'],
  written: ['pong:', 'close:1002'],
});
add({
  id: '3.4',
  rule: '5.2 RSV must be 0 without extension',
  title: 'binary with RSV 5',
  input: f({ opcode: BINARY, payload: [1, 2], rsv: 5 }),
  ...failWith(1002),
});
add({
  id: '3.5',
  rule: '5.2 RSV must be 0 without extension',
  title: 'ping with RSV 6',
  input: f({ opcode: PING, payload: 'x', rsv: 6 }),
  ...failWith(1002),
});
add({
  id: '3.6',
  rule: '5.2 RSV must be 0 without extension',
  title: 'close with RSV 7',
  input: f({ opcode: CLOSE, payload: closePayload(1000), rsv: 7 }),
  ...failWith(1002),
});
add({
  id: '3.7',
  rule: '5.2 + 9: RSV1 claimed by an extension',
  title: 'text with RSV1 accepted when an extension claims it',
  input: f({ opcode: TEXT, payload: 'Hi', rsv: 4 }),
  events: ['text:Hi'],
  written: [],
  options: { extensions: [rsv1Extension()] },
});
add({
  id: '3.8',
  rule: '5.2 + 9: RSV1 claimed by an extension',
  title: 'RSV2 still rejected with an RSV1 extension',
  input: f({ opcode: TEXT, payload: 'Hi', rsv: 2 }),
  ...failWith(1002),
  options: { extensions: [rsv1Extension()] },
});
add({
  id: '3.9',
  rule: '5.5 control frames: RSV1 never claimed',
  title: 'ping with RSV1 rejected even with an RSV1 extension',
  input: f({ opcode: PING, rsv: 4 }),
  ...failWith(1002),
  options: { extensions: [rsv1Extension()] },
});
add({
  id: '3.10',
  rule: 'RFC 7692 6: RSV1 on the first frame only',
  title: 'continuation with RSV1 rejected',
  input: all(f({ opcode: TEXT, payload: 'a', fin: false, rsv: 4 }), f({ opcode: CONT, payload: 'b', rsv: 4 })),
  ...failWith(1002),
  options: { extensions: [rsv1Extension()] },
});

// 4. Opcodes.
for (const opcode of [3, 4, 5, 6, 7]) {
  add({
    id: `4.1.${opcode - 2}`,
    rule: '5.2 reserved non-control opcode',
    title: `opcode ${opcode}`,
    input: f({ opcode, payload: 'reserved' }),
    ...failWith(1002),
  });
}
add({
  id: '4.1.6',
  rule: '5.2 reserved non-control opcode',
  title: 'text, opcode 5, ping',
  input: all(f({ opcode: TEXT, payload: 'Hello' }), f({ opcode: 5 }), f({ opcode: PING })),
  ...failWith(1002, ['text:Hello']),
});
for (const opcode of [11, 12, 13, 14, 15]) {
  add({
    id: `4.2.${opcode - 10}`,
    rule: '5.2 reserved control opcode',
    title: `opcode ${opcode}`,
    input: f({ opcode }),
    ...failWith(1002),
  });
}

// 5. Fragmentation.
add({
  id: '5.1',
  rule: '5.5 control frames not fragmented',
  title: 'ping with FIN clear',
  input: f({ opcode: PING, payload: 'x', fin: false }),
  ...failWith(1002),
});
add({
  id: '5.2',
  rule: '5.5 control frames not fragmented',
  title: 'pong with FIN clear',
  input: f({ opcode: PONG, payload: 'x', fin: false }),
  ...failWith(1002),
});
add({
  id: '5.3',
  rule: '5.4 fragmentation',
  title: 'text in two fragments',
  input: all(f({ opcode: TEXT, payload: 'frag', fin: false }), f({ opcode: CONT, payload: 'ment' })),
  events: ['text:fragment'],
  written: [],
});
add({
  id: '5.4',
  rule: '5.4 fragmentation',
  title: 'text in three fragments, the middle one empty',
  input: all(f({ opcode: TEXT, payload: 'a', fin: false }), f({ opcode: CONT, fin: false }), f({ opcode: CONT, payload: 'b' })),
  events: ['text:ab'],
  written: [],
});
add({
  id: '5.5',
  rule: '5.4 control frames interleaved',
  title: 'ping between fragments',
  input: all(
    f({ opcode: TEXT, payload: 'frag', fin: false }),
    f({ opcode: PING, payload: 'p' }),
    f({ opcode: CONT, payload: 'ment' }),
  ),
  events: ['ping:70', 'text:fragment'],
  written: ['pong:70'],
});
add({
  id: '5.6',
  rule: '5.4 control frames interleaved',
  title: 'pong between fragments',
  input: all(f({ opcode: BINARY, payload: [1], fin: false }), f({ opcode: PONG }), f({ opcode: CONT, payload: [2] })),
  events: ['pong:', 'binary:0102'],
  written: [],
});
add({
  id: '5.7',
  rule: '5.4 continuation needs a message',
  title: 'continuation (FIN) without a message',
  input: f({ opcode: CONT, payload: 'x' }),
  ...failWith(1002),
});
add({
  id: '5.8',
  rule: '5.4 continuation needs a message',
  title: 'continuation (no FIN) without a message',
  input: f({ opcode: CONT, payload: 'x', fin: false }),
  ...failWith(1002),
});
add({
  id: '5.9',
  rule: '5.4 no new data frame inside a message',
  title: 'text starts while a text message is in progress',
  input: all(f({ opcode: TEXT, payload: 'a', fin: false }), f({ opcode: TEXT, payload: 'b' })),
  ...failWith(1002),
});
add({
  id: '5.10',
  rule: '5.4 no new data frame inside a message',
  title: 'binary starts while a text message is in progress',
  input: all(f({ opcode: TEXT, payload: 'a', fin: false }), f({ opcode: BINARY, payload: 'b' })),
  ...failWith(1002),
});
add({
  id: '5.11',
  rule: '5.4 fragmentation',
  title: 'multibyte text split one byte per fragment',
  input: all(
    ...[...new TextEncoder().encode('κόσμε')].map((b, i, a) =>
      f({ opcode: i === 0 ? TEXT : CONT, payload: [b], fin: i === a.length - 1 }),
    ),
  ),
  events: ['text:κόσμε'],
  written: [],
});
add({
  id: '5.12',
  rule: '5.4 fragmentation',
  title: 'all fragments empty',
  input: all(f({ opcode: TEXT, fin: false }), f({ opcode: CONT, fin: false }), f({ opcode: CONT })),
  events: ['text:'],
  written: [],
});
add({
  id: '5.13',
  rule: '5.4 + 5.5.1',
  title: 'close in the middle of a fragmented message',
  input: all(
    f({ opcode: TEXT, payload: 'a', fin: false }),
    f({ opcode: CLOSE, payload: closePayload(1000) }),
    f({ opcode: CONT, payload: 'b' }),
  ),
  events: ['close:1000:', 'closed'],
  written: ['close:1000'],
});

// 6. UTF-8 handling.
for (const [id, text] of UTF8_VALID) {
  add({
    id,
    rule: '8.1 text is UTF-8',
    title: `valid: ${text}`,
    input: f({ opcode: TEXT, payload: text }),
    events: [`text:${text}`],
    written: [],
  });
}
for (const [i, [name, payload]] of UTF8_INVALID.entries()) {
  add({
    id: `6.2.${i + 1}`,
    rule: '8.1 invalid UTF-8 -> 1007',
    title: name,
    input: f({ opcode: TEXT, payload }),
    ...failWith(1007),
  });
  add({
    id: `6.3.${i + 1}`,
    rule: '8.1 invalid UTF-8 -> 1007 (fragmented)',
    title: `${name}, as the middle fragment`,
    input: all(
      f({ opcode: TEXT, payload: 'ok', fin: false }),
      f({ opcode: CONT, payload, fin: false }),
      f({ opcode: CONT, payload: 'end' }),
    ),
    ...failWith(1007),
  });
}
add({
  id: '6.4.1',
  rule: '8.1 fail fast',
  title: 'bad byte in the first fragment, message never finished',
  input: f({ opcode: TEXT, payload: [0xce, 0xba, 0xed, 0xa0, 0x80], fin: false }),
  ...failWith(1007),
});
add({
  id: '6.4.2',
  rule: '8.1 fail fast',
  title: 'bad byte inside a frame whose rest never arrives',
  input: f({ opcode: TEXT, payload: [0x41, 0x42, 0xf4, 0x90, ...filled(20, 0x41)] }).subarray(0, 2 + 4 + 4),
  ...failWith(1007),
});
add({
  id: '6.4.3',
  rule: '8.1 fail fast',
  title: 'valid first fragment then bad second fragment, message never finished',
  input: all(f({ opcode: TEXT, payload: 'κό', fin: false }), f({ opcode: CONT, payload: [0xc0, 0xaf], fin: false })),
  ...failWith(1007),
});
add({
  id: '6.5.1',
  rule: '5.6 binary is not validated',
  title: 'binary message with invalid UTF-8 bytes',
  input: f({ opcode: BINARY, payload: [0xc0, 0xaf, 0xff] }),
  events: ['binary:c0afff'],
  written: [],
});
add({
  id: '6.5.2',
  rule: '8.1 across fragments',
  title: '4-byte character split across fragments',
  input: all(f({ opcode: TEXT, payload: [0xf0, 0x9f], fin: false }), f({ opcode: CONT, payload: [0x98, 0x80] })),
  events: ['text:😀'],
  written: [],
});

// Autobahn 6.6-6.23: every split point of a multibyte string, boundary code points, noncharacters.
const kosme = [...new TextEncoder().encode('κόσμε')];
for (let cut = 1; cut < kosme.length; cut++) {
  add({
    id: `6.6.${cut}`,
    rule: '8.1 across fragments',
    title: `κόσμε split after byte ${cut}`,
    input: all(f({ opcode: TEXT, payload: kosme.slice(0, cut), fin: false }), f({ opcode: CONT, payload: kosme.slice(cut) })),
    events: ['text:κόσμε'],
    written: [],
  });
}
for (const [i, [name, text]] of UTF8_BOUNDARIES.entries()) {
  add({
    id: `6.7.${i + 1}`,
    rule: '8.1 text is UTF-8 (RFC 3629 boundaries)',
    title: name,
    input: f({ opcode: TEXT, payload: text }),
    events: [`text:${text}`],
    written: [],
  });
}
for (const [i, [name, payload]] of UTF8_INVALID_BOUNDARIES.entries()) {
  add({
    id: `6.8.${i + 1}`,
    rule: '8.1 invalid UTF-8 -> 1007',
    title: name,
    input: f({ opcode: TEXT, payload }),
    ...failWith(1007),
  });
}

// 7. Close handling.
add({
  id: '7.1.1',
  rule: '5.5.1 closing handshake',
  title: 'close without payload',
  input: f({ opcode: CLOSE }),
  events: ['close:1005:', 'closed'],
  written: ['close'],
});
add({
  id: '7.1.2',
  rule: '5.5.1 closing handshake',
  title: 'close 1000 with reason, echoed',
  input: f({ opcode: CLOSE, payload: closePayload(1000, 'bye') }),
  events: ['close:1000:bye', 'closed'],
  written: ['close:1000'],
});
add({
  id: '7.1.3',
  rule: '5.5.1 nothing after close',
  title: 'text after close is ignored',
  input: all(f({ opcode: CLOSE, payload: closePayload(1000) }), f({ opcode: TEXT, payload: 'late' })),
  events: ['close:1000:', 'closed'],
  written: ['close:1000'],
});
add({
  id: '7.1.4',
  rule: '5.5.1 nothing after close',
  title: 'ping after close is not answered',
  input: all(f({ opcode: CLOSE, payload: closePayload(1000) }), f({ opcode: PING })),
  events: ['close:1000:', 'closed'],
  written: ['close:1000'],
});
add({
  id: '7.1.5',
  rule: '5.5.1 closing handshake',
  title: 'message, then close',
  input: all(f({ opcode: TEXT, payload: 'last' }), f({ opcode: CLOSE, payload: closePayload(1001) })),
  events: ['text:last', 'close:1001:', 'closed'],
  written: ['close:1001'],
});
add({
  id: '7.3.1',
  rule: '5.5.1 close body is code + reason',
  title: 'close with a 1-byte payload',
  input: f({ opcode: CLOSE, payload: [0x03] }),
  ...failWith(1002),
});
add({
  id: '7.3.2',
  rule: '5.5 control payload <= 125',
  title: 'close with a 123-byte reason',
  input: f({ opcode: CLOSE, payload: closePayload(1000, repeat('r', 123)) }),
  events: [`close:1000:${repeat('r', 123)}`, 'closed'],
  written: ['close:1000'],
});
add({
  id: '7.3.3',
  rule: '5.5 control payload <= 125',
  title: 'close with a 124-byte reason (126-byte payload)',
  input: f({ opcode: CLOSE, payload: closePayload(1000, repeat('r', 124)) }),
  ...failWith(1002),
});
add({
  id: '7.3.4',
  rule: '5.5.1 reason is UTF-8',
  title: 'close reason with invalid UTF-8',
  input: f({ opcode: CLOSE, payload: closePayload(1000, [0xce, 0xba, 0xed, 0xa0, 0x80]) }),
  ...failWith(1007),
});
add({
  id: '7.3.5',
  rule: '5.5 control frames not fragmented',
  title: 'close with FIN clear',
  input: f({ opcode: CLOSE, payload: closePayload(1000), fin: false }),
  ...failWith(1002),
});
for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
  add({
    id: `7.7.${code}`,
    rule: '7.4 valid close codes',
    title: `close code ${code} echoed`,
    input: f({ opcode: CLOSE, payload: closePayload(code) }),
    events: [`close:${code}:`, 'closed'],
    written: [`close:${code}`],
  });
}
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
  add({
    id: `7.9.${code}`,
    rule: '7.4 invalid close codes -> 1002',
    title: `close code ${code}`,
    input: f({ opcode: CLOSE, payload: closePayload(code) }),
    ...failWith(1002),
  });
}

// 9. Limits (maxMessageSize 1000).
const limit = { maxMessageSize: 1000 };
add({
  id: '9.1',
  rule: 'limit (1009)',
  title: 'text of exactly the limit',
  input: f({ opcode: TEXT, payload: repeat('x', 1000) }),
  events: [`text:${repeat('x', 1000)}`],
  written: [],
  options: limit,
});
add({
  id: '9.2',
  rule: 'limit (1009)',
  title: 'text one byte over the limit',
  input: f({ opcode: TEXT, payload: repeat('x', 1001) }),
  ...failWith(1009),
  options: limit,
});
add({
  id: '9.3',
  rule: 'limit (1009)',
  title: 'fragments adding up past the limit',
  input: all(f({ opcode: BINARY, payload: filled(600, 1), fin: false }), f({ opcode: CONT, payload: filled(600, 1) })),
  ...failWith(1009),
  options: limit,
});
add({
  id: '9.4',
  rule: 'limit (1009) from the header',
  title: 'header announcing 2^40 bytes, no payload sent',
  input: Uint8Array.from([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
  ...failWith(1009),
});
add({
  id: '9.5',
  rule: '5.2 64-bit length MSB must be 0',
  title: '64-bit length with the top bit set',
  input: Uint8Array.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]),
  ...failWith(1002),
});
add({
  id: '9.6',
  rule: 'limit (1009)',
  title: 'control frames do not count towards the message limit',
  input: all(
    f({ opcode: TEXT, payload: repeat('x', 900), fin: false }),
    f({ opcode: PING, payload: filled(125, 0) }),
    f({ opcode: CONT, payload: repeat('x', 100) }),
  ),
  events: [`ping:${hex(filled(125, 0))}`, `text:${repeat('x', 1000)}`],
  written: [`pong:${hex(filled(125, 0))}`],
  options: limit,
});

// 10. Masking.
add({
  id: '10.1',
  rule: '5.1 client frames are masked',
  title: 'unmasked frame to a server',
  input: f({ opcode: TEXT, payload: 'x', mask: null }),
  ...failWith(1002),
});
add({
  id: '10.2',
  rule: '5.1 server frames are not masked',
  title: 'masked frame to a client',
  input: f({ opcode: TEXT, payload: 'x' }),
  ...failWith(1002),
  role: 'client',
});
add({
  id: '10.3',
  rule: '5.1 server frames are not masked',
  title: 'client receives text and answers a ping',
  input: all(f({ opcode: TEXT, payload: 'hi', mask: null }), f({ opcode: PING, payload: 'p', mask: null })),
  events: ['text:hi', 'ping:70'],
  written: ['pong:70'],
  role: 'client',
});
add({
  id: '10.4',
  rule: '5.3 any masking key',
  title: 'all-zero masking key',
  input: f({ opcode: TEXT, payload: 'zero', mask: [0, 0, 0, 0] }),
  events: ['text:zero'],
  written: [],
});

describe('conformance table (Autobahn-style)', () => {
  it('has unique case ids', () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(`${c.id} [RFC 6455 ${c.rule}] ${c.title}`, () => {
      for (const chunkSize of [0, 1, 2, 7]) {
        if (chunkSize === 1 && c.input.length > 20_000) continue; // 1-byte runs of the 64 KiB cases add nothing but time
        const result = run(c.input, { role: c.role ?? 'server', chunkSize, ...c.options });
        expect({ chunkSize, events: result.events, written: result.written }).toEqual({
          chunkSize,
          events: c.events,
          written: c.written,
        });
      }
    });
  }
});

describe('conformance table with validateUtf8 = isUtf8 from node:buffer (what the Node adapter passes)', () => {
  // The whole-message hook must not change a single event or written frame, fail-fast cases included.
  for (const c of cases) {
    it(`${c.id} with the native whole-message validator`, () => {
      for (const chunkSize of [0, 7]) {
        const result = run(c.input, { role: c.role ?? 'server', chunkSize, validateUtf8: isUtf8, ...c.options });
        expect({ chunkSize, events: result.events, written: result.written }).toEqual({
          chunkSize,
          events: c.events,
          written: c.written,
        });
      }
    });
  }
});

describe.each([
  ['the WebAssembly kernels', 0],
  ['the scalar loops', Number.POSITIVE_INFINITY],
])('conformance table with %s at every size (unmasking and UTF-8)', (_, from) => {
  kernelsFrom(from, ['mask', 'maskCopy', 'utf8']);

  for (const c of cases) {
    it(`${c.id} ${c.title}`, () => {
      for (const chunkSize of [0, 1, 7]) {
        if (chunkSize === 1 && c.input.length > 20_000) continue;
        const result = run(c.input, { role: c.role ?? 'server', chunkSize, ...c.options });
        expect({ chunkSize, events: result.events, written: result.written }).toEqual({
          chunkSize,
          events: c.events,
          written: c.written,
        });
      }
    });
  }
});
