/**
 * The DuckDB data services over a real database file in a temp dir: bars come back as domain bars, and
 * `executeSQL` runs SELECTs only, refusing every statement that writes, attaches, copies, loads, configures
 * or reads files, leaving the table and the directory unchanged.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDBData, type DuckDBDataService } from '../../src/strategy/duckdb-data.ts';
import { ReadOnlyQueryError, type ReadOnlyQueryReason } from '../../src/strategy/errors.ts';
import { T0, bar } from './helpers.ts';

// The bar table as the writer (issue 3, src/storage/schema.ts) creates it.
const DDL = `CREATE TABLE realtime_market_data (
  id VARCHAR NOT NULL, provider VARCHAR NOT NULL, symbol VARCHAR NOT NULL, "interval" VARCHAR NOT NULL,
  "timestamp" TIMESTAMP NOT NULL, open DOUBLE NOT NULL, high DOUBLE NOT NULL, low DOUBLE NOT NULL, close DOUBLE NOT NULL,
  volume DOUBLE NOT NULL, vwap DOUBLE, trade_count INTEGER, received_at TIMESTAMP NOT NULL,
  PRIMARY KEY (provider, symbol, "interval", "timestamp"))`;

let dir: string;
let instance: DuckDBInstance;
let writer: DuckDBConnection;
let data: DuckDBDataService;

const fingerprint = async (): Promise<string> => {
  const reader = await writer.runAndReadAll(`SELECT count(*)::INTEGER AS n, sum(close) AS s FROM realtime_market_data`);
  return JSON.stringify(reader.getRowObjectsJson());
};

const refusal = async (query: string): Promise<ReadOnlyQueryError> => {
  const error = await data.executeSQL(query).then(() => undefined, (e: unknown) => e);
  expect(error, query).toBeInstanceOf(ReadOnlyQueryError);
  return error as ReadOnlyQueryError;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strategy-duckdb-'));
  instance = await DuckDBInstance.create(join(dir, 'session.duckdb'));
  writer = await instance.connect();
  await writer.run(DDL);
  for (let i = 0; i < 10; i++) {
    const b = bar(i, 100 + i);
    await writer.run(
      `INSERT INTO realtime_market_data VALUES ($id, 'binance', 'BTCUSDT', '1m', epoch_ms($t::BIGINT), $c, $c, $c, $c, 2, NULL, 5, epoch_ms($r::BIGINT))`,
      { id: `binance|BTCUSDT|1m|${b.openTime}`, t: b.openTime, c: b.close, r: b.receivedAt },
    );
  }
  data = await openDuckDBData({ instance, maxRows: 50, queryTimeoutMs: 300 });
});

afterAll(async () => {
  await data.close();
  writer.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('bars', () => {
  it('returns the bars of a symbol and interval whose open lies in [start, end), oldest first', async () => {
    const bars = await data.getRange('BTCUSDT', bar(2).openTime, bar(5).openTime, '1m');
    expect(bars).toEqual([2, 3, 4].map((i) => ({ ...bar(i, 100 + i), volume: 2, vwap: null, tradeCount: 5 })));
    expect(await data.getRange('BTCUSDT', T0, bar(9).openTime, '5m')).toEqual([]);
  });

  it('returns the latest bar of a symbol, or undefined when there is none', async () => {
    expect((await data.readLastData('BTCUSDT'))?.openTime).toBe(bar(9).openTime);
    expect(await data.readLastData('BTCUSDT', '1h')).toBeUndefined();
    expect(await data.readLastData('ETHUSDT')).toBeUndefined();
  });
});

describe('executeSQL', () => {
  it('runs a SELECT with positional and named parameters', async () => {
    expect(await data.executeSQL('SELECT count(*) AS n FROM realtime_market_data WHERE close >= $1 AND symbol = $2', [105, 'BTCUSDT']))
      .toEqual([{ n: 5 }]);
    expect(await data.executeSQL('SELECT $a::INTEGER + $b::INTEGER AS sum', { a: 2, b: 3 })).toEqual([{ sum: 5 }]);
  });

  it('returns BIGINTs as numbers, huge ones as bigint, and timestamps as Unix ms', async () => {
    const rows = await data.executeSQL(`SELECT max("timestamp") AS last, 9007199254740993::BIGINT AS huge, [1, 2]::BIGINT[] AS list FROM realtime_market_data`);
    expect(rows).toEqual([{ last: bar(9).openTime, huge: 9007199254740993n, list: [1, 2] }]);
  });

  it('allows catalog queries: DESCRIBE, SHOW TABLES and duckdb_tables()', async () => {
    expect(await data.executeSQL('SHOW TABLES')).toEqual([{ name: 'realtime_market_data' }]);
    expect((await data.executeSQL('DESCRIBE realtime_market_data')).map((r) => r.column_name)).toContain('trade_count');
    expect(await data.executeSQL('SELECT table_name FROM duckdb_tables()')).toEqual([{ table_name: 'realtime_market_data' }]);
  });

  const refused: [string, (d: string) => string, ReadOnlyQueryReason][] = [
    ['DROP', () => 'DROP TABLE realtime_market_data', 'not_select'],
    ['INSERT', () => `INSERT INTO realtime_market_data SELECT * FROM realtime_market_data`, 'not_select'],
    ['UPDATE', () => 'UPDATE realtime_market_data SET close = 0', 'not_select'],
    ['DELETE', () => 'DELETE FROM realtime_market_data', 'not_select'],
    ['CREATE', () => 'CREATE TABLE stolen AS SELECT * FROM realtime_market_data', 'not_select'],
    ['ATTACH', (d) => `ATTACH '${d}/other.duckdb' AS other`, 'not_select'],
    ['COPY ... TO', (d) => `COPY realtime_market_data TO '${d}/dump.csv'`, 'not_select'],
    ['COPY (SELECT) TO', (d) => `COPY (SELECT * FROM realtime_market_data) TO '${d}/dump.parquet' (FORMAT parquet)`, 'not_select'],
    ['EXPORT DATABASE', (d) => `EXPORT DATABASE '${d}/export'`, 'not_select'],
    ['INSTALL', () => 'INSTALL httpfs', 'not_select'],
    ['LOAD', () => 'LOAD httpfs', 'not_select'],
    ['SET', () => "SET enable_external_access = true", 'not_select'],
    ['PRAGMA', () => 'PRAGMA table_info(realtime_market_data)', 'not_select'],
    ['CALL', () => 'CALL pragma_version()', 'not_select'],
    ['CHECKPOINT', () => 'CHECKPOINT', 'not_select'],
    ['a transaction', () => 'BEGIN TRANSACTION', 'not_select'],
    ['multiple statements', () => 'SELECT 1; DROP TABLE realtime_market_data', 'multiple_statements'],
    ['read_csv', () => "SELECT * FROM read_csv('/etc/passwd')", 'forbidden_function'],
    ['read_text in a subquery', () => "SELECT (SELECT content FROM read_text('/etc/passwd')) AS x", 'forbidden_function'],
    ['read_parquet in a CTE', (d) => `WITH x AS (SELECT * FROM read_parquet('${d}/*.parquet')) SELECT * FROM x`, 'forbidden_function'],
    ['glob', () => "SELECT * FROM glob('/etc/*')", 'forbidden_function'],
    ['query()', () => "SELECT * FROM query('SELECT 1')", 'forbidden_function'],
    ['a file path as table', () => "SELECT * FROM '/etc/passwd'", 'forbidden_table'],
    ['a URL as table', () => "FROM 'https://example.com/data.csv'", 'forbidden_table'],
    ['DESCRIBE of a file', () => "DESCRIBE '/etc/passwd'", 'forbidden_table'],
    ['nextval', () => "SELECT nextval('seq')", 'forbidden_function'],
    ['current_setting', () => "SELECT current_setting('temp_directory') AS t", 'forbidden_function'],
    ['getvariable', () => "SELECT getvariable('x') AS v", 'forbidden_function'],
    ['pg_settings', () => 'SELECT * FROM pg_settings', 'forbidden_table'],
    ['pg_catalog.pg_settings', () => "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'enable_external_access'", 'forbidden_table'],
    ['duckdb_settings()', () => 'SELECT * FROM duckdb_settings()', 'forbidden_function'],
    ['the duckdb_databases view', () => 'SELECT path FROM duckdb_databases', 'forbidden_table'],
    ['duckdb_databases()', () => 'SELECT path FROM duckdb_databases()', 'forbidden_function'],
    ['pragma_database_list', () => 'SELECT file FROM pragma_database_list', 'forbidden_table'],
    ['pg_database', () => 'SELECT * FROM pg_catalog.pg_database', 'forbidden_table'],
  ];

  it.each(refused)('refuses %s with a clear error and changes nothing', async (_label, sql, reason) => {
    const before = await fingerprint();
    const files = readdirSync(dir).sort();
    const error = await refusal(sql(dir));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(/^executeSQL refused the query: /);
    expect(await fingerprint()).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('names the statement it refused', async () => {
    expect((await refusal('  -- comment\n drop table realtime_market_data')).message).toContain('starts with DROP');
  });

  it('refuses an empty query', async () => {
    expect((await refusal('  ')).reason).toBe('empty');
  });

  it('refuses a result larger than maxRows instead of truncating it', async () => {
    const error = await refusal('SELECT * FROM range(51)');
    expect(error).toMatchObject({ reason: 'too_many_rows', message: 'executeSQL: the result has more than 50 rows; add a LIMIT or aggregate' });
    expect(await data.executeSQL('SELECT * FROM range(50)')).toHaveLength(50);
  });

  it('refuses a result larger than maxBytes before converting all of it', async () => {
    const error = await refusal("SELECT repeat('x', 1000000) AS s FROM range(20)");
    expect(error).toMatchObject({ reason: 'too_large', message: 'executeSQL: the result is larger than 16777216 bytes; add a LIMIT or aggregate' });
    expect(await data.executeSQL("SELECT repeat('x', 1000) AS s FROM range(10)")).toHaveLength(10);
  });

  it('turns external access off for the whole instance', async () => {
    const r = await writer.runAndReadAll("SELECT current_setting('enable_external_access') AS on");
    expect(r.getRowObjectsJS()).toEqual([{ on: false }]);
    await expect(writer.run(`COPY (SELECT 1) TO '${dir}/leak.csv'`)).rejects.toThrow(/disabled by configuration/);
  });

  it('interrupts a query that runs longer than queryTimeoutMs and stays usable', async () => {
    const error = await refusal('SELECT count(*) FROM range(1000000000000)');
    expect(error).toMatchObject({ reason: 'timeout', message: 'executeSQL was interrupted after 300 ms' });
    expect(await data.executeSQL('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('passes DuckDB errors through and stays usable', async () => {
    await expect(data.executeSQL('SELEC 1')).rejects.toThrow(/Parser Error/);
    await expect(data.executeSQL('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    expect(await data.executeSQL('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });

  it('refuses calls past maxQueued, and on close interrupts the query in hand and refuses the queued ones', async () => {
    const own = mkdtempSync(join(tmpdir(), 'argo-sql-close-'));
    try {
      const service = await openDuckDBData({ path: join(own, 'db.duckdb'), queryTimeoutMs: 600_000 });
      const slow = Array.from({ length: 6 }, () => service.executeSQL('SELECT count(*) AS n FROM range(100000000000000)'));
      await service.close();
      const settled = await Promise.allSettled(slow);
      // One runs, three wait, the two beyond maxQueued are refused at once; close ends the four.
      expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as ReadOnlyQueryError).reason : 'fulfilled')))
        .toEqual(['closed', 'closed', 'closed', 'closed', 'busy', 'busy']);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('opens the file itself when no instance is given', async () => {
    const own = mkdtempSync(join(tmpdir(), 'strategy-duckdb-own-'));
    try {
      const setup = await DuckDBInstance.create(join(own, 'db.duckdb'));
      const c = await setup.connect();
      await c.run(DDL);
      c.closeSync();
      setup.closeSync();
      const service = await openDuckDBData({ path: join(own, 'db.duckdb') });
      expect(await service.executeSQL('SELECT count(*) AS n FROM realtime_market_data')).toEqual([{ n: 0 }]);
      await expect(service.executeSQL('DROP TABLE realtime_market_data')).rejects.toBeInstanceOf(ReadOnlyQueryError);
      await service.close();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
