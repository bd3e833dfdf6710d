/**
 * Builds wire frames for the benches. Written independently of both codecs under test so neither gets to
 * grade its own homework; only used ahead of the timed sections, so clarity beats speed here.
 */

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

export interface FrameSpec {
  opcode: number;
  /** 4-byte masking key (client-to-server frames); omitted for an unmasked frame. */
  mask?: Uint8Array;
  /** Set RSV1 (a permessage-deflate compressed message). */
  rsv1?: boolean;
  fin?: boolean;
}

/** Header length of a frame carrying `length` payload bytes. */
export function headerLength(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 65536 ? 4 : 10;
  return base + (masked ? 4 : 0);
}

/**
 * Header bytes of an incoming frame, from its second byte: what a reader walking frame headers across
 * reads needs before it can decode the payload length.
 */
export function headerLengthOf(secondByte: number): number {
  const len7 = secondByte & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (secondByte & 0x80 ? 4 : 0);
}

/** The payload length of a complete frame header (`headerLengthOf` bytes of it). */
export function payloadLengthOf(header: Uint8Array): number {
  const len7 = header[1]! & 0x7f;
  if (len7 === 126) return (header[2]! << 8) | header[3]!;
  if (len7 === 127) return header[6]! * 2 ** 24 + ((header[7]! << 16) | (header[8]! << 8) | header[9]!) + header[5]! * 2 ** 32;
  return len7;
}

/** One complete frame (header then payload, masked when a key is given) in a fresh buffer. */
export function buildFrame(payload: Uint8Array, spec: FrameSpec): Buffer {
  const masked = spec.mask !== undefined;
  const hlen = headerLength(payload.length, masked);
  const out = Buffer.allocUnsafe(hlen + payload.length);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv1 ? 0x40 : 0) | (spec.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  let at = 2;
  if (payload.length < 126) {
    out[1] = maskBit | payload.length;
  } else if (payload.length < 65536) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(payload.length, 2);
    at = 4;
  } else {
    out[1] = maskBit | 127;
    out.writeBigUInt64BE(BigInt(payload.length), 2);
    at = 10;
  }
  if (spec.mask) {
    out.set(spec.mask.subarray(0, 4), at);
    at += 4;
    for (let i = 0; i < payload.length; i++) out[at + i] = payload[i]! ^ spec.mask[i & 3]!;
  } else {
    out.set(payload, at);
  }
  return out;
}

/** A fixed, non-zero masking key (ws skips masking work for an all-zero key, which would flatter it). */
export const BENCH_MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** Deterministic pseudo-random generator (mulberry32) so every run and every contender sees the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Printable ASCII of the given length. */
export function asciiPayload(length: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = 0x20 + Math.floor(rnd() * 95);
  return out;
}

/**
 * Valid UTF-8 of exactly `length` bytes mixing ASCII (most of it) with 2-, 3- and 4-byte sequences
 * (Latin/Greek, CJK, emoji), the way chat text in several languages looks. Padded with ASCII so the
 * byte length is exact.
 */
export function mixedUtf8Payload(length: number, seed = 2): Buffer {
  const rnd = prng(seed);
  const pieces = ['é', 'ß', 'λ', 'Ж', '中', '文', 'の', '한', '😀', '🚀', '𝄞'];
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  while (at < length) {
    const r = rnd();
    if (r < 0.7 || length - at < 4) {
      out[at++] = 0x61 + Math.floor(rnd() * 26);
    } else {
      at += out.write(pieces[Math.floor(rnd() * pieces.length)]!, at, 'utf8');
    }
  }
  return out;
}

/** English-like words: compressible the way real text is, for the permessage-deflate rows. */
export function textPayload(length: number, seed = 3): Buffer {
  const rnd = prng(seed);
  const words = [
    'the',
    'socket',
    'frame',
    'message',
    'server',
    'client',
    'latency',
    'bytes',
    'of',
    'and',
    'a',
    'websocket',
    'payload',
    'stream',
  ];
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  while (at < length) {
    const w = words[Math.floor(rnd() * words.length)]!;
    for (let i = 0; i < w.length && at < length; i++) out[at++] = w.charCodeAt(i);
    if (at < length) out[at++] = 0x20;
  }
  return out;
}
