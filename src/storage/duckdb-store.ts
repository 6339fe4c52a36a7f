/**
 * The DuckDB side of the writer: opens the file (creating its directory), checks or creates the table, and makes
 * one batch durable per flush with the fast path: dedupe in memory, append rows with new keys straight into the
 * table with the Appender (data chunks) inside a transaction, stage rows whose key may exist in a TEMP table and
 * upsert them with one `INSERT ... ON CONFLICT DO UPDATE`, commit; CHECKPOINT on close.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, INTEGER, TIMESTAMP, VARCHAR } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { barKey, type Bar } from '../domain/bar.ts';
import { describe, realtimeError } from '../errors.ts';
import type { FlushOutput } from '../../machines/writer.machine.ts';
import { KnownKeys } from './known-keys.ts';
import { createStagingSql, ensureBarTable, quoteIdent, quoteLiteral, stagingTable, upsertFromStagingSql } from './schema.ts';

const TABLE_TYPES = [VARCHAR, VARCHAR, VARCHAR, VARCHAR, TIMESTAMP, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, INTEGER, TIMESTAMP];
const STAGING_TYPES = [VARCHAR, VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, INTEGER, DOUBLE];
/** DuckDB's vector size: one data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;
const micros = (ms: number): DuckDBTimestampValue => new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);

/** What {@link DuckDBBarStore.open} needs. */
export interface BarStoreOptions {
  readonly path: string;
  readonly table: string;
  /** false: CHECKPOINT after every flush, so nothing durable waits in the WAL. */
  readonly enableWal: boolean;
  /** Keys remembered to route rows (see {@link KnownKeys}); 0 sends every row through the upsert. */
  readonly knownKeyCapacity?: number;
  /** DuckDB configuration options for the instance (`threads`, `memory_limit`, `checkpoint_threshold`, ...). */
  readonly duckdbConfig?: Readonly<Record<string, string>>;
}

/** Where the rows of the last flush went. */
export interface FlushBreakdown {
  /** Rows in the batch, and distinct keys after the in-memory dedupe (last write wins). */
  readonly rows: number;
  readonly distinct: number;
  /** Keys whose stored values equal the new ones: nothing to write. */
  readonly skipped: number;
  /** Rows appended as new keys, and rows upserted. */
  readonly appended: number;
  readonly upserted: number;
  /** True when a key unknown to this process was already stored and the whole batch was upserted instead. */
  readonly fallback: boolean;
  /** Where the time went, ms: dedupe and routing, Appender into the table, staging + upsert, COMMIT (+ CHECKPOINT). */
  readonly ms: { readonly prepare: number; readonly append: number; readonly upsert: number; readonly commit: number };
}

const NO_TIME = { prepare: 0, append: 0, upsert: 0, commit: 0 };

/** Owner of the DuckDB instance and the writer's connection. */
export class DuckDBBarStore {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #target: DuckDBAppender;
  readonly #staging: DuckDBAppender;
  readonly #options: BarStoreOptions;
  readonly #known: KnownKeys;
  readonly #upsertSql: string;
  readonly #clearSql: string;
  #stagingDirty = false;
  #closed = false;
  #last: FlushBreakdown = { rows: 0, distinct: 0, skipped: 0, appended: 0, upserted: 0, fallback: false, ms: NO_TIME };

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, target: DuckDBAppender, staging: DuckDBAppender, options: BarStoreOptions) {
    this.#instance = instance;
    this.#conn = conn;
    this.#target = target;
    this.#staging = staging;
    this.#options = options;
    this.#known = new KnownKeys(options.knownKeyCapacity ?? 65_536);
    this.#clearSql = `DELETE FROM temp.main.${quoteIdent(stagingTable(options.table))}`;
    this.#upsertSql = `${upsertFromStagingSql(options.table)}; ${this.#clearSql}`;
  }

  /** Opens (or creates) the database file and the table; CONFIG_INVALID when the table has another shape. */
  static async open(options: BarStoreOptions): Promise<DuckDBBarStore> {
    if (options.path !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, { ...options.duckdbConfig });
    } catch (e) {
      throw realtimeError('WRITE_FAILED', `cannot open DuckDB database ${options.path}: ${describe(e)}`, { path: options.path }, false);
    }
    try {
      const conn = await instance.connect();
      await ensureBarTable(conn, options.table);
      await conn.run(createStagingSql(options.table));
      const target = await conn.createAppender(options.table);
      const staging = await conn.createAppender(stagingTable(options.table), 'main', 'temp');
      return new DuckDBBarStore(instance, conn, target, staging, options);
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

  /** Upserts one batch; resolves once it is committed (and checkpointed when the WAL is disabled). */
  async flush(rows: readonly Bar[]): Promise<FlushOutput> {
    const started = performance.now();
    if (this.#closed) throw realtimeError('WRITE_FAILED', 'the store is closed', undefined, false);
    // Last write wins inside the batch (and ON CONFLICT cannot touch one key twice in a statement).
    const latest = new Map<string, Bar>();
    for (const bar of rows) latest.set(barKey(bar), bar);
    const fresh: Bar[] = [];
    const freshKeys: string[] = [];
    const maybeStored: Bar[] = [];
    const maybeKeys: string[] = [];
    for (const [key, bar] of latest) {
      const known = this.#known.get(key);
      if (known === undefined) { fresh.push(bar); freshKeys.push(key); }
      else if (!sameValues(known, bar)) { maybeStored.push(bar); maybeKeys.push(key); }
    }
    let fallback = false;
    const ms = { prepare: performance.now() - started, append: 0, upsert: 0, commit: 0 };
    if (fresh.length + maybeStored.length > 0) {
      if (this.#stagingDirty) {
        await this.#conn.run(this.#clearSql);
        this.#stagingDirty = false;
      }
      let mark = performance.now();
      const lap = (phase: 'append' | 'upsert' | 'commit') => {
        const now = performance.now();
        ms[phase] += now - mark;
        mark = now;
      };
      try {
        await this.#conn.run('BEGIN');
        this.#append(fresh, freshKeys);
        lap('append');
        if (maybeStored.length > 0) await this.#upsert(maybeStored);
        lap('upsert');
        await this.#conn.run('COMMIT');
        lap('commit');
      } catch (e) {
        await this.#abort();
        // A key this process did not know was stored already (an earlier run, or forgotten): upsert the whole batch.
        if (fresh.length === 0 || !/constraint|duplicate key/i.test(describe(e))) throw e;
        fallback = true;
        mark = performance.now();
        try {
          await this.#conn.run('BEGIN');
          await this.#upsert([...fresh, ...maybeStored]);
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
      for (let i = 0; i < maybeStored.length; i++) this.#known.set(maybeKeys[i]!, maybeStored[i]!);
    }
    this.#last = { rows: rows.length, distinct: latest.size, skipped: latest.size - fresh.length - maybeStored.length,
      appended: fallback ? 0 : fresh.length, upserted: fallback ? fresh.length + maybeStored.length : maybeStored.length, fallback, ms };
    return { durationMs: performance.now() - started, finishedAt: Date.now() };
  }

  /** Appends rows with new keys straight into the table (inside the open transaction; the key is still checked). */
  #append(bars: readonly Bar[], keys: readonly string[]): void {
    if (bars.length === 0) return;
    chunks(bars, TABLE_TYPES, (b, i, c, at) => {
      c[0]![i] = keys[at]!; c[1]![i] = b.provider; c[2]![i] = b.symbol; c[3]![i] = b.interval; c[4]![i] = micros(b.openTime);
      c[5]![i] = b.open; c[6]![i] = b.high; c[7]![i] = b.low; c[8]![i] = b.close; c[9]![i] = b.volume;
      c[10]![i] = b.vwap; c[11]![i] = b.tradeCount; c[12]![i] = micros(b.receivedAt);
    }, (chunk) => this.#target.appendDataChunk(chunk));
    this.#target.flushSync();
  }

  /** Stages rows in the TEMP table and upserts them (inside the open transaction), clearing the staging table. */
  async #upsert(bars: readonly Bar[]): Promise<void> {
    this.#stagingDirty = true;
    chunks(bars, STAGING_TYPES, (b, i, c) => {
      c[0]![i] = b.provider; c[1]![i] = b.symbol; c[2]![i] = b.interval; c[3]![i] = b.openTime;
      c[4]![i] = b.open; c[5]![i] = b.high; c[6]![i] = b.low; c[7]![i] = b.close; c[8]![i] = b.volume;
      c[9]![i] = b.vwap; c[10]![i] = b.tradeCount; c[11]![i] = b.receivedAt;
    }, (chunk) => this.#staging.appendDataChunk(chunk));
    this.#staging.flushSync();
    await this.#conn.run(this.#upsertSql);
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
    if (this.#closed) throw realtimeError('WRITE_FAILED', 'the store is closed', undefined, false);
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
    try {
      await this.#conn.run('CHECKPOINT');
    } finally {
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

/** Fills data chunks of at most 2048 rows (`row` within the chunk, `index` within `bars`) and hands each to `sink`. */
const chunks = (
  bars: readonly Bar[], types: readonly DuckDBType[],
  fill: (bar: Bar, row: number, columns: DuckDBValue[][], index: number) => void, sink: (chunk: DuckDBDataChunk) => void,
): void => {
  for (let offset = 0; offset < bars.length; offset += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, bars.length - offset);
    const columns: DuckDBValue[][] = types.map(() => new Array<DuckDBValue>(n));
    for (let i = 0; i < n; i++) fill(bars[offset + i]!, i, columns, offset + i);
    const chunk = DuckDBDataChunk.create(types, n);
    chunk.setColumns(columns);
    sink(chunk);
  }
};
