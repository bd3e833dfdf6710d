/**
 * SHA-1 (FIPS 180-4) in plain TypeScript, for `Sec-WebSocket-Accept` only. SHA-1 is broken for collision
 * resistance, which does not matter here: RFC 6455 uses it only to prove the server read the key.
 *
 * WHY it is written this way: a server runs it once per handshake, often in a fresh process where the
 * first thousands of calls run in V8's interpreter, so the cost is counted in bytecodes and allocations.
 * The message schedule and the state are module-level scratch arrays (the function is synchronous and
 * never re-entered), the four round kinds are separate loops without per-round branches, and words are
 * read from bytes directly instead of through a DataView.
 * @module
 */

/** Message schedule W[0..79], reused by every call. */
const W = new Int32Array(80);
/** The five state words H0..H4 of the call in progress. */
const H = new Int32Array(5);
/** Padded message scratch, grown when a longer message comes (the accept input always fits 128 bytes). */
let scratch = new Uint8Array(128);

function reset(): void {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
}

/** Runs the compression function over the 64-byte block of `block` starting at `offset`. */
function compress(block: Uint8Array, offset: number): void {
  const w = W;
  for (let i = 0; i < 16; i++) {
    const o = offset + i * 4;
    w[i] = (block[o]! << 24) | (block[o + 1]! << 16) | (block[o + 2]! << 8) | block[o + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let t: number;
  for (let i = 0; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 20; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 40; i < 60; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 60; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
}

/**
 * Pads the message already written to `scratch[0..length)` and hashes it; the digest is left in the
 * five words of `H`. @internal
 */
function hashScratch(length: number): void {
  // Message, the 0x80 terminator, zero padding, then the 64-bit big-endian bit length: a multiple of 64.
  const padded = Math.ceil((length + 9) / 64) * 64;
  const block = scratch;
  block.fill(0, length, padded);
  block[length] = 0x80;
  const high = Math.floor(length / 0x20000000); // bits above 32 of length * 8
  const low = (length * 8) >>> 0;
  block[padded - 8] = high >>> 24;
  block[padded - 7] = high >>> 16;
  block[padded - 6] = high >>> 8;
  block[padded - 5] = high;
  block[padded - 4] = low >>> 24;
  block[padded - 3] = low >>> 16;
  block[padded - 2] = low >>> 8;
  block[padded - 1] = low;
  reset();
  for (let offset = 0; offset < padded; offset += 64) compress(block, offset);
}

/** Makes `scratch` hold at least `bytes` bytes (the padded length of a message). */
function ensureScratch(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.ceil(bytes / 64) * 64);
  return scratch;
}

/** The 20-byte SHA-1 digest of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  ensureScratch(data.length + 72).set(data);
  hashScratch(data.length);
  const out = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const h = H[i]!;
    out[i * 4] = h >>> 24;
    out[i * 4 + 1] = h >>> 16;
    out[i * 4 + 2] = h >>> 8;
    out[i * 4 + 3] = h;
  }
  return out;
}

/**
 * SHA-1 of `prefix + suffix`, both strings of code units below 0x80 (ASCII: one byte each), written
 * into `out` (20 bytes). Returns false, touching nothing, when either string is not ASCII, so the
 * caller can fall back to UTF-8 encoding. WHY: the accept value hashes the client's key plus the GUID;
 * copying code units avoids a TextEncoder call and two allocations per handshake. @internal
 */
export function sha1Ascii(prefix: string, suffix: string, out: Uint8Array): boolean {
  const length = prefix.length + suffix.length;
  const block = ensureScratch(length + 72);
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c > 0x7f) return false;
    block[i] = c;
  }
  for (let i = 0, o = prefix.length; i < suffix.length; i++, o++) {
    const c = suffix.charCodeAt(i);
    if (c > 0x7f) return false;
    block[o] = c;
  }
  hashScratch(length);
  for (let i = 0; i < 5; i++) {
    const h = H[i]!;
    out[i * 4] = h >>> 24;
    out[i * 4 + 1] = h >>> 16;
    out[i * 4 + 2] = h >>> 8;
    out[i * 4 + 3] = h;
  }
  return true;
}
