/**
 * The DuckDB side of the writer: opens the file (creating its directory), checks or creates the table, and makes
 * one flush (one batch, or several under a backlog) durable per transaction with the fast path: dedupe in memory
 * across the flush, append rows with new keys straight into the table with the Appender (data chunks of at most one
 * batch, one appender flush), correct rows whose key this process stored with one prepared `UPDATE ... FROM` a TEMP
 * staging table, commit. Checkpoints are kept out of the flushes where possible: a larger automatic threshold, a
 * CHECKPOINT once the writer is idle, and one on close. One flush runs at a time (the writer machine runs one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { Clock } from '../clock.ts';
import { barKey, type Bar } from '../domain/bar.ts';
import { describe, realtimeError } from '../errors.ts';
import type { FlushOutput } from '../../machines/writer.machine.ts';
import { IdleCheckpoint } from './idle-checkpoint.ts';
import { KnownKeys } from './known-keys.ts';
import { copyTableToParquet } from './parquet-export.ts';
import { createStagingSql, ensureBarTable, quoteIdent, stagingTable, updateFromStagingSql, upsertFromStagingSql } from './schema.ts';
import { CHUNK_ROWS, sameValues, stagingChunk, tableChunk } from './store-chunks.ts';
import { DEFAULT_IDLE_CHECKPOINT_MS, DEFAULT_IDLE_CHECKPOINT_WAL_BYTES, recorderDuckDBConfig } from './store-settings.ts';

export { DEFAULT_CHECKPOINT_THRESHOLD, DEFAULT_IDLE_CHECKPOINT_MS, DEFAULT_IDLE_CHECKPOINT_WAL_BYTES, defaultThreads } from './store-settings.ts';

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
  /** The idle checkpoint's timers (default the system clock); tests pass a manual clock. */
  readonly clock?: Clock;
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
  readonly #idle: IdleCheckpoint;
  #stagingDirty = false;
  #closed = false;
  #flushing = false;
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
    this.#idle = new IdleCheckpoint({
      delayMs: options.enableWal ? options.idleCheckpointMs ?? DEFAULT_IDLE_CHECKPOINT_MS : 0,
      minWalBytes: options.idleCheckpointWalBytes ?? DEFAULT_IDLE_CHECKPOINT_WAL_BYTES,
      walPath: options.path === ':memory:' ? undefined : `${path.resolve(options.path)}.wal`,
      checkpoint: () => this.#conn.run('CHECKPOINT'),
      busy: () => this.#closed || this.#flushing,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** Opens (or creates) the database file and the table; CONFIG_INVALID when the table has another shape. */
  static async open(options: BarStoreOptions): Promise<DuckDBBarStore> {
    if (options.path !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, recorderDuckDBConfig(options.duckdbConfig));
    } catch (e) {
      throw realtimeError('STORAGE_UNAVAILABLE', `cannot open DuckDB database ${options.path}: ${describe(e)}`, { path: options.path });
    }
    let conn: DuckDBConnection | undefined;
    try {
      conn = await instance.connect();
      await ensureBarTable(conn, options.table);
      await conn.run(createStagingSql(options.table));
      const target = await conn.createAppender(options.table);
      const staging = await conn.createAppender(stagingTable(options.table), 'main', 'temp');
      const update = await conn.prepare(updateFromStagingSql(options.table));
      return new DuckDBBarStore(instance, conn, target, staging, update, options);
    } catch (e) {
      // The connection first: an instance closed under an open connection keeps the file locked until exit.
      conn?.closeSync();
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
    return this.#idle.count;
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
    this.#idle.cancel();
    let ok = false;
    try {
      if (this.#idle.running) await this.#idle.running;
      await this.#flush(rows, batches, started);
      ok = true;
    } finally {
      this.#flushing = false;
      // Not after a failed flush: on a full disk a failed CHECKPOINT invalidates the database (a failed commit does not).
      if (ok && !this.#closed) this.#idle.arm();
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

  /** Folds the WAL into the database file. */
  async checkpoint(): Promise<void> {
    await this.#conn.run('CHECKPOINT');
  }

  /** Writes the table as Hive-partitioned Parquet in Argo Trading's layout; resolves with the row count. */
  async exportParquet(dir: string, where?: string): Promise<number> {
    if (this.#closed) throw realtimeError('CLOSED', 'the store is closed');
    return copyTableToParquet(this.#instance, this.#options.table, dir, where);
  }

  /** CHECKPOINTs and releases the file; the instance is closed even when the checkpoint fails. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle.cancel();
    try {
      if (this.#idle.running) await this.#idle.running;
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
