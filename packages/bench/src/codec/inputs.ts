/** The inputs the unmask, UTF-8 and kernel benches time their byte loops on. */
import { asciiPayload, headerLength } from '../wire/frames.js';

/**
 * A payload placed where it sits in a real masked frame: right after its header, so at an offset that is
 * usually not a multiple of 4. Word-at-a-time unmasking has to cope with that, and so does every bench
 * that unmasks.
 */
export function placedPayload(size: number): Buffer {
  const offset = headerLength(size, true);
  const backing = Buffer.alloc(offset + size);
  backing.set(asciiPayload(size), offset);
  return backing.subarray(offset);
}

/**
 * Inputs are cycled through a set of distinct texts of at least 256 KiB in all: the same 1 KiB over and
 * over lets the branch predictor learn it by heart (byte-wise validators ran 2x faster on a repeated 1 KiB
 * than on 64 KiB of the same kind of text), which real traffic never allows.
 */
const DISTINCT_BYTES = 256 * 1024;

/** Distinct `size`-byte texts from `make` (seeds 100, 101, ...), at least 256 KiB in all, to be cycled. */
export function distinctInputs(size: number, make: (size: number, seed: number) => Buffer): Buffer[] {
  return Array.from({ length: Math.max(1, Math.ceil(DISTINCT_BYTES / size)) }, (_, k) => make(size, 100 + k));
}
