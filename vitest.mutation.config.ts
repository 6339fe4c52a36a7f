import { defineConfig } from 'vitest/config';

/** The tests Stryker runs against each mutant of `machines/`: the machine tests only (see stryker.config.json). */
export default defineConfig({
  test: {
    include: ['test/machines/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
