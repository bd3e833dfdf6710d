/**
 * Small outgoing buffers (frame headers, masked copies of small payloads) carved from a shared slab.
 * Creating a view on an existing ArrayBuffer is several times cheaper than allocating a fresh typed array
 * with its own backing store, which dominates the cost of sending small messages. Regions are never
 * reused: a slab is dropped when full and collected once no view into it is alive, so handing a region
 * to a socket write is safe.
 * @module
 */

import type { Allocate } from './buffers.js';

/**
 * WHY this small: a slab is referenced (by the module) until it is full, and one that outlives two of
 * V8's young-generation collections is promoted; its memory then waits for a full collection, which a
 * small heap rarely runs. Under a flood of small messages (8 bytes of header each) a 64 KiB slab lived
 * long enough for that, and dead slabs piled up as megabytes of RSS per second. How many messages pass
 * between two young collections hardly depends on the rate (both scale with it), so a smaller slab is
 * the fix at any rate: 16 KiB fills in about a quarter of the time.
 */
const SLAB_SIZE = 16 * 1024;
/** Larger requests get their own buffer, so one long-lived view cannot pin much unused memory. */
export const MAX_SLAB_REQUEST = 4 * 1024;

let slab: Uint8Array = new Uint8Array(SLAB_SIZE);
let used = 0;

/**
 * `size` writable bytes, 8-byte aligned (so 32-bit views over them are always possible). Every caller
 * writes its region completely before handing it out, so a new slab, when one is needed, may come from
 * `fresh`, an allocator that skips zero-filling (what the Node adapter passes as `allocate`): zero-filling
 * a slab cost as much as masking the 1 KiB frames carved from it. Without one, or when what it returns
 * is not a whole aligned slab, a zero-filled typed array.
 */
export function allocate(size: number, fresh?: Allocate): Uint8Array {
  if (size > MAX_SLAB_REQUEST) return new Uint8Array(size);
  if (used + size > SLAB_SIZE) {
    slab = newSlab(fresh);
    used = 0;
  }
  // A view made with the constructor: `subarray` looks up the species constructor on every call.
  const region = new Uint8Array(slab.buffer, used, size);
  used = (used + size + 7) & ~7;
  return region;
}

/**
 * A slab as a plain `Uint8Array` over the allocated memory (a subclass, such as Node's buffer class, would
 * make every `subarray` go through its own slower method).
 */
function newSlab(fresh: Allocate | undefined): Uint8Array {
  if (fresh === undefined) return new Uint8Array(SLAB_SIZE);
  const bytes = fresh(SLAB_SIZE);
  if (bytes.length < SLAB_SIZE || (bytes.byteOffset & 7) !== 0) return new Uint8Array(SLAB_SIZE);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, SLAB_SIZE);
}
