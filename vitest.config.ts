import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `argo-realtime` and `argo-realtime/strategy` (imported by examples/) resolve to the sources, as under
  // Node with `--conditions=argo-realtime-source` (package.json `exports`); the rest as Vite's defaults.
  ssr: { resolve: { conditions: ['argo-realtime-source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: integration tests start real servers and DuckDB files; keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
  },
});
