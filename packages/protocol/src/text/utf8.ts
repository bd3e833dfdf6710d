/**
 * Strict incremental UTF-8 validation (RFC 3629 / Unicode table 3-7): no overlong forms, no surrogates
 * (U+D800-U+DFFF), nothing above U+10FFFF. A validator carries its state across fragments and reports
 * the first byte that cannot start or continue a valid sequence.
 *
 * ASCII runs are skipped 8 bytes per test (and 32 per test on aligned 32-bit words for long runs); the
 * rest goes through a table-driven DFA: one (state, byte) -> state lookup per byte, no branch on the
 * byte's value. A byte-by-byte decoder with a branch per sequence length mispredicts on every change of
 * script in mixed text; the table chain does not care. Stretches of 64 bytes or more run as four
 * independent chains interleaved in one loop (see scanChains), which hides the latency of each lookup.
 * Large inputs go to the WebAssembly SIMD kernel where the engine has it (see scanWithKernel).
 * @module
 */

import { utf8WithWasm, wasmFrom } from '../simd/use-wasm.js';

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
      b < 0x80
        ? C_ASCII
        : b < 0x90
          ? C_CONT_LO
          : b < 0xa0
            ? C_CONT_MID
            : b < 0xc0
              ? C_CONT_HI
              : b < 0xc2
                ? C_BAD
                : b < 0xe0
                  ? C_LEAD2
                  : b === 0xe0
                    ? C_E0
                    : b === 0xed
                      ? C_ED
                      : b < 0xf0
                        ? C_LEAD3
                        : b === 0xf0
                          ? C_F0
                          : b < 0xf4
                            ? C_LEAD4
                            : b === 0xf4
                              ? C_F4
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
 * Transitions straight from (state, byte), without the class step: `STEP[state * 256 + byte]`, next state
 * pre-multiplied by 256. One load per byte instead of two, which pays off once several independent chains
 * share the loop (see {@link scanChains}); 9 x 256 entries of 2 bytes, 4.5 KiB, stays in L1.
 */
const STEP = new Uint16Array(STATES * 256);
for (let state = 0; state < STATES; state++) {
  for (let b = 0; b < 256; b++) STEP[state * 256 + b] = (TRANSITIONS[state * CLASSES + BYTE_CLASS[b]!]! / CLASSES) * 256;
}
/** {@link REJECT} in {@link STEP}'s encoding (ACCEPT is 0 in both). */
const STEP_REJECT = (REJECT / CLASSES) * 256;

/** Bytes handed to {@link scanChains} at a time, from the first non-ASCII byte of a stretch. */
const REGION = 512;
/** Below this many bytes the four chains are not worth splitting a region (each gets at least 16). */
const CHAINS_MIN = 64;
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
    // Int32Array keeps loads in V8's small-integer range; eight words are OR-ed per test (+15-20% over
    // four in Node 20; sixteen measured slower), then four, then one near the end or the first high bit.
    const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
    let w = 0;
    while (
      w + 8 <= words &&
      ((view[w]! | view[w + 1]! | view[w + 2]! | view[w + 3]! | view[w + 4]! | view[w + 5]! | view[w + 6]! | view[w + 7]!) &
        0x80808080) ===
        0
    ) {
      w += 8;
    }
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
    ((bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]! | bytes[i + 4]! | bytes[i + 5]! | bytes[i + 6]! | bytes[i + 7]!) &
      0x80) ===
      0
  ) {
    i += 8;
    if (i - start >= WORD_SCAN_AFTER && end - i >= WORD_SCAN_MIN) return skipAsciiWords(bytes, i, end);
  }
  while (i < end && bytes[i]! < 0x80) i++;
  return i;
}

/**
 * The first index at or after `p` that is not a continuation byte, looking at most 4 bytes ahead (valid
 * text never has 4 continuations in a row, and the chain that holds them rejects). Where the split lands
 * never changes the answer, only the speed: a chain started on a continuation byte rejects, and the
 * caller's byte-at-a-time replay then settles the region exactly.
 */
function sequenceStart(bytes: Uint8Array, p: number): number {
  for (let k = 0; k < 4 && (bytes[p]! & 0xc0) === 0x80; k++) p++;
  return p;
}

/**
 * Runs the DFA over `bytes[from..to)` (at least {@link CHAINS_MIN} bytes) from `state` (in {@link STEP}'s
 * encoding) as four independent chains over four quarters, interleaved in one loop. WHY: one chain is a
 * serial dependency (each lookup needs the previous state), so it runs at the latency of a load, not at
 * the CPU's throughput; four chains overlap. UTF-8 is self-synchronizing, so each quarter starts at the
 * next byte that is not a continuation: text that is valid has a sequence boundary there, so chains 2-4
 * start in ACCEPT, and chains 1-3 must end in ACCEPT. Returns the state after `to`, or STEP_REJECT when
 * anything is wrong (then the caller replays the region one byte at a time to find the exact byte).
 */
function scanChains(bytes: Uint8Array, from: number, to: number, state: number): number {
  const quarter = (to - from) >>> 2;
  const p1 = sequenceStart(bytes, from + quarter);
  const p2 = sequenceStart(bytes, from + 2 * quarter);
  const p3 = sequenceStart(bytes, from + 3 * quarter);
  let a = state;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = from;
  let j = p1;
  let k = p2;
  let l = p3;
  const common = Math.min(p1 - from, p2 - p1, p3 - p2, to - p3);
  for (const stop = from + common; i < stop; i++, j++, k++, l++) {
    a = STEP[a + bytes[i]!]!;
    b = STEP[b + bytes[j]!]!;
    c = STEP[c + bytes[k]!]!;
    d = STEP[d + bytes[l]!]!;
  }
  for (; i < p1; i++) a = STEP[a + bytes[i]!]!;
  for (; j < p2; j++) b = STEP[b + bytes[j]!]!;
  for (; k < p3; k++) c = STEP[c + bytes[k]!]!;
  for (; l < to; l++) d = STEP[d + bytes[l]!]!;
  return (a | b | c) === 0 ? d : STEP_REJECT;
}

/** Where the last {@link scan} that returned REJECT found the offending byte. */
let rejectedAt = 0;

/**
 * Runs the DFA over `bytes` from state `state`; returns the final state. On REJECT, `rejectedAt` is the
 * index of the first byte that cannot start or continue a valid sequence.
 */
function scan(bytes: Uint8Array, state: number): number {
  const end = bytes.length;
  // States travel in STEP's encoding inside the loop (ACCEPT is 0 in both encodings).
  let s = (state / CLASSES) * 256;
  // A message that starts with ASCII (most text) goes straight to the word scan.
  let i = s === ACCEPT && end >= WORD_SCAN_MIN ? skipAsciiWords(bytes, 0, end) : 0;
  while (i < end) {
    if (s === ACCEPT && bytes[i]! < 0x80) {
      i = skipAscii(bytes, i, end);
      continue;
    }
    const stop = end - i > REGION ? i + REGION : end;
    if (stop - i >= CHAINS_MIN) {
      const next = scanChains(bytes, i, stop, s);
      if (next !== STEP_REJECT) {
        s = next;
        i = stop;
        continue;
      }
    }
    // Short stretch, or the chains found a problem: one byte at a time, stopping at the exact byte.
    for (; i < stop; i++) {
      s = STEP[s + bytes[i]!]!;
      if (s === STEP_REJECT) {
        rejectedAt = i;
        return REJECT;
      }
    }
  }
  return (s / 256) * CLASSES;
}

/**
 * Where a sequence that `bytes[from..end)` leaves unfinished starts (it needs bytes after `end`), or `end`
 * when the bytes stop between sequences. Only the last 3 bytes can start such a sequence.
 */
function unfinishedFrom(bytes: Uint8Array, from: number, end: number): number {
  for (let k = end - 1; k >= from && k >= end - 3; k--) {
    const b = bytes[k]!;
    if (b < 0x80) return end;
    if (b >= 0xc0) return k + (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) > end ? k : end;
  }
  return end;
}

/**
 * {@link scan} with the bulk checked by the WebAssembly SIMD kernel (simd/use-wasm.ts). The kernel only
 * says whether complete text is valid, so the DFA does the edges: it finishes a sequence an earlier
 * fragment started (at most 3 bytes), and it takes a sequence this fragment leaves open, so the state
 * carried to the next fragment is exact. When the kernel says no, or this engine has none, the scalar
 * scan runs over the whole fragment, which also finds the exact first bad byte.
 */
function scanWithKernel(bytes: Uint8Array, state: number): number {
  const end = bytes.length;
  let s = state;
  let i = 0;
  for (; s !== ACCEPT && i < end; i++) {
    s = TRANSITIONS[s + BYTE_CLASS[bytes[i]!]!]!;
    if (s === REJECT) {
      rejectedAt = i;
      return REJECT;
    }
  }
  const cut = unfinishedFrom(bytes, i, end);
  if (cut > i && utf8WithWasm(bytes, i, cut) !== true) return scan(bytes, state);
  for (let j = cut; j < end; j++) {
    s = TRANSITIONS[s + BYTE_CLASS[bytes[j]!]!]!;
    if (s === REJECT) {
      rejectedAt = j;
      return REJECT;
    }
  }
  return s;
}

/** Runs the validation of `bytes` from `state`: the kernel for large inputs where there is one, else scan. */
function validate(bytes: Uint8Array, state: number): number {
  return bytes.length >= wasmFrom.utf8 ? scanWithKernel(bytes, state) : scan(bytes, state);
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
    const s = validate(bytes, this.state);
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
  if (bytes.length >= wasmFrom.utf8) {
    const valid = utf8WithWasm(bytes, 0, bytes.length);
    if (valid !== undefined) return valid;
  }
  return scan(bytes, ACCEPT) === ACCEPT;
}

/** {@link isValidUtf8} in JavaScript only, at any size. Exported for the tests and the benches. */
export function isValidUtf8Scalar(bytes: Uint8Array): boolean {
  return scan(bytes, ACCEPT) === ACCEPT;
}
