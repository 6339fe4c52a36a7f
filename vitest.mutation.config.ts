import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (see stryker.config.json): the machine tests for `machines/`, and for
 * each exactness-critical module of `src/` the tests named after it (with `coverageAnalysis: perTest` a mutant
 * only runs the tests that reach its code).
 */
export default defineConfig({
  test: {
    include: [
      'test/machines/**/*.test.ts',
      'test/providers/shared/stream-tracker*.test.ts',
      'test/storage/known-keys.test.ts',
      'test/storage/duckdb-store*.test.ts',
      'test/storage/buffered-writer*.test.ts',
      'test/risk/risk-engine*.test.ts',
      'test/risk/risk-state.test.ts',
      'test/risk/session-risk.test.ts',
      'test/risk/guarded-provider.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
