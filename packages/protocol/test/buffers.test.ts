/** concatBytes, the one byte concatenation (exported for adapters). */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../src/index.js';

describe('concatBytes', () => {
  it('joins parts in order into one array from the allocator', () => {
    const sizes: number[] = [];
    const out = concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)], (size) => {
      sizes.push(size);
      return new Uint8Array(size).fill(0xee);
    });
    expect(out).toEqual(Uint8Array.of(1, 2, 3));
    expect(sizes).toEqual([3]);
  });

  it('returns a single part itself and an empty array for none', () => {
    const only = Uint8Array.of(9);
    expect(concatBytes([only])).toBe(only);
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
