import { defineConfig } from 'vitest/config';

/**
 * Real browsers: one file per engine, run one after the other so two browsers never compete for the
 * machine's two cores; each engine's file launches its own browser and servers.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.e2e.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['verbose', './src/engine-summary-reporter.ts'],
  },
});
