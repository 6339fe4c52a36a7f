/**
 * `record` (no strategy, no bus) loads no strategy runtime, no trading venue, no risk engine and no NATS client:
 * the session wiring reaches them only through dynamic `import()`, run when a strategy or a bus is configured.
 * Read from the module graph and from the modules a real `record` process loaded, not from timings.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { startCli } from '../cli/helpers.ts';
import { loadedModules, staticValueImports } from './static-imports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const probe = fileURLToPath(new URL('./module-probe.ts', import.meta.url));
// Config schemas only: decoding a config file validates every section, whether or not the session uses it.
const CONFIG_MODULES = ['src/bus/config.ts', 'src/risk/config.ts', 'src/trading/binance/config.ts', 'src/trading/ibkr/config.ts',
  'src/trading/provider-info.ts', 'src/trading/venue-guard.ts'];

const sims: BinanceSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

/** The project files (relative paths) and packages a `record` run loaded until its first rows were persisted. */
const recordLoads = async (): Promise<{ files: string[]; packages: Set<string> }> => {
  const sim = await startBinanceSimulator();
  sims.push(sim);
  const db = join(mkdtempSync(join(tmpdir(), 'argo-record-path-')), 'bars.duckdb');
  const cli = startCli(['record', '--symbols', 'BTCUSDT', '--interval', '1s', '--out', db, '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl],
    { env: { NODE_OPTIONS: `--import=${probe}` } });
  await cli.waitFor(/persisted=[1-9]/, 60_000);
  cli.child.kill('SIGTERM');
  const r = await cli.exited();
  expect(r.code).toBe(0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED_MODULES '));
  expect(line).toBeDefined();
  const urls = (JSON.parse(line!.slice('LOADED_MODULES '.length)) as string[]).filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
  const files = urls.filter((f) => f.startsWith(root) && !f.includes('/node_modules/')).map((f) => f.slice(root.length));
  const packages = new Set(urls.map((f) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => p !== undefined));
  return { files, packages };
};

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
    const strategyOrTrading = loaded.filter((f) => /^src\/(strategy|trading|risk)\//.test(f) || f === 'src/session/strategy-feed.ts' || f === 'machines/paper-broker.machine.ts');
    expect(strategyOrTrading).toEqual([]);
    // The bus helpers are type-only towards the bus providers: no provider class, hence no NATS client.
    expect(loaded.filter((f) => f.startsWith('src/bus/'))).toEqual(['src/bus/session-bus.ts']);
  });

  it('loads no strategy, trading, risk or NATS module in a record process, only their config schemas', async () => {
    const { files, packages } = await recordLoads();
    // The run went through the writer path (the probe saw the modules that did the work).
    expect(files).toEqual(expect.arrayContaining(['src/cli/run.ts', 'src/session/writer-feed.ts', 'src/storage/duckdb-writer.ts', 'src/providers/binance/feed.ts']));
    const optional = files.filter((f) => /^src\/(strategy|trading|risk|bus)\//.test(f) || f === 'src/session/strategy-feed.ts'
      || /^machines\/(paper-broker|order)\.machine\.ts$/.test(f) || f === 'machines/lib/paper-account.ts');
    expect(optional.filter((f) => !CONFIG_MODULES.includes(f) && f !== 'src/bus/session-bus.ts' && f !== 'src/bus/status-text.ts')).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('@nats-io/'))).toEqual([]);
    expect(packages).toContain('@duckdb/node-api');
  }, 90_000); // a CLI process on a loaded 2-core machine: a generous cap, not a timing assertion
});
