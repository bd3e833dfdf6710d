import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 240_000,
    // The quick run spawns servers and load generators; the unit tests run alongside it in their own file.
    fileParallelism: false,
  },
});
