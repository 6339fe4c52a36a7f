/**
 * `argo-realtime export` as a user runs it: a recorded file to Hive-partitioned Parquet, run twice without
 * duplicating, read back by DuckDB; bad times and a missing file exit 2 with the flag named.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createTableSql } from '../../src/storage/schema.ts';
import { runCli } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 31, 23, 59);

const recorded = async (): Promise<{ dir: string; db: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'argo-cli-export-'));
  const db = join(dir, 'bars.duckdb');
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  for (const sql of createTableSql('realtime_market_data')) await conn.run(sql);
  for (const [interval, t] of [['1m', T0], ['1m', T0 + 60_000], ['1h', T0]] as const) {
    await conn.run(`INSERT INTO realtime_market_data VALUES ('binance|BTCUSDT|${interval}|${t}', 'binance', 'BTCUSDT', '${interval}', epoch_ms(${t}::BIGINT), 1, 2, 0.5, 1.5, 10, NULL, NULL, epoch_ms(${t}::BIGINT))`);
  }
  conn.closeSync();
  instance.closeSync();
  return { dir, db };
};

describe('argo-realtime export', () => {
  it('writes Hive-partitioned Parquet that DuckDB reads back, and a second run adds no row', async () => {
    const { dir, db } = await recorded();
    const out = join(dir, 'parquet');
    const first = await runCli(['export', '--db', db, '--out', out]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('3 bars into 3 partition(s)');
    expect(first.stdout).toContain('date=2026-02-01/provider=binance/interval=1m: 1 rows');
    const again = await runCli(['export', '--db', db, '--out', out, '--interval', '1m', '--from', '2026-02-01', '--json']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { exported: number }).exported).toBe(1);
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll(`SELECT "interval", count(*)::INTEGER AS n FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`)).getRowObjectsJS();
    conn.closeSync();
    instance.closeSync();
    expect(rows).toEqual([{ interval: '1h', n: 1 }, { interval: '1m', n: 2 }]);
  });

  it('exits 2 naming --from for a time without a zone, and for a missing file', async () => {
    const { dir, db } = await recorded();
    const bad = await runCli(['export', '--db', db, '--out', join(dir, 'p'), '--from', '2026-02-01T10:00']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: expected a UTC date');
    const missing = await runCli(['export', '--db', join(dir, 'nope.duckdb'), '--out', join(dir, 'p')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot open');
  });
});
