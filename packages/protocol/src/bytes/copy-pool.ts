/**
 * Buffers for a client's large masked copies, reused once the transport is done with them. WHY: every
 * client frame needs a masked copy of its payload (the caller's bytes are never touched), and a fresh
 * buffer per large message is fresh memory: where the allocator gave freed memory back to the operating
 * system in between (glibc does once enough is free at the top of its heap), each page of it is faulted
 * in again, which costs more than the masking. A buffer whose write completed is written into again
 * instead. Which buffers may be reused is the connection's decision (see `reuseAfterWrite` in
 * connection.ts); this module only keeps them.
 *
 * Buffers are kept by size class (powers of two from just above the slab's largest region up to
 * {@link MAX_POOLED}), shared by every connection of the process, and held weakly: a buffer waiting
 * here is collected like any garbage when the engine collects, so the pool never holds memory that
 * would otherwise have been freed. Between collections, the copies of a steady stream of sends go round
 * the same few buffers.
 * @module
 */

import type { Allocate } from './buffers.js';
import { MAX_SLAB_REQUEST } from './slab.js';

/** Smallest class: the first power of two above what the slab serves. */
const MIN_CLASS_BITS = 31 - Math.clz32(MAX_SLAB_REQUEST) + 1;
/** Largest copy pooled (4 MiB); larger ones are rare enough to be allocated each time. */
export const MAX_POOLED = 4 * 1024 * 1024;
const MAX_CLASS_BITS = 22;
/** Buffers kept per class at most: a bound on the list, far above what one process has in flight usually. */
const MAX_KEPT = 128;

const classes: WeakRef<Uint8Array>[][] = Array.from({ length: MAX_CLASS_BITS - MIN_CLASS_BITS + 1 }, () => []);

/** The class index of a copy of `size` bytes (MAX_SLAB_REQUEST < size <= MAX_POOLED). */
function classOf(size: number): number {
  const bits = size <= 1 << MIN_CLASS_BITS ? MIN_CLASS_BITS : 32 - Math.clz32(size - 1);
  return bits - MIN_CLASS_BITS;
}

/** Whether a copy of `size` bytes comes from the pool. */
export function pooled(size: number): boolean {
  return size > MAX_SLAB_REQUEST && size <= MAX_POOLED;
}

/**
 * A buffer of at least `size` bytes (only for sizes {@link pooled} accepts): one given back earlier and
 * not yet collected, or a new one of its class's size from `allocate`. Hand the same buffer (not a
 * subarray of it) to {@link giveBack} once nothing reads it any more.
 */
export function takeBuffer(size: number, allocate: Allocate): Uint8Array {
  const index = classOf(size);
  const kept = classes[index]!;
  while (kept.length > 0) {
    const buffer = kept.pop()!.deref();
    if (buffer !== undefined) return buffer;
  }
  return allocate(1 << (index + MIN_CLASS_BITS));
}

/** Gives back a buffer from {@link takeBuffer}: nothing may read or write it after this. */
export function giveBack(buffer: Uint8Array): void {
  const index = classOf(buffer.length);
  // Only a whole class-sized buffer: an allocator that returned some other length must not put a buffer
  // too small for its class in the pool.
  if (buffer.length !== 1 << (index + MIN_CLASS_BITS)) return;
  const kept = classes[index]!;
  if (kept.length < MAX_KEPT) kept.push(new WeakRef(buffer));
}
