/**
 * Allocating and joining byte arrays: the allocator type every layer takes, and the one concatenation.
 * @module
 */

/** Returns `size` bytes the caller will overwrite completely (their initial content does not matter). */
export type Allocate = (size: number) => Uint8Array;

/** The portable default: a zero-filled typed array. */
export const allocateZeroed: Allocate = (size) => new Uint8Array(size);

/** A zero-length array, shared: nothing can be written into it. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * The bytes of `parts` in order, in one array from `allocate` (default: zero-filled). A single part is
 * returned as it is, not copied, so the result may share memory with the input.
 */
export function concatBytes(parts: readonly Uint8Array[], allocate: Allocate = allocateZeroed): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i]!.length;
  const out = allocate(total);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
