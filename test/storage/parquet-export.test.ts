/**
 * Parquet export against real DuckDB files in temp directories: the Hive layout keeps providers and intervals
 * apart, times are UTC-adjusted (checked with hyparquet, a Parquet reader independent of DuckDB), and
 * exporting again, over the same or an overlapping range, never duplicates a row.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterEach, describe, expect, it } from 'vitest';
import { exportBars, exportBarsFrom } from '../../src/storage/parquet-export.ts';
import { createTableSql } from '../../src/storage/schema.ts';

const T0 = Date.UTC(2025, 2, 3, 23, 58);
const MIN = 60_000;
const opened: { instance: DuckDBInstance; conn: DuckDBConnection }[] = [];
afterEach(() => {
  for (const { conn, instance } of opened.splice(0)) {
    conn.closeSync();
    instance.closeSync();
  }
});

type Row = [provider: string, symbol: string, interval: string, openTime: number, close: number];
const ROWS: Row[] = [
  ['binance', 'BTCUSDT', '1m', T0, 100], ['binance', 'BTCUSDT', '1m', T0 + MIN, 101], ['binance', 'BTCUSDT', '1m', T0 + 2 * MIN, 102],
  ['binance', 'ETHUSDT', '1m', T0 + 3 * MIN, 50],
  // The same symbol and open times at another interval: must never land next to the 1m bars.
  ['binance', 'BTCUSDT', '5m', T0, 900], ['binance', 'BTCUSDT', '5m', T0 + 5 * MIN, 905],
  ['polygon', 'AAPL', '1m', T0 + 2 * MIN, 200],
];

const insert = async (conn: DuckDBConnection, rows: readonly Row[]) => {
  for (const [provider, symbol, interval, t, close] of rows) {
    await conn.run(`INSERT OR REPLACE INTO realtime_market_data VALUES ('${provider}|${symbol}|${interval}|${t}', '${provider}', '${symbol}', '${interval}', epoch_ms(${t}::BIGINT), ` +
      `${close}, ${close + 1}, ${close - 1}, ${close}, 10, NULL, 5, epoch_ms(${t + 61_000}::BIGINT))`);
  }
};

/** A file database with the bar table; the connection stays open for later inserts. */
const database = async (rows: readonly Row[] = ROWS) => {
  const dir = mkdtempSync(join(tmpdir(), 'argo-parquet-'));
  const path = join(dir, 'bars.duckdb');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  opened.push({ instance, conn });
  for (const sql of createTableSql('realtime_market_data')) await conn.run(sql);
  await insert(conn, rows);
  return { dir, path, conn, out: join(dir, 'parquet') };
};

const readBack = async (conn: DuckDBConnection, out: string) =>
  (await conn.runAndReadAll(`SELECT provider, "interval", date::VARCHAR AS date, symbol, epoch_ms(time)::DOUBLE AS t, close FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) ORDER BY ALL`))
    .getRowObjectsJS().map((r) => [r.provider, r.interval, r.date, r.symbol, r.t, r.close]);

const arrayBuffer = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('exportBarsFrom', () => {
  it('writes one Hive partition per UTC date, provider and interval, so intervals never mix', async () => {
    const db = await database();
    const r = await exportBarsFrom(db.conn, db.out);
    expect(r.exported).toBe(ROWS.length);
    expect(r.partitions.map((p) => `${p.provider}/${p.interval}/${p.date}:${p.rows}`)).toEqual([
      'binance/1m/2025-03-03:2', 'binance/1m/2025-03-04:2', 'binance/5m/2025-03-03:1', 'binance/5m/2025-03-04:1', 'polygon/1m/2025-03-04:1',
    ]);
    expect(readdirSync(db.out).sort()).toEqual(['date=2025-03-03', 'date=2025-03-04']);
    expect(readdirSync(join(db.out, 'date=2025-03-04')).sort()).toEqual(['provider=binance', 'provider=polygon']);
    expect(readdirSync(join(db.out, 'date=2025-03-04', 'provider=binance')).sort()).toEqual(['interval=1m', 'interval=5m']);
    expect(readdirSync(join(db.out, 'date=2025-03-04', 'provider=binance', 'interval=1m'))).toEqual(['data.parquet']);
    const back = await readBack(db.conn, db.out);
    expect(back).toHaveLength(ROWS.length);
    expect(back.filter((r) => r[1] === '5m').map((r) => r[5])).toEqual([900, 905]);
    expect(back.find((r) => r[3] === 'AAPL')).toEqual(['polygon', '1m', '2025-03-04', 'AAPL', T0 + 2 * MIN, 200]);
  });

  it('writes UTC-adjusted timestamps whatever the connection\'s time zone, as an independent reader sees them', async () => {
    const db = await database();
    await db.conn.run(`SET TimeZone = 'America/New_York'`);
    const r = await exportBarsFrom(db.conn, db.out, { providers: ['binance'], intervals: ['1m'], symbols: ['BTCUSDT'] });
    const first = r.partitions[0]!;
    expect(first.date).toBe('2025-03-03');
    const file = arrayBuffer(first.path);
    const columns = Object.fromEntries(parquetMetadata(file).schema.map((c) => [c.name, c.logical_type]));
    expect(columns.time).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    expect(columns.received_at).toMatchObject({ type: 'TIMESTAMP', isAdjustedToUTC: true });
    const rows = await parquetReadObjects({ file });
    expect(rows.map((row) => [row.symbol, (row.time as Date).getTime(), row.close])).toEqual([['BTCUSDT', T0, 100], ['BTCUSDT', T0 + MIN, 101]]);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'time', 'symbol', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trade_count', 'received_at']);
  });

  it('never duplicates on a re-export: same range, overlapping range, new bars and revised bars', async () => {
    const db = await database();
    await exportBarsFrom(db.conn, db.out);
    await exportBarsFrom(db.conn, db.out);
    expect(await readBack(db.conn, db.out)).toHaveLength(ROWS.length);
    // A narrower export rewrites only its partitions and keeps their other rows.
    const narrow = await exportBarsFrom(db.conn, db.out, { from: T0 + MIN, to: T0 + 2 * MIN, intervals: ['1m'] });
    expect(narrow.partitions.map((p) => [p.date, p.exported, p.rows])).toEqual([['2025-03-03', 1, 2]]);
    expect(await readBack(db.conn, db.out)).toHaveLength(ROWS.length);
    // A new bar and a revised one (backfill repaired it): one row each, the database's values.
    await insert(db.conn, [['binance', 'BTCUSDT', '1m', T0 + 4 * MIN, 104], ['binance', 'BTCUSDT', '1m', T0, 99]]);
    await exportBarsFrom(db.conn, db.out, { from: Date.UTC(2025, 2, 3) });
    const back = await readBack(db.conn, db.out);
    expect(back).toHaveLength(ROWS.length + 1);
    expect(back.filter((r) => r[1] === '1m' && r[3] === 'BTCUSDT').map((r) => [r[4], r[5]])).toEqual([
      [T0, 99], [T0 + MIN, 101], [T0 + 2 * MIN, 102], [T0 + 4 * MIN, 104],
    ]);
    // Nothing but the one data file per partition: no temp file left behind.
    expect(readdirSync(join(db.out, 'date=2025-03-04', 'provider=binance', 'interval=1m'))).toEqual(['data.parquet']);
  });
});

describe('exportBars', () => {
  it('reads a closed file read-only, and names a missing file or table', async () => {
    const db = await database();
    opened.splice(0).forEach(({ conn, instance }) => { conn.closeSync(); instance.closeSync(); });
    expect((await exportBars(db.path, db.out)).exported).toBe(ROWS.length);
    await expect(exportBars(join(db.dir, 'missing.duckdb'), db.out)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(exportBars(db.path, db.out, { table: 'nope' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('"nope"') });
  });
});
