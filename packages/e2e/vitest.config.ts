import { defineConfig } from 'vitest/config';

/** Unit tests of the harness itself (no browsers); `pnpm e2e` runs the browsers. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
