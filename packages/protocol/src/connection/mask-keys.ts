/**
 * Masking keys for a client's frames (RFC 6455 section 5.3), drawn from a pool so the random source is
 * called once per 256 frames rather than once per frame.
 * @module
 */

/** Bytes fetched from the random source at once: 256 keys. */
const POOL_SIZE = 1024;

/** One client connection's keys. The pool is filled on the first frame, so an unused client costs no pool. */
export class MaskKeys {
  private pool: Uint8Array | undefined = undefined;
  private offset = POOL_SIZE;
  /** The key handed out, reused: the frame encoder copies it into the frame before the next call. */
  private readonly key = new Uint8Array(4);

  /** `random` fills bytes with cryptographically secure random values. */
  constructor(private readonly random: (bytes: Uint8Array) => void) {}

  /** The next key, in the same 4-byte array every time (no allocation per frame). */
  next(): Uint8Array {
    const pool = (this.pool ??= new Uint8Array(POOL_SIZE));
    let at = this.offset;
    if (at + 4 > pool.length) {
      this.random(pool);
      at = 0;
    }
    const key = this.key;
    key[0] = pool[at]!;
    key[1] = pool[at + 1]!;
    key[2] = pool[at + 2]!;
    key[3] = pool[at + 3]!;
    this.offset = at + 4;
    return key;
  }
}
