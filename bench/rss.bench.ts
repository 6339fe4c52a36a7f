/**
 * Where the resident memory of `argo-realtime record` goes before its first message: one fresh process loads the
 * library step by step and opens the record session (against a paused simulator in its own process, so no
 * message arrives), measuring after each step (after a full GC when run with `--expose-gc`):
 * `process.memoryUsage()`, V8's heap spaces (`v8.getHeapSpaceStatistics()`), and at the end DuckDB's own
 * accounting (`duckdb_memory()`, `threads`, `memory_limit`) on the writer's instance.
 *
 *   node --expose-gc bench/rss.bench.ts --symbols 1000
 */
import v8 from 'node:v8';
import { flags, removeDb, report, tempDb } from './support/common.ts';

const mb = (n: number): number => n / 2 ** 20;

/** One measurement. */
export interface RssStep {
  readonly step: string;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** V8's code space (compiled code of the loaded modules), MB used. */
  readonly codeSpace: number;
}

/** Every step, and DuckDB's accounting once the session runs. */
export interface RssResult {
  readonly symbols: number;
  readonly gc: boolean;
  readonly steps: readonly RssStep[];
  readonly duckdb: { readonly threads: string; readonly memoryLimit: string; readonly memory: Readonly<Record<string, number>>; readonly temporary: number };
}

const gc = (globalThis as { gc?: () => void }).gc;
const measure = (step: string): RssStep => {
  gc?.();
  const m = process.memoryUsage();
  const code = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'code_space');
  return {
    step, rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers), codeSpace: mb(code?.space_used_size ?? 0),
  };
};

export const runRss = async (o: { symbols: number }): Promise<RssResult> => {
  const steps: RssStep[] = [measure('node started (this .ts file: Node\'s type stripper loaded)')];
  await import('ws');
  steps.push(measure('+ ws'));
  await import('@duckdb/node-api');
  steps.push(measure('+ @duckdb/node-api (native library loaded)'));
  await import('xstate');
  await import('effect/Schema');
  await import('yaml');
  steps.push(measure('+ xstate, effect/Schema, yaml'));
  const { recordConfig } = await import('../src/cli/run.ts');
  const { createRealtimeSession } = await import('../src/session/index.ts');
  const { installProbes, probe } = await import('./support/pipeline.ts');
  steps.push(measure('+ the library modules record loads (src/cli/run.ts, src/session)'));
  // DuckDB on its own: a second file with the writer's store (same settings, bar table and indexes), kept open.
  const { DuckDBBarStore } = await import('../src/storage/duckdb-store.ts');
  const storePath = tempDb('rss-store');
  const store = await DuckDBBarStore.open({ path: storePath, table: 'realtime_market_data', enableWal: true });
  steps.push(measure('+ a DuckDB store open on its own (writer settings, bar table; a separate file)'));
  const { forkSimulator } = await import('./support/sim-control.ts');
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: 2000 });
  const dbPath = tempDb('rss');
  installProbes();
  try {
    const config = recordConfig({ symbols: sim.symbols, interval: '1m', out: dbPath, wsUrl: sim.wsUrl, restUrl: sim.restUrl });
    const session = createRealtimeSession(config);
    await session.start();
    steps.push(measure(`+ the record session started (its own DuckDB file, ${o.symbols} streams subscribed), no message yet`));
    const conn = await probe.writer!.connect();
    let duckdb: RssResult['duckdb'];
    try {
      const settings = (await conn.runAndReadAll("SELECT current_setting('threads')::VARCHAR AS t, current_setting('memory_limit') AS m")).getRowObjectsJS()[0]!;
      const rows = (await conn.runAndReadAll('SELECT tag, memory_usage_bytes::DOUBLE AS b, temporary_storage_bytes::DOUBLE AS tmp FROM duckdb_memory()')).getRowObjectsJS();
      duckdb = {
        threads: String(settings.t), memoryLimit: String(settings.m),
        memory: Object.fromEntries(rows.filter((r) => Number(r.b) > 0).map((r) => [String(r.tag), mb(Number(r.b))])),
        temporary: mb(rows.reduce((a, r) => a + Number(r.tmp), 0)),
      };
    } finally {
      conn.closeSync();
    }
    await session.stop();
    return { symbols: o.symbols, gc: gc !== undefined, steps, duckdb };
  } finally {
    await sim.close();
    await store.close().catch(() => undefined);
    removeDb(dbPath);
    removeDb(storePath);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  report(await runRss({ symbols: Number(f.symbols ?? 1000) }));
  process.exit(0);
}
