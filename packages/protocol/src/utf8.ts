/**
 * Strict incremental UTF-8 validation (RFC 3629 / Unicode table 3-7): no overlong forms, no surrogates
 * (U+D800-U+DFFF), nothing above U+10FFFF. A validator carries its state across fragments and reports
 * the first byte that cannot start or continue a valid sequence.
 * @module
 */

/** Runs at least this long are scanned 32 bits at a time. */
const WORD_SCAN = 256;

/** Index of the first byte >= 0x80 at or after `i` (or `end`), checking aligned 32-bit words. */
function skipAscii(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && ((bytes.byteOffset + i) & 3) !== 0) {
    if (bytes[i]! >= 0x80) return i;
    i++;
  }
  const words = (end - i) >>> 2;
  if (words > 0) {
    // Int32Array keeps loads in V8's small-integer range; four words are OR-ed per test.
    const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
    let w = 0;
    while (w + 4 <= words && ((view[w]! | view[w + 1]! | view[w + 2]! | view[w + 3]!) & 0x80808080) === 0) w += 4;
    while (w < words && (view[w]! & 0x80808080) === 0) w++;
    i += w << 2;
  }
  while (i < end && bytes[i]! < 0x80) i++;
  return i;
}

/** Incremental validator: feed fragments with {@link Utf8Validator.push}, then call {@link Utf8Validator.end}. */
export class Utf8Validator {
  /** Continuation bytes still expected. */
  private need = 0;
  /** Allowed range for the next continuation byte (narrowed after E0, ED, F0, F4). */
  private lower = 0x80;
  private upper = 0xbf;
  private broken = false;

  /** Forgets any partial sequence (start of a new message). */
  reset(): void {
    this.need = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
    this.broken = false;
  }

  /**
   * Validates the next bytes of the message. Returns -1 while everything is valid so far, else the index
   * in `bytes` of the first invalid byte (the validator then stays invalid until reset).
   */
  push(bytes: Uint8Array): number {
    if (this.broken) return 0;
    const end = bytes.length;
    let i = 0;
    // Finish a sequence the previous fragment left open.
    if (this.need > 0) {
      const next = this.continueSequence(bytes, 0, end, this.need, this.lower, this.upper);
      if (next < 0) return -next - 1;
      if (this.need > 0) return -1;
      i = next;
    }
    if (end - i >= WORD_SCAN) i = skipAscii(bytes, i, end);
    while (i < end) {
      const b = bytes[i]!;
      if (b < 0x80) {
        i++;
        // ASCII fast path: 8 bytes per test while the run lasts.
        while (
          i + 8 <= end &&
          ((bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]! | bytes[i + 4]! | bytes[i + 5]! | bytes[i + 6]! | bytes[i + 7]!) & 0x80) === 0
        ) {
          i += 8;
        }
        continue;
      }
      // Whole sequences inside this buffer are checked inline; one cut off at the end goes through
      // continueSequence, which stores the state for the next fragment.
      if (b < 0xe0) {
        // 0x80-0xC1: a stray continuation byte or an overlong 2-byte form.
        if (b < 0xc2) return this.fail(i);
        if (i + 1 >= end) return this.open(bytes, i + 1, end, 1, 0x80, 0xbf);
        if ((bytes[i + 1]! & 0xc0) !== 0x80) return this.fail(i + 1);
        i += 2;
      } else if (b < 0xf0) {
        const lower = b === 0xe0 ? 0xa0 : 0x80; // E0: overlong below U+0800
        const upper = b === 0xed ? 0x9f : 0xbf; // ED: surrogates U+D800-U+DFFF
        if (i + 2 >= end) return this.open(bytes, i + 1, end, 2, lower, upper);
        const c1 = bytes[i + 1]!;
        if (c1 < lower || c1 > upper) return this.fail(i + 1);
        if ((bytes[i + 2]! & 0xc0) !== 0x80) return this.fail(i + 2);
        i += 3;
      } else if (b < 0xf5) {
        const lower = b === 0xf0 ? 0x90 : 0x80; // F0: overlong below U+10000
        const upper = b === 0xf4 ? 0x8f : 0xbf; // F4: nothing above U+10FFFF
        if (i + 3 >= end) return this.open(bytes, i + 1, end, 3, lower, upper);
        const c1 = bytes[i + 1]!;
        if (c1 < lower || c1 > upper) return this.fail(i + 1);
        if ((bytes[i + 2]! & 0xc0) !== 0x80) return this.fail(i + 2);
        if ((bytes[i + 3]! & 0xc0) !== 0x80) return this.fail(i + 3);
        i += 4;
      } else {
        // 0xF5-0xFF never appear in UTF-8.
        return this.fail(i);
      }
    }
    return -1;
  }

  private fail(at: number): number {
    this.broken = true;
    return at;
  }

  /** A sequence cut off by the end of the buffer: check what is there, keep the rest for later. */
  private open(bytes: Uint8Array, i: number, end: number, need: number, lower: number, upper: number): number {
    const next = this.continueSequence(bytes, i, end, need, lower, upper);
    return next < 0 ? -next - 1 : -1;
  }

  /**
   * Checks continuation bytes from `i`, `need` of them still expected, the first within [lower, upper].
   * Stores the remaining state; returns the index after the sequence, or -(index + 1) of a bad byte.
   */
  private continueSequence(bytes: Uint8Array, i: number, end: number, need: number, lower: number, upper: number): number {
    for (; need > 0 && i < end; i++) {
      const b = bytes[i]!;
      if (b < lower || b > upper) {
        this.broken = true;
        return -i - 1;
      }
      need--;
      lower = 0x80;
      upper = 0xbf;
    }
    this.need = need;
    this.lower = lower;
    this.upper = upper;
    return i;
  }

  /** Whether the bytes so far form complete, valid UTF-8 (no sequence cut off at the end). */
  end(): boolean {
    return !this.broken && this.need === 0;
  }
}

/** Whether `bytes` is strict, complete UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.push(bytes) === -1 && validator.end();
}
