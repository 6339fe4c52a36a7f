/**
 * Export of recorded bars to Hive-partitioned Parquet (`argo-realtime export`): one directory per UTC date,
 * provider and interval, `date=YYYY-MM-DD/provider=<p>/interval=<i>/data.parquet` (the layout of
 * `hive-layout.ts`, which the bus's Parquet roll writes too), so one interval's bars never mix with another's. Times are written as TIMESTAMPTZ (Parquet `isAdjustedToUTC=true`).
 *
 * Re-exporting is incremental and never duplicates: each touched partition is rewritten as the union of what it
 * held and what the database holds for it, one row per (symbol, time), the database's row winning; the new file
 * is written under a hidden name and renamed over the old one, so a reader sees the old or the new partition.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import { describe, realtimeError } from '../errors.ts';
import { partitionDir } from './hive-layout.ts';
import { quoteIdent, quoteLiteral } from './schema.ts';

/** What to export. */
export interface BarExportOptions {
  /** Bar table (default `realtime_market_data`). */
  readonly table?: string;
  /** Only these providers / intervals / symbols (all when absent). */
  readonly providers?: readonly string[];
  readonly intervals?: readonly string[];
  readonly symbols?: readonly string[];
  /** Bars whose open time is at or after `from` and before `to` (Unix ms, UTC). */
  readonly from?: number;
  readonly to?: number;
}

/** One partition an export wrote. */
export interface ExportedPartition {
  readonly provider: string;
  readonly interval: string;
  /** UTC `YYYY-MM-DD` of the bars' open time. */
  readonly date: string;
  /** Bars taken from the database for it. */
  readonly exported: number;
  /** Rows the partition holds now (earlier exports' rows outside this export's filter are kept). */
  readonly rows: number;
  readonly path: string;
}

/** What an export wrote. */
export interface BarExportResult {
  readonly dir: string;
  /** Bars taken from the database. */
  readonly exported: number;
  readonly partitions: readonly ExportedPartition[];
}

const COLUMNS = `id, "timestamp"::TIMESTAMPTZ AS time, symbol, open, high, low, close, volume, vwap, trade_count, received_at::TIMESTAMPTZ AS received_at`;

const inList = (column: string, values: readonly string[] | undefined): string =>
  values?.length ? `${quoteIdent(column)} IN (${values.map(quoteLiteral).join(', ')})` : '';

const whereOf = (o: BarExportOptions): string[] => [
  inList('provider', o.providers), inList('interval', o.intervals), inList('symbol', o.symbols),
  o.from !== undefined ? `"timestamp" >= epoch_ms(${Math.trunc(o.from)}::BIGINT)` : '',
  o.to !== undefined ? `"timestamp" < epoch_ms(${Math.trunc(o.to)}::BIGINT)` : '',
].filter(Boolean);

const count = async (conn: DuckDBConnection, sql: string): Promise<number> => Number((await conn.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);

/** Exports the bars of an open connection's table under `dir` (see the module doc); the connection's time zone is set to UTC. */
export const exportBarsFrom = async (conn: DuckDBConnection, dir: string, options: BarExportOptions = {}): Promise<BarExportResult> => {
  const table = quoteIdent(options.table ?? 'realtime_market_data');
  const out = resolve(dir);
  // Casting TIMESTAMP (UTC by the writer's contract) to TIMESTAMPTZ reads it in the session time zone.
  await conn.run(`SET TimeZone = 'UTC'`);
  const where = whereOf(options);
  let touched: { provider: string; interval: string; date: string; n: number }[];
  try {
    touched = (await conn.runAndReadAll(
      `SELECT provider, "interval", strftime("timestamp", '%Y-%m-%d') AS date, count(*)::DOUBLE AS n FROM ${table}` +
      `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY ALL ORDER BY ALL`,
    )).getRowObjectsJS().map((r) => ({ provider: String(r.provider), interval: String(r.interval), date: String(r.date), n: Number(r.n) }));
  } catch (e) {
    throw realtimeError('CONFIG_INVALID', `export: cannot read bar table ${table}: ${describe(e)}`, { field: 'table' });
  }
  const partitions: ExportedPartition[] = [];
  for (const p of touched) {
    const partDir = partitionDir(out, p);
    mkdirSync(partDir, { recursive: true });
    const existing = readdirSync(partDir).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).map((f) => join(partDir, f));
    const fromDb = `SELECT 0 AS src, ${COLUMNS} FROM ${table} WHERE ${[
      `provider = ${quoteLiteral(p.provider)}`, `"interval" = ${quoteLiteral(p.interval)}`,
      `"timestamp" >= ${quoteLiteral(p.date)}::TIMESTAMP`, `"timestamp" < ${quoteLiteral(p.date)}::TIMESTAMP + INTERVAL 1 DAY`, ...where,
    ].join(' AND ')}`;
    const before = existing.length
      ? ` UNION ALL BY NAME SELECT 1 AS src, * FROM read_parquet([${existing.map(quoteLiteral).join(', ')}], hive_partitioning = false)`
      : '';
    const temp = join(partDir, `.export-${randomUUID()}.partial`);
    try {
      await conn.run(`COPY (SELECT * EXCLUDE (src) FROM (${fromDb}${before}) QUALIFY row_number() OVER (PARTITION BY symbol, time ORDER BY src) = 1 ` +
        `ORDER BY symbol, time) TO ${quoteLiteral(temp)} (FORMAT parquet)`);
      const rows = await count(conn, `SELECT count(*) FROM read_parquet(${quoteLiteral(temp)})`);
      const target = join(partDir, 'data.parquet');
      renameSync(temp, target);
      for (const f of existing) if (f !== target) rmSync(f, { force: true });
      partitions.push({ provider: p.provider, interval: p.interval, date: p.date, exported: p.n, rows, path: target });
    } catch (e) {
      rmSync(temp, { force: true });
      throw realtimeError('EXPORT_FAILED', `export: cannot write ${partDir}: ${describe(e)}`, { path: partDir });
    }
  }
  return { dir: out, exported: partitions.reduce((n, p) => n + p.exported, 0), partitions };
};

/** Opens a recorded DuckDB file read-only and exports its bars under `dir`; CONFIG_INVALID when it cannot be opened. */
export const exportBars = async (dbPath: string, dir: string, options: BarExportOptions = {}): Promise<BarExportResult> => {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
  } catch (e) {
    throw realtimeError('CONFIG_INVALID', `export: cannot open ${dbPath} read-only (a file held by a running session opens once it stops): ${describe(e)}`, { field: 'db', path: dbPath });
  }
  const conn = await instance.connect();
  try {
    return await exportBarsFrom(conn, dir, options);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

/**
 * Writes a bar table as Hive-partitioned Parquet by date in Argo Trading's layout (the writer's `exportParquet`),
 * over a connection of its own; resolves with the row count. `where` is an SQL condition built by the caller.
 */
export const copyTableToParquet = async (instance: DuckDBInstance, table: string, dir: string, where?: string): Promise<number> => {
  const conn = await instance.connect();
  try {
    fs.mkdirSync(dir, { recursive: true });
    const sql = `COPY (SELECT id, "timestamp" AS time, symbol, open, high, low, close, volume, ` +
      `strftime("timestamp", '%Y-%m-%d') AS date FROM ${quoteIdent(table)}${where ? ` WHERE ${where}` : ''} ` +
      `ORDER BY symbol, "timestamp") TO ${quoteLiteral(dir)} (FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE)`;
    return (await conn.run(sql)).rowsChanged;
  } finally {
    conn.closeSync();
  }
};
