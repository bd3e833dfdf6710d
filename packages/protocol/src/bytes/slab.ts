/**
 * Small outgoing buffers (frame headers, masked copies of small payloads) carved from a shared slab.
 * Creating a view on an existing ArrayBuffer is several times cheaper than allocating a fresh typed array
 * with its own backing store, which dominates the cost of sending small messages. Regions are never
 * reused: a slab is dropped when full and collected once no view into it is alive, so handing a region
 * to a socket write is safe.
 * @module
 */

const SLAB_SIZE = 64 * 1024;
/** Larger requests get their own buffer, so one long-lived view cannot pin much unused memory. */
export const MAX_SLAB_REQUEST = 4 * 1024;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/** `size` writable bytes, 8-byte aligned (so 32-bit views over them are always possible). */
export function allocate(size: number): Uint8Array {
  if (size > MAX_SLAB_REQUEST) return new Uint8Array(size);
  if (used + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  // A view made with the constructor: `subarray` looks up the species constructor on every call.
  const region = new Uint8Array(slab.buffer, used, size);
  used = (used + size + 7) & ~7;
  return region;
}
