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
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    let w = 0;
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
    let need = this.need;
    let lower = this.lower;
    let upper = this.upper;
    let i = 0;
    if (need === 0 && end >= WORD_SCAN) i = skipAscii(bytes, 0, end);
    while (i < end) {
      const b = bytes[i]!;
      if (need === 0) {
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
        if (b >= 0xc2 && b <= 0xdf) {
          need = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0) lower = 0xa0; // overlong below U+0800
          else if (b === 0xed) upper = 0x9f; // surrogates U+D800-U+DFFF
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0) lower = 0x90; // overlong below U+10000
          else if (b === 0xf4) upper = 0x8f; // above U+10FFFF
        } else {
          // 0x80-0xC1 (stray continuation or overlong 2-byte lead) and 0xF5-0xFF never start a sequence.
          this.broken = true;
          return i;
        }
      } else {
        if (b < lower || b > upper) {
          this.broken = true;
          return i;
        }
        need--;
        lower = 0x80;
        upper = 0xbf;
      }
      i++;
    }
    this.need = need;
    this.lower = lower;
    this.upper = upper;
    return -1;
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
