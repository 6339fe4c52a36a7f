/**
 * The DuckDB settings a recorder's instance opens with, each chosen for one writer appending closed bars; a
 * `duckdbConfig` key overrides any of them. What each costs is measured in docs/benchmarks.md (Findings).
 */
import os from 'node:os';

/**
 * DuckDB's automatic checkpoint threshold for the writer's instance unless `duckdbConfig` sets one. DuckDB's default
 * (16 MB of WAL, about 125,000 bars) runs a checkpoint of 0.2–0.5 s inside the commit of whichever flush crosses it,
 * and slows the next commits while the indexes reload; with 256 MB (about 2 M bars) sustained writing meets few of
 * them, and the idle checkpoint keeps the WAL small whenever the stream pauses. Cost: a crash replays up to 256 MB
 * of WAL on the next open.
 */
export const DEFAULT_CHECKPOINT_THRESHOLD = '256MB';
/** A CHECKPOINT runs once no flush has started for this long (ms)... */
export const DEFAULT_IDLE_CHECKPOINT_MS = 1_000;
/** ...and the WAL holds at least this much (DuckDB's own default threshold). */
export const DEFAULT_IDLE_CHECKPOINT_WAL_BYTES = 16 * 2 ** 20;

/**
 * DuckDB threads for the writer's instance unless `duckdbConfig` sets them: one fewer than the cores, so DuckDB's
 * pool leaves a core to Node's thread, which decodes, validates and builds the data chunks. The writer's own
 * DuckDB work (appends, COMMIT, a small UPDATE) does not run in parallel; on 2 cores DuckDB's default (2 threads)
 * costs about 1–1.4 µs of CPU per bar more than 1 thread, in contention with Node (docs/decisions.md). Cost:
 * large read queries on the same instance (`argo-realtime query` during a recording) get fewer threads.
 */
export const defaultThreads = (): number => Math.max(1, os.availableParallelism() - 1);

/**
 * The instance options: the defaults above under `overrides`. `memory_limit` and `preserve_insertion_order` keep
 * DuckDB's defaults on purpose: a recorder's buffer manager holds a few MB (the indexes and the TEMP staging
 * table, see docs/benchmarks.md), far below any limit, and turning off insertion order would change what a
 * `SELECT` without `ORDER BY` returns for readers of the file, for no gain in appends.
 */
export const recorderDuckDBConfig = (overrides: Readonly<Record<string, string>> = {}): Record<string, string> => ({
  checkpoint_threshold: DEFAULT_CHECKPOINT_THRESHOLD, threads: String(defaultThreads()), ...overrides,
});
