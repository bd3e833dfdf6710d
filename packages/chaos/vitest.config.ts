import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The quick chaos run measures a target's RSS and CPU: nothing else of ours may run beside it.
    fileParallelism: false,
  },
});
