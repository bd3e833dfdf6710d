/** Minimal base64 (RFC 4648 section 4) without `btoa` (not in every runtime typing) or Node-only helpers. @module */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Code unit -> 6-bit value, or -1 for anything outside the alphabet ('=' included). */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

const EQUALS = 0x3d;

/** Standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** Value of base64 character `code`, or -1 when it is not one of the 64. */
function sextetOf(code: number): number {
  return code < 128 ? VALUES[code]! : -1;
}

/**
 * The number of bytes `text` decodes to, or undefined when {@link base64Decode} would refuse it: the
 * same checks (length a multiple of 4, alphabet characters, then at most two '=' at the very end)
 * without building the bytes. WHY: the server handshake only needs to know that the key is base64 of
 * 16 bytes, on every connection.
 */
export function base64DecodedLength(text: string): number | undefined {
  const length = text.length;
  if (length % 4 !== 0) return undefined;
  let pad = 0;
  if (length > 0 && text.charCodeAt(length - 1) === EQUALS) pad = length > 1 && text.charCodeAt(length - 2) === EQUALS ? 2 : 1;
  for (let i = 0; i < length - pad; i++) if (sextetOf(text.charCodeAt(i)) < 0) return undefined;
  return (length / 4) * 3 - pad;
}

/** Strict padded base64 decode; returns undefined for anything that is not canonical-length base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  const size = base64DecodedLength(text);
  if (size === undefined) return undefined;
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      n = (n << 6) | (c === EQUALS ? 0 : VALUES[c]!);
    }
    if (o < size) out[o++] = n >> 16;
    if (o < size) out[o++] = (n >> 8) & 255;
    if (o < size) out[o++] = n & 255;
  }
  return out;
}
