/**
 * An ordered list of byte pieces that are joined later: payload pieces of a frame spread over input
 * chunks, or frame payloads of a fragmented message. Large pieces are kept as they are (no copy until the
 * final join); small ones are packed into a staging buffer, so a peer sending many tiny chunks or frames
 * cannot make us hold one object per few bytes. Memory follows the bytes received.
 * @module
 */

import { type Allocate, allocateZeroed, concatBytes, EMPTY_BYTES } from './buffers.js';
import { applyMaskKey, maskInto } from './mask.js';

/** Pieces at least this long are kept as they are rather than copied into staging. */
const LARGE_PIECE = 16 * 1024;
/** Upper bound for one staging buffer. */
const STAGE_SIZE = 64 * 1024;

export class Pieces {
  /** Total bytes held. */
  length = 0;
  /** Created on the first piece kept: most connections never need one. */
  private list: Uint8Array[] | undefined = undefined;
  private stage: Uint8Array = EMPTY_BYTES;
  private staged = 0;

  /**
   * `allocate` provides the staging and join buffers; both are always fully written before any byte of
   * them is handed out, so an adapter may pass an allocator that skips zero-filling.
   */
  constructor(private readonly allocate: Allocate = allocateZeroed) {}

  /**
   * Appends a piece. `expected` is how many bytes are still to come including this piece, when known:
   * the last piece is then kept as it is, and no staging buffer reaches past the end of the payload.
   */
  push(piece: Uint8Array, expected?: number): void {
    const size = piece.length;
    if (size === 0) return;
    this.length += size;
    if (size >= LARGE_PIECE || size === expected) {
      // Large, or the last piece of a payload of known length (joined right away): copying it into
      // staging would only add a copy and an allocation.
      this.flushStage();
      (this.list ??= []).push(piece);
      return;
    }
    if (this.staged + size > this.stage.length) {
      this.flushStage();
      // Stages grow with what was received (twice the bytes so far), never with what a header
      // announced: a small first piece of a large frame must not cost a 64 KiB buffer, and a peer
      // trickling bytes still costs O(log n) objects. `expected` only caps it (no room past the end).
      const wanted = Math.max(size, 256, 2 * this.length);
      this.stage = this.allocate(Math.min(STAGE_SIZE, expected ?? STAGE_SIZE, wanted));
    }
    this.stage.set(piece, this.staged);
    this.staged += size;
  }

  /** The pieces in order (small ones packed together), leaving the list empty. */
  take(): Uint8Array[] {
    this.flushStage();
    const list = this.list ?? [];
    this.reset();
    return list;
  }

  /** All bytes as one array (the single piece itself when there is only one), leaving the list empty. */
  join(): Uint8Array {
    return concatBytes(this.take(), this.allocate);
  }

  /**
   * Like {@link join} for pieces still masked with `key` (a big-endian int32, see maskKey): unmasks
   * while copying, one pass over the bytes instead of an in-place pass and then a copy. The output is
   * placed so the largest piece shares its source's alignment (so it takes the word-wide path); the
   * result may therefore start at any byte offset of its buffer.
   */
  joinUnmasking(key: number): Uint8Array {
    const total = this.length;
    const list = this.take();
    if (list.length === 1) {
      const only = list[0]!;
      applyMaskKey(only, key, 0);
      return only;
    }
    // Where the largest piece's source sits modulo 4 relative to its place in the payload.
    let largest = 0;
    let phase = 0;
    let at = 0;
    for (const piece of list) {
      if (piece.length > largest) {
        largest = piece.length;
        phase = (piece.byteOffset - at) & 3;
      }
      at += piece.length;
    }
    let out: Uint8Array;
    if (phase === 0) {
      out = this.allocate(total); // allocators return 4-byte-aligned buffers (maskInto copes if not)
    } else {
      // Three spare bytes let the output start at the matching phase.
      const raw = this.allocate(total + 3);
      const shift = (phase - raw.byteOffset) & 3;
      out = raw.subarray(shift, shift + total);
    }
    let offset = 0;
    for (const piece of list) {
      maskInto(piece, out, offset, key, offset);
      offset += piece.length;
    }
    return out;
  }

  /** Drops everything. */
  reset(): void {
    this.list = undefined;
    this.stage = EMPTY_BYTES;
    this.staged = 0;
    this.length = 0;
  }

  private flushStage(): void {
    if (this.staged === 0) return;
    (this.list ??= []).push(this.stage.subarray(0, this.staged));
    // The rest of the staging buffer stays usable for the next small pieces.
    this.stage = this.stage.subarray(this.staged);
    this.staged = 0;
  }
}
