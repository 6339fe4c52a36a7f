/**
 * The DuckDB side of the writer: opens the file (creating its directory), checks or creates the table, and makes
 * one flush (one batch, or several under a backlog) durable per transaction with the fast path: dedupe in memory
 * across the flush, append rows with new keys straight into the table with the Appender (data chunks of at most one
 * batch, one appender flush), correct rows whose key this process stored with one prepared `UPDATE ... FROM` a TEMP
 * staging table, commit. Checkpoints are kept out of the flushes where possible: a larger automatic threshold, a
 * CHECKPOINT once the writer is idle, and one on close. One flush runs at a time (the writer machine runs one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, INTEGER, TIMESTAMP, VARCHAR } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement, DuckDBType, DuckDBVector } from '@duckdb/node-api';
import { barKey, type Bar } from '../domain/bar.ts';
import { describe, realtimeError } from '../errors.ts';
import type { FlushOutput } from '../../machines/writer.machine.ts';
import { KnownKeys } from './known-keys.ts';
import { createStagingSql, ensureBarTable, quoteIdent, quoteLiteral, stagingTable, updateFromStagingSql, upsertFromStagingSql } from './schema.ts';

const TABLE_TYPES = [VARCHAR, VARCHAR, VARCHAR, VARCHAR, TIMESTAMP, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, INTEGER, TIMESTAMP];
const STAGING_TYPES = [VARCHAR, VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, INTEGER, DOUBLE];
/** DuckDB's vector size: one data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

/**
 * DuckDB's automatic checkpoint threshold for the writer's instance unless `duckdbConfig` sets one. DuckDB's default
 * (16 MB of WAL, about 125,000 bars) runs a checkpoint of 0.2–0.5 s inside the commit of whichever flush crosses it,
 * and slows the next commits while the indexes reload; with 256 MB (about 2 M bars) sustained writing meets few of
 * them, and the idle checkpoint below keeps the WAL small whenever the stream pauses.
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
 * costs about 1–1.4 µs of CPU per bar more than 1 thread, in contention with Node (docs/decisions.md).
 */
export const defaultThreads = (): number => Math.max(1, os.availableParallelism() - 1);

/** Unix ms to a TIMESTAMP value (micros), one BigInt conversion when the product is exact. */
const timestamp = (ms: number): DuckDBTimestampValue => {
  const rounded = Math.round(ms);
  const micros = rounded * 1000;
  return new DuckDBTimestampValue(Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(rounded) * 1000n);
};

/** What {@link DuckDBBarStore.open} needs. */
export interface BarStoreOptions {
  readonly path: string;
  readonly table: string;
  /** false: CHECKPOINT after every flush, so nothing durable waits in the WAL. */
  readonly enableWal: boolean;
  /** Keys remembered to route rows (see {@link KnownKeys}); 0 sends every row through the upsert. */
  readonly knownKeyCapacity?: number;
  /**
   * DuckDB configuration options for the instance (`threads`, `memory_limit`, `checkpoint_threshold`, ...);
   * `threads` defaults to {@link defaultThreads}, `checkpoint_threshold` to {@link DEFAULT_CHECKPOINT_THRESHOLD}.
   */
  readonly duckdbConfig?: Readonly<Record<string, string>>;
  /** CHECKPOINT after this many ms without a flush (default {@link DEFAULT_IDLE_CHECKPOINT_MS}; 0 disables)... */
  readonly idleCheckpointMs?: number;
  /** ...once the WAL holds at least this many bytes (default {@link DEFAULT_IDLE_CHECKPOINT_WAL_BYTES}). */
  readonly idleCheckpointWalBytes?: number;
}

/** Where the rows of the last flush went. */
export interface FlushBreakdown {
  /** Rows in the flush, the machine's batches they came in, and distinct keys after the in-memory dedupe. */
  readonly rows: number;
  readonly batches: number;
  readonly distinct: number;
  /** Keys whose stored values equal the new ones: nothing to write. */
  readonly skipped: number;
  /** Rows appended as new keys, and rows upserted (corrections of stored keys). */
  readonly appended: number;
  readonly upserted: number;
  /** True when a key unknown to this process was already stored and the whole flush was upserted instead. */
  readonly fallback: boolean;
  /** Where the time went, ms: dedupe and routing, Appender into the table, staging + update, COMMIT (+ CHECKPOINT). */
  readonly ms: { readonly prepare: number; readonly append: number; readonly upsert: number; readonly commit: number };
}

const NO_TIME = { prepare: 0, append: 0, upsert: 0, commit: 0 };
const isKeyConflict = (e: unknown): boolean => /constraint|duplicate key/i.test(describe(e));

/** Owner of the DuckDB instance and the writer's connection. */
export class DuckDBBarStore {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #target: DuckDBAppender;
  readonly #staging: DuckDBAppender;
  readonly #options: BarStoreOptions;
  readonly #known: KnownKeys;
  /** The correction UPDATE, prepared once: planning it costs about 1 ms, as much as running it. */
  readonly #update: DuckDBPreparedStatement;
  readonly #upsertSql: string;
  readonly #clearSql: string;
  readonly #walPath: string | undefined;
  #stagingDirty = false;
  #closed = false;
  #flushing = false;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleCheckpoint: Promise<void> | undefined;
  #idleCheckpoints = 0;
  #last: FlushBreakdown = { rows: 0, batches: 0, distinct: 0, skipped: 0, appended: 0, upserted: 0, fallback: false, ms: NO_TIME };

  private constructor(
    instance: DuckDBInstance, conn: DuckDBConnection, target: DuckDBAppender, staging: DuckDBAppender, update: DuckDBPreparedStatement,
    options: BarStoreOptions,
  ) {
    this.#instance = instance;
    this.#conn = conn;
    this.#target = target;
    this.#staging = staging;
    this.#options = options;
    this.#known = new KnownKeys(options.knownKeyCapacity ?? 65_536);
    this.#clearSql = `DELETE FROM temp.main.${quoteIdent(stagingTable(options.table))}`;
    this.#update = update;
    this.#upsertSql = upsertFromStagingSql(options.table);
    this.#walPath = options.path === ':memory:' ? undefined : `${path.resolve(options.path)}.wal`;
  }

  /** Opens (or creates) the database file and the table; CONFIG_INVALID when the table has another shape. */
  static async open(options: BarStoreOptions): Promise<DuckDBBarStore> {
    if (options.path !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, {
        checkpoint_threshold: DEFAULT_CHECKPOINT_THRESHOLD, threads: String(defaultThreads()), ...options.duckdbConfig,
      });
    } catch (e) {
      throw realtimeError('STORAGE_UNAVAILABLE', `cannot open DuckDB database ${options.path}: ${describe(e)}`, { path: options.path });
    }
    try {
      const conn = await instance.connect();
      await ensureBarTable(conn, options.table);
      await conn.run(createStagingSql(options.table));
      const target = await conn.createAppender(options.table);
      const staging = await conn.createAppender(stagingTable(options.table), 'main', 'temp');
      const update = await conn.prepare(updateFromStagingSql(options.table));
      return new DuckDBBarStore(instance, conn, target, staging, update, options);
    } catch (e) {
      instance.closeSync();
      throw e;
    }
  }

  /** The DuckDB instance, for read-only queries from other components in this process. */
  get instance(): DuckDBInstance {
    return this.#instance;
  }

  /** A new connection on the same instance (reads see every committed flush). */
  connect(): Promise<DuckDBConnection> {
    return this.#instance.connect();
  }

  /** How the last flush split its rows (for benchmarks and tests). */
  get lastFlush(): FlushBreakdown {
    return this.#last;
  }

  /** CHECKPOINTs run because the writer was idle (for tests and benchmarks). */
  get idleCheckpoints(): number {
    return this.#idleCheckpoints;
  }

  /**
   * Makes one flush durable: its batches (each at most the machine's buffer size; one unless the machine grouped a
   * backlog) in one transaction. Resolves once committed (and checkpointed when the WAL is disabled); on failure
   * nothing of it is committed and it may be retried as a whole.
   */
  async flush(rows: readonly Bar[], batches: readonly (readonly Bar[])[] = [rows]): Promise<FlushOutput> {
    const started = performance.now();
    if (this.#closed) throw realtimeError('CLOSED', 'the store is closed');
    this.#flushing = true;
    this.#cancelIdleCheckpoint();
    let ok = false;
    try {
      if (this.#idleCheckpoint) await this.#idleCheckpoint;
      await this.#flush(rows, batches, started);
      ok = true;
    } finally {
      this.#flushing = false;
      // Not after a failed flush: on a full disk a failed CHECKPOINT invalidates the database (a failed commit does not).
      if (ok) this.#armIdleCheckpoint();
    }
    return { durationMs: performance.now() - started, finishedAt: Date.now() };
  }

  async #flush(rows: readonly Bar[], batches: readonly (readonly Bar[])[], started: number): Promise<void> {
    // Last write wins across the whole flush (one transaction; ON CONFLICT cannot touch one key twice per statement).
    const latest = new Map<string, Bar>();
    for (const batch of batches) for (const bar of batch) latest.set(barKey(bar), bar);
    const fresh: Bar[] = [];
    const freshKeys: string[] = [];
    const changed: Bar[] = [];
    const changedKeys: string[] = [];
    // forEach: iterating a Map with for...of allocates an entry array per key.
    latest.forEach((bar, key) => {
      const known = this.#known.find(key, bar);
      if (known === undefined) { fresh.push(bar); freshKeys.push(key); }
      else if (!sameValues(known, bar)) { changed.push(bar); changedKeys.push(key); }
    });
    let fallback = false;
    const ms = { prepare: performance.now() - started, append: 0, upsert: 0, commit: 0 };
    // Data chunks of at most one batch each: never more rows per append than the machine's buffer size.
    let slice = 1;
    for (const batch of batches) slice = Math.max(slice, batch.length);
    if (fresh.length + changed.length > 0) {
      let mark = performance.now();
      const lap = (phase: 'append' | 'upsert' | 'commit') => {
        const now = performance.now();
        ms[phase] += now - mark;
        mark = now;
      };
      try {
        await this.#begin(changed.length > 0);
        this.#append(fresh, freshKeys, slice);
        lap('append');
        if (changed.length > 0) await this.#correct(changed, slice);
        lap('upsert');
        await this.#conn.run('COMMIT');
        lap('commit');
      } catch (e) {
        await this.#abort();
        // A key this process did not know was stored already (an earlier run, or forgotten): upsert the whole flush.
        if (fresh.length === 0 || !isKeyConflict(e)) throw e;
        fallback = true;
        mark = performance.now();
        try {
          await this.#begin(true);
          this.#stage(changed.length === 0 ? fresh : [...fresh, ...changed], slice);
          await this.#conn.run(this.#upsertSql);
          lap('upsert');
          await this.#conn.run('COMMIT');
        } catch (e2) {
          await this.#abort();
          throw e2;
        }
      }
      if (!this.#options.enableWal) await this.#conn.run('CHECKPOINT');
      lap('commit');
      for (let i = 0; i < fresh.length; i++) this.#known.set(freshKeys[i]!, fresh[i]!);
      for (let i = 0; i < changed.length; i++) this.#known.set(changedKeys[i]!, changed[i]!);
    }
    this.#last = { rows: rows.length, batches: batches.length, distinct: latest.size, skipped: latest.size - fresh.length - changed.length,
      appended: fallback ? 0 : fresh.length, upserted: fallback ? fresh.length + changed.length : changed.length, fallback, ms };
  }

  /** BEGIN, emptying the staging table in the same round trip when this transaction will use it. */
  async #begin(staging: boolean): Promise<void> {
    // The DELETE is part of the transaction: a rollback brings the old staging rows back, so `dirty` stays set.
    await this.#conn.run(staging && this.#stagingDirty ? `BEGIN; ${this.#clearSql}` : 'BEGIN');
  }

  /**
   * Appends rows with new keys straight into the table (inside the open transaction; the key is still checked):
   * data chunks of at most one batch each, then one appender flush for the whole transaction (each appender flush
   * has a fixed cost of about 0.5 ms on a keyed table).
   */
  #append(bars: readonly Bar[], keys: readonly string[], slice: number): void {
    if (bars.length === 0) return;
    const size = Math.min(CHUNK_ROWS, slice);
    for (let at = 0; at < bars.length; at += size) this.#target.appendDataChunk(tableChunk(bars, keys, at, Math.min(size, bars.length - at)));
    this.#target.flushSync();
  }

  /** Stages corrections of stored keys and applies them with one UPDATE; upserts instead if a row was missing. */
  async #correct(bars: readonly Bar[], slice: number): Promise<void> {
    this.#stage(bars, slice);
    const updated = await this.#update.run();
    // A key remembered as stored but gone from the table (deleted by someone else): insert it as well.
    if (updated.rowsChanged !== bars.length) await this.#conn.run(this.#upsertSql);
  }

  /** Appends rows to the (emptied) TEMP staging table inside the open transaction, in chunks of at most one batch. */
  #stage(bars: readonly Bar[], slice: number): void {
    this.#stagingDirty = true;
    const size = Math.min(CHUNK_ROWS, slice);
    for (let at = 0; at < bars.length; at += size) this.#staging.appendDataChunk(stagingChunk(bars, at, Math.min(size, bars.length - at)));
    this.#staging.flushSync();
  }

  /** Drops whatever the failed attempt left in the appenders and rolls the transaction back. */
  async #abort(): Promise<void> {
    for (const appender of [this.#target, this.#staging]) {
      try {
        appender.clear();
      } catch {
        // Nothing buffered.
      }
    }
    try {
      await this.#conn.run('ROLLBACK');
    } catch {
      // No transaction left open (DuckDB already ended the failed one): nothing to undo.
    }
  }

  #cancelIdleCheckpoint(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** After a flush: CHECKPOINT once no other flush has started for `idleCheckpointMs` and the WAL is large enough. */
  #armIdleCheckpoint(): void {
    const delay = this.#options.idleCheckpointMs ?? DEFAULT_IDLE_CHECKPOINT_MS;
    if (this.#closed || delay <= 0 || this.#walPath === undefined || !this.#options.enableWal) return;
    this.#cancelIdleCheckpoint();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#closed || this.#flushing || this.#idleCheckpoint) return;
      if (this.#walBytes() < (this.#options.idleCheckpointWalBytes ?? DEFAULT_IDLE_CHECKPOINT_WAL_BYTES)) return;
      // A flush arriving meanwhile waits for it; a failure only leaves the WAL as it was (nothing is lost).
      this.#idleCheckpoint = this.#conn.run('CHECKPOINT').then(() => { this.#idleCheckpoints++; }, () => undefined)
        .finally(() => { this.#idleCheckpoint = undefined; });
    }, delay);
    this.#idleTimer.unref?.();
  }

  #walBytes(): number {
    try {
      return this.#walPath === undefined ? 0 : fs.statSync(this.#walPath).size;
    } catch {
      return 0;
    }
  }

  /** Folds the WAL into the database file. */
  async checkpoint(): Promise<void> {
    await this.#conn.run('CHECKPOINT');
  }

  /** Writes the table as Hive-partitioned Parquet in Argo Trading's layout; resolves with the row count. */
  async exportParquet(dir: string, where?: string): Promise<number> {
    if (this.#closed) throw realtimeError('CLOSED', 'the store is closed');
    const conn = await this.#instance.connect();
    try {
      fs.mkdirSync(dir, { recursive: true });
      const sql = `COPY (SELECT id, "timestamp" AS time, symbol, open, high, low, close, volume, ` +
        `strftime("timestamp", '%Y-%m-%d') AS date FROM ${quoteIdent(this.#options.table)}${where ? ` WHERE ${where}` : ''} ` +
        `ORDER BY symbol, "timestamp") TO ${quoteLiteral(dir)} (FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE)`;
      const result = await conn.run(sql);
      return result.rowsChanged;
    } finally {
      conn.closeSync();
    }
  }

  /** CHECKPOINTs and releases the file; the instance is closed even when the checkpoint fails. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelIdleCheckpoint();
    try {
      if (this.#idleCheckpoint) await this.#idleCheckpoint;
      await this.#conn.run('CHECKPOINT');
    } finally {
      this.#update.destroySync();
      this.#target.closeSync();
      this.#staging.closeSync();
      this.#conn.closeSync();
      this.#instance.closeSync();
    }
  }
}

/** True when two bars carry the same stored values (`received_at` excepted: a re-delivery changes nothing). */
const sameValues = (a: Bar, b: Bar): boolean =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume &&
  a.vwap === b.vwap && a.tradeCount === b.tradeCount;

/** Fills every vector of a fresh data chunk of `n` rows from `fill`, then flushes the vectors into the chunk. */
const filledChunk = (types: readonly DuckDBType[], n: number, fill: (v: DuckDBVector[]) => void): DuckDBDataChunk => {
  const chunk = DuckDBDataChunk.create(types, n);
  const vectors: DuckDBVector[] = [];
  for (let c = 0; c < types.length; c++) vectors.push(chunk.getColumnVector(c));
  fill(vectors);
  for (const v of vectors) v.flush();
  return chunk;
};

/** Table rows `[from, from + n)`: written straight into the chunk's vectors, no per-column arrays. */
const tableChunk = (bars: readonly Bar[], keys: readonly string[], from: number, n: number): DuckDBDataChunk =>
  filledChunk(TABLE_TYPES, n, ([id, provider, symbol, interval, ts, open, high, low, close, volume, vwap, trades, received]) => {
    for (let i = 0; i < n; i++) {
      const b = bars[from + i]!;
      id!.setItem(i, keys[from + i]!);
      provider!.setItem(i, b.provider);
      symbol!.setItem(i, b.symbol);
      interval!.setItem(i, b.interval);
      ts!.setItem(i, timestamp(b.openTime));
      open!.setItem(i, b.open);
      high!.setItem(i, b.high);
      low!.setItem(i, b.low);
      close!.setItem(i, b.close);
      volume!.setItem(i, b.volume);
      vwap!.setItem(i, b.vwap);
      trades!.setItem(i, b.tradeCount);
      received!.setItem(i, timestamp(b.receivedAt));
    }
  });

/** Staging rows `[from, from + n)`: times as DOUBLE Unix ms, `id` is built in SQL. */
const stagingChunk = (bars: readonly Bar[], from: number, n: number): DuckDBDataChunk =>
  filledChunk(STAGING_TYPES, n, ([provider, symbol, interval, openTime, open, high, low, close, volume, vwap, trades, received]) => {
    for (let i = 0; i < n; i++) {
      const b = bars[from + i]!;
      provider!.setItem(i, b.provider);
      symbol!.setItem(i, b.symbol);
      interval!.setItem(i, b.interval);
      openTime!.setItem(i, b.openTime);
      open!.setItem(i, b.open);
      high!.setItem(i, b.high);
      low!.setItem(i, b.low);
      close!.setItem(i, b.close);
      volume!.setItem(i, b.volume);
      vwap!.setItem(i, b.vwap);
      trades!.setItem(i, b.tradeCount);
      received!.setItem(i, b.receivedAt);
    }
  });
