/**
 * `record` (no strategy) loads no strategy runtime and no trading provider: the session wiring reaches them only
 * through dynamic `import()`, run when a strategy is configured. Read from the module graph, not from timings.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadedModules, staticValueImports } from './static-imports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the record path', () => {
  it('tells value imports from type-only and dynamic ones', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      "import { type C, type D } from './c.ts';",
      "import { type E, f } from './e.ts';",
      "export type { G } from './g.ts';",
      "export { h } from './h.ts';",
      "const i = await import('./i.ts');",
      "import './j.ts';",
    ].join('\n');
    expect(staticValueImports('src/x.ts', text)).toEqual(['./a.ts', './e.ts', './h.ts', './j.ts']);
  });

  it('loads neither the strategy runtime nor any trading module when the session wiring is imported', () => {
    const loaded = [...loadedModules(root, 'src/session/session.ts')];
    expect(loaded).toContain('src/storage/duckdb-writer.ts');
    expect(loaded).toContain('src/session/writer-feed.ts');
    // The risk engine is still loaded statically (session.risk / kill() serve it synchronously, also in record).
    const strategyOrTrading = loaded.filter((f) => /^src\/(strategy|trading)\//.test(f) || f === 'src/session/strategy-feed.ts' || f === 'machines/paper-broker.machine.ts');
    expect(strategyOrTrading).toEqual([]);
  });
});
