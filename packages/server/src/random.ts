import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically secure bytes for client masks, drawn from a pooled buffer.
 *
 * WHY a pool: a client masks every frame with 4 fresh random bytes (RFC 6455 section 5.3); one
 * `randomFillSync` call per frame costs a syscall-ish round trip into OpenSSL. Refilling 8 KiB at a time
 * amortises that over 2,048 frames while every byte is still used exactly once.
 */
const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

/** Fills `bytes` with secure random bytes. Matches the codec's `random` option. */
export function secureRandom(bytes: Uint8Array): void {
  const n = bytes.length;
  if (n > POOL_SIZE / 4) {
    randomFillSync(bytes);
    return;
  }
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  bytes.set(pool.subarray(offset, offset + n));
  // Never hand out the same bytes twice: they are consumed here.
  offset += n;
}
