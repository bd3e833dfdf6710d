import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Packing and two npm installs happen once, before the tests.
    hookTimeout: 180_000,
  },
});
