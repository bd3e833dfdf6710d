import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Our own tests only: ws's vendored mocha files (test/ws-suite/vendor) run through test/ws-suite.test.ts.
    include: ['test/*.test.ts'],
    testTimeout: 30_000,
  },
});
