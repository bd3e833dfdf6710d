/**
 * Deterministic payloads built in the page, so megabytes never cross the automation protocol: the page
 * builds, sends and checks, and only a verdict goes back to Node.
 */

/** Bytes from a small xorshift generator: a swapped or dropped chunk anywhere changes the content. */
export function makeBytes(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

// One-, two-, three- and four-byte UTF-8 sequences, so every length class crosses frame boundaries.
const PIECES = ['a', 'Z', '0', ' ', 'é', 'ß', '€', '中', '😀', '𝄞'];
const PIECE_BYTES = PIECES.map((piece) => new TextEncoder().encode(piece).length);

/** A string whose UTF-8 encoding is exactly `size` bytes, mixing multi-byte characters through it. */
export function makeText(size: number, seed: number): string {
  const parts: string[] = [];
  let remaining = size;
  let state = (seed * 2654435761) >>> 0 || 1;
  while (remaining > 0) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    let index = state % PIECES.length;
    // Near the end only pieces that still fit; ASCII always does.
    if ((PIECE_BYTES[index] ?? 1) > remaining) index = 0;
    parts.push(PIECES[index] ?? 'a');
    remaining -= PIECE_BYTES[index] ?? 1;
  }
  return parts.join('');
}

/** Index of the first differing byte, or -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** UTF-8 length of a string, as the wire carries it. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
