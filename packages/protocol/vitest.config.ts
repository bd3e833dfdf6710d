import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The README example imports the package by name, as users would; tests run it against the sources.
    alias: { '@wsts/protocol': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary'],
      // A floor, not a goal: the branch coverage the suite reaches today, rounded down. A change that
      // leaves new branches untested fails `vitest run --coverage`; raise the number as coverage rises.
      thresholds: { branches: 93 },
    },
  },
});
