/**
 * Strict incremental UTF-8 validation (RFC 3629 / Unicode table 3-7): no overlong forms, no surrogates
 * (U+D800-U+DFFF), nothing above U+10FFFF. A validator carries its state across fragments and reports
 * the first byte that cannot start or continue a valid sequence.
 *
 * ASCII runs are skipped 8 bytes per test (and 16 per test on aligned 32-bit words for long runs); the
 * rest goes through a table-driven DFA: one class lookup and one transition lookup per byte, no branch
 * on the byte's value. A byte-by-byte decoder with a branch per sequence length mispredicts on every
 * change of script in mixed text; the table chain does not care.
 * @module
 */

// Byte classes (columns of the transition table).
const C_ASCII = 0; //   00-7F
const C_CONT_LO = 1; // 80-8F
const C_CONT_MID = 2; // 90-9F
const C_CONT_HI = 3; // A0-BF
const C_BAD = 4; //     C0 C1 F5-FF: never in UTF-8
const C_LEAD2 = 5; //   C2-DF
const C_E0 = 6; //      E0: next in A0-BF (no overlong below U+0800)
const C_LEAD3 = 7; //   E1-EC EE EF
const C_ED = 8; //      ED: next in 80-9F (no surrogates)
const C_F0 = 9; //      F0: next in 90-BF (no overlong below U+10000)
const C_LEAD4 = 10; //  F1-F3
const C_F4 = 11; //     F4: next in 80-8F (nothing above U+10FFFF)
const CLASSES = 12;

// States, pre-multiplied by CLASSES so a transition is TRANSITIONS[state + class].
const ACCEPT = 0; // between sequences
const REJECT = 1 * CLASSES;
const NEED1 = 2 * CLASSES; // one continuation byte (80-BF) left
const NEED2 = 3 * CLASSES; // two left
const NEED2_E0 = 4 * CLASSES; // two left, the first in A0-BF
const NEED2_ED = 5 * CLASSES; // two left, the first in 80-9F
const NEED3 = 6 * CLASSES; // three left
const NEED3_F0 = 7 * CLASSES; // three left, the first in 90-BF
const NEED3_F4 = 8 * CLASSES; // three left, the first in 80-8F
const STATES = 9;

const BYTE_CLASS = new Uint8Array(256);
const TRANSITIONS = new Uint8Array(STATES * CLASSES);

function buildTables(): void {
  for (let b = 0; b < 256; b++) {
    BYTE_CLASS[b] =
      b < 0x80 ? C_ASCII
      : b < 0x90 ? C_CONT_LO
      : b < 0xa0 ? C_CONT_MID
      : b < 0xc0 ? C_CONT_HI
      : b < 0xc2 ? C_BAD
      : b < 0xe0 ? C_LEAD2
      : b === 0xe0 ? C_E0
      : b === 0xed ? C_ED
      : b < 0xf0 ? C_LEAD3
      : b === 0xf0 ? C_F0
      : b < 0xf4 ? C_LEAD4
      : b === 0xf4 ? C_F4
      : C_BAD;
  }
  TRANSITIONS.fill(REJECT);
  const set = (state: number, classes: readonly number[], next: number): void => {
    for (const c of classes) TRANSITIONS[state + c] = next;
  };
  const anyContinuation = [C_CONT_LO, C_CONT_MID, C_CONT_HI];
  set(ACCEPT, [C_ASCII], ACCEPT);
  set(ACCEPT, [C_LEAD2], NEED1);
  set(ACCEPT, [C_E0], NEED2_E0);
  set(ACCEPT, [C_LEAD3], NEED2);
  set(ACCEPT, [C_ED], NEED2_ED);
  set(ACCEPT, [C_F0], NEED3_F0);
  set(ACCEPT, [C_LEAD4], NEED3);
  set(ACCEPT, [C_F4], NEED3_F4);
  set(NEED1, anyContinuation, ACCEPT);
  set(NEED2, anyContinuation, NEED1);
  set(NEED2_E0, [C_CONT_HI], NEED1);
  set(NEED2_ED, [C_CONT_LO, C_CONT_MID], NEED1);
  set(NEED3, anyContinuation, NEED2);
  set(NEED3_F0, [C_CONT_MID, C_CONT_HI], NEED2);
  set(NEED3_F4, [C_CONT_LO], NEED2);
}
buildTables();

/**
 * The DFA runs this many bytes between checks for rejection (REJECT is absorbing, so checking once per
 * block loses nothing; the block is rescanned to find the exact byte).
 */
const BLOCK = 64;
/** An ASCII run still going after this many bytes switches to the aligned 32-bit word scan. */
const WORD_SCAN_AFTER = 32;
/** The word scan is worth its setup only with at least this many bytes left. */
const WORD_SCAN_MIN = 256;

/** Index of the first byte >= 0x80 at or after `i` (or `end`), checking aligned 32-bit words. */
function skipAsciiWords(bytes: Uint8Array, i: number, end: number): number {
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

/** Index of the first byte >= 0x80 at or after `i` (or `end`); `bytes[i]` is known to be ASCII. */
function skipAscii(bytes: Uint8Array, i: number, end: number): number {
  const start = i;
  i++;
  while (
    i + 8 <= end &&
    ((bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]! | bytes[i + 4]! | bytes[i + 5]! | bytes[i + 6]! | bytes[i + 7]!) & 0x80) === 0
  ) {
    i += 8;
    if (i - start >= WORD_SCAN_AFTER && end - i >= WORD_SCAN_MIN) return skipAsciiWords(bytes, i, end);
  }
  while (i < end && bytes[i]! < 0x80) i++;
  return i;
}

/** Where the last {@link scan} that returned REJECT found the offending byte. */
let rejectedAt = 0;

/**
 * Runs the DFA over `bytes` from state `state`; returns the final state. On REJECT, `rejectedAt` is the
 * index of the first byte that cannot start or continue a valid sequence.
 */
function scan(bytes: Uint8Array, state: number): number {
  const end = bytes.length;
  let s = state;
  // A message that starts with ASCII (most text) goes straight to the word scan.
  let i = s === ACCEPT && end >= WORD_SCAN_MIN ? skipAsciiWords(bytes, 0, end) : 0;
  while (i < end) {
    if (s === ACCEPT && bytes[i]! < 0x80) {
      i = skipAscii(bytes, i, end);
      continue;
    }
    const start = i;
    const from = s;
    const stop = end - i > BLOCK ? i + BLOCK : end;
    for (; i < stop; i++) s = TRANSITIONS[s + BYTE_CLASS[bytes[i]!]!]!;
    if (s === REJECT) {
      // Find the exact byte: replay the block from its starting state.
      s = from;
      let j = start;
      for (; ; j++) {
        s = TRANSITIONS[s + BYTE_CLASS[bytes[j]!]!]!;
        if (s === REJECT) break;
      }
      rejectedAt = j;
      return REJECT;
    }
  }
  return s;
}

/** Incremental validator: feed fragments with {@link Utf8Validator.push}, then call {@link Utf8Validator.end}. */
export class Utf8Validator {
  /** DFA state between fragments (ACCEPT, REJECT, or inside a sequence). */
  private state = ACCEPT;

  /** Forgets any partial sequence (start of a new message). */
  reset(): void {
    this.state = ACCEPT;
  }

  /**
   * Validates the next bytes of the message. Returns -1 while everything is valid so far, else the index
   * in `bytes` of the first invalid byte (the validator then stays invalid until reset; later calls
   * return 0).
   */
  push(bytes: Uint8Array): number {
    if (this.state === REJECT) return 0;
    const s = scan(bytes, this.state);
    this.state = s;
    return s === REJECT ? rejectedAt : -1;
  }

  /** Whether the bytes so far form complete, valid UTF-8 (no sequence cut off at the end). */
  end(): boolean {
    return this.state === ACCEPT;
  }
}

/** Whether `bytes` is strict, complete UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return scan(bytes, ACCEPT) === ACCEPT;
}
