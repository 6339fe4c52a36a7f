/**
 * Benchmark 4, memory soak. The pipeline (no-op strategy) under a steady `--rate` messages/s (`--mix updates`:
 * Binance's cadence, see support/mix.ts) for `--soak-s` seconds (the full soak: `--soak-s 300` at 20,000 msg/s), sampled every second. The benchmark exposes
 * `gc` to itself: the heap is measured after a full GC when the session is running and before the stream
 * starts, and again after the stream stopped and everything received was flushed.
 *
 * RSS growth is measured from the end of the warm-up (a quarter of the soak, at most 60 s) to the end of the
 * stream, on the median of the last five samples of each end to smooth single-sample noise.
 *
 *   node bench/memory.bench.ts --rate 20000 --symbols 1000 --mix updates --soak-s 60
 */
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { flags, memoryMb, removeDb, report, sleep, tempDb } from './support/common.ts';
import { probe, startPipeline } from './support/pipeline.ts';
import { MIXES, stepsPerSecond, type Mix } from './support/mix.ts';
import { forkSimulator } from './support/sim-control.ts';

/** One sample per second. */
export interface MemorySample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly frames: number;
  readonly writerBuffered: number;
  readonly strategyQueued: number;
}

/** What one soak measured. */
export interface MemoryResult {
  readonly mix: Mix['name'];
  readonly rate: number;
  readonly symbols: number;
  readonly soakS: number;
  readonly warmS: number;
  readonly framesReceived: number;
  readonly framesExpected: number;
  readonly achievedRate: number;
  readonly rssAfterWarmMb: number;
  readonly rssEndMb: number;
  readonly rssGrowth: number;
  readonly rssPeakMb: number;
  readonly heapStartMb: number;
  readonly heapAfterStopMb: number;
  readonly rssAfterStopMb: number;
  /** DuckDB's `duckdb_memory()` by tag after the stream (MB). */
  readonly duckdbMemoryMb: Record<string, number>;
  /** Growth of each V8 heap space between the two measurements (MB; code_space is JIT-compiled code). */
  readonly heapSpaceGrowthMb: Record<string, number>;
  /** Heap after the stream stopped, over the heap before it started. */
  readonly heapReturn: number;
  readonly heapPeakMb: number;
  readonly strategySkipped: number;
  readonly writerOverflow: number;
  readonly rows: number;
  readonly samples: readonly MemorySample[];
  readonly gcAvailable: boolean;
}

/** Used bytes per V8 heap space, in MB. */
const spaces = (): Record<string, number> =>
  Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size / 2 ** 20]));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

// `gc` without `--expose-gc` on the command line: a strategy worker started from sources inherits the process's
// execArgv, and Worker refuses `--expose-gc` there (ERR_WORKER_INVALID_EXEC_ARGV), which failed the soak.
v8.setFlagsFromString('--expose-gc');
const exposedGc = vm.runInNewContext('gc') as () => void;

const fullGc = async (): Promise<void> => {
  const gc = (globalThis as { gc?: () => void }).gc ?? exposedGc;
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
};

export const runMemory = async (o: { rate: number; symbols: number; soakS: number; mix: Mix; storage?: Record<string, unknown> }): Promise<MemoryResult> => {
  const sim = await forkSimulator({ symbolCount: o.symbols, marketStepMs: o.mix.marketStepMs });
  const dbPath = tempDb('memory');
  const warmS = Math.min(60, Math.max(5, Math.round(o.soakS / 4)));
  try {
    const session = await startPipeline({
      wsUrl: sim.wsUrl, restUrl: sim.restUrl, symbols: sim.symbols, interval: o.mix.interval, dbPath,
      strategy: fileURLToPath(new URL('./fixtures/noop.strategy.ts', import.meta.url)),
      ...(o.storage ? { storageConfig: o.storage } : {}),
    });
    await sleep(500);
    await fullGc();
    const heapStartMb = memoryMb().heapUsed;
    const spacesStart = spaces();
    const samples: MemorySample[] = [];
    const started = performance.now();
    const sample = (): void => {
      const m = memoryMb();
      const st = session.stats();
      samples.push({
        t: (performance.now() - started) / 1000, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers,
        frames: probe.frames, writerBuffered: st.writer.bufferedWrites, strategyQueued: st.strategy?.queued ?? 0,
      });
    };
    const timer = setInterval(sample, 1000);
    const done = await sim.rate(stepsPerSecond(o.mix, o.symbols, o.rate), o.soakS);
    clearInterval(timer);
    sample();
    // The stream has stopped: let the session catch up, flush, then measure what the heap returns to.
    const caughtUp = performance.now();
    while (probe.frames < done.framesSent && performance.now() - caughtUp < 60_000) await sleep(20);
    await session.flush();
    const stats = session.stats();
    while ((session.stats().strategy?.queued ?? 0) > 0 && performance.now() - caughtUp < 120_000) await sleep(20);
    await sleep(1500); // a periodic flush and the strategy's last bar
    await fullGc();
    const heapAfterStopMb = memoryMb().heapUsed;
    const spacesEnd = spaces();
    const rssAfterStopMb = memoryMb().rss;
    // DuckDB's own accounting of its memory (buffer pool, ART indexes, ...), by tag.
    const duckdb: Record<string, number> = {};
    try {
      const conn = await probe.writer!.connect();
      const rows = (await conn.runAndReadAll('SELECT tag, memory_usage_bytes FROM duckdb_memory()')).getRowObjectsJS();
      for (const r of rows) if (Number(r.memory_usage_bytes) > 0) duckdb[String(r.tag)] = Number(r.memory_usage_bytes) / 2 ** 20;
      conn.closeSync();
    } catch {
      // duckdb_memory() unavailable: leave the breakdown empty
    }
    const heapSpaceGrowthMb = Object.fromEntries(Object.entries(spacesEnd).map(([k, v]) => [k, v - (spacesStart[k] ?? 0)]).filter(([, d]) => Math.abs(d as number) >= 0.05));
    await session.stop();
    const afterWarm = samples.filter((s) => s.t >= warmS).slice(0, 5).map((s) => s.rss);
    const end = samples.slice(-5).map((s) => s.rss);
    const rssAfterWarmMb = median(afterWarm);
    const rssEndMb = median(end);
    return {
      mix: o.mix.name, rate: o.rate, symbols: o.symbols, soakS: o.soakS, warmS,
      framesReceived: probe.frames, framesExpected: done.framesSent, achievedRate: done.framesSent / (done.wallMs / 1000),
      rssAfterWarmMb, rssEndMb, rssGrowth: rssEndMb / rssAfterWarmMb - 1, rssPeakMb: Math.max(...samples.map((s) => s.rss)),
      heapStartMb, heapAfterStopMb, heapSpaceGrowthMb, rssAfterStopMb, duckdbMemoryMb: duckdb, heapReturn: heapAfterStopMb / heapStartMb, heapPeakMb: Math.max(...samples.map((s) => s.heapUsed)),
      strategySkipped: stats.strategy?.skipped ?? 0, writerOverflow: stats.writer.overflowCount, rows: stats.writer.totalWrites,
      samples, gcAvailable: typeof exposedGc === 'function',
    };
  } finally {
    await sim.close();
    removeDb(dbPath);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  report(await runMemory({
    rate: Number(f.rate ?? 20_000), symbols: Number(f.symbols ?? 1000), soakS: Number(f['soak-s'] ?? 60),
    mix: MIXES[f.mix === 'closed' ? 'closed' : 'updates'],
    ...(f['buffer-size'] ? { storage: { buffer_size: Number(f['buffer-size']) } } : {}),
  }));
  process.exit(0);
}
