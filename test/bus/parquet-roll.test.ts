/**
 * Bus → Hive-partitioned Parquet: bars of two days and two providers, with a correction, read back from the
 * stream and written under date=/provider=/interval=; DuckDB reads the directory back as one table.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { connectBus } from '../../src/bus/connection.ts';
import { ParquetRoller, rollBusToParquet } from '../../src/bus/parquet-roll.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 23, 50);
const bar = (provider: string, symbol: string, openTime: number, close = 100): Bar => ({
  provider, symbol, interval: '1m', openTime, closeTime: openTime + 59_999, open: 100, high: 101, low: 99, close, volume: 1, vwap: 100, tradeCount: 1, final: true, receivedAt: 0,
});

const query = async (sql: string) => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

describe('parquet roll', () => {
  it('writes the bus\'s bars partitioned by date, provider and interval, a correction replacing its bar', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const config = decodeBusConfig({ url: nats.url, stream: 'BARS' });
    const publisher = await BusPublisher.open(config);
    for (let i = 0; i < 20; i++) {
      publisher.publish(bar('binance', 'BTCUSDT', T0 + i * 60_000));
      publisher.publish(bar('polygon', 'AAPL', T0 + i * 60_000));
    }
    publisher.publish({ ...bar('binance', 'BTCUSDT', T0), close: 42, correction: true });
    await publisher.flush(10_000);
    await publisher.close();

    const dir = mkdtempSync(join(tmpdir(), 'argo-parquet-'));
    const nc = await connectBus(config, 'test');
    cleanups.push(() => nc.close());
    const all = await rollBusToParquet(nc, config, dir);
    expect(all).toMatchObject({ rows: 40, messages: 41 });
    expect(all.partitions).toEqual([
      { date: '2026-01-01', provider: 'binance', interval: '1m', rows: 10 }, { date: '2026-01-01', provider: 'polygon', interval: '1m', rows: 10 },
      { date: '2026-01-02', provider: 'binance', interval: '1m', rows: 10 }, { date: '2026-01-02', provider: 'polygon', interval: '1m', rows: 10 },
    ]);
    expect(readdirSync(dir).sort()).toEqual(['date=2026-01-01', 'date=2026-01-02']);
    expect(readdirSync(join(dir, 'date=2026-01-01')).sort()).toEqual(['provider=binance', 'provider=polygon']);
    expect(readdirSync(join(dir, 'date=2026-01-01', 'provider=binance'))).toEqual(['interval=1m']);

    const glob = `${dir}/**/*.parquet`;
    const rows = await query(`SELECT date::VARCHAR AS date, provider, count(*) AS n FROM read_parquet('${glob}', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`);
    expect(rows.map((r) => [r.date, r.provider, Number(r.n)])).toEqual([
      ['2026-01-01', 'binance', 10], ['2026-01-01', 'polygon', 10], ['2026-01-02', 'binance', 10], ['2026-01-02', 'polygon', 10],
    ]);
    const first = await query(`SELECT close, correction FROM read_parquet('${glob}', hive_partitioning = true) WHERE symbol = 'BTCUSDT' AND "timestamp" = epoch_ms(${T0})`);
    expect(first).toEqual([{ close: 42, correction: true }]);

    // Rolling a window again rewrites the same files: the table still holds each bar once.
    const window = { fromMs: Date.UTC(2026, 0, 2), toMs: Date.UTC(2026, 0, 2) + DAY };
    const rolls = mkdtempSync(join(tmpdir(), 'argo-parquet-rolls-'));
    const roller = new ParquetRoller(nc, config, rolls, DAY, 1_000, (e) => { throw e; });
    await roller.rollWindow(window.fromMs);
    await roller.rollWindow(window.fromMs);
    expect(roller.last).toMatchObject({ rows: 20 });
    expect(readdirSync(rolls)).toEqual(['date=2026-01-02']);
    const again = await query(`SELECT count(*) AS n, count(DISTINCT (symbol, "timestamp")) AS d FROM read_parquet('${rolls}/**/*.parquet', hive_partitioning = true)`);
    expect(again.map((r) => [Number(r.n), Number(r.d)])).toEqual([[20, 20]]);
  }, 60_000);

  it('rolls each closed window on its schedule', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const config = decodeBusConfig({ url: nats.url, stream: 'BARS' });
    const nc = await connectBus(config, 'test');
    cleanups.push(() => nc.close());
    const dir = mkdtempSync(join(tmpdir(), 'argo-parquet-sched-'));
    const roller = new ParquetRoller(nc, config, dir, 1_000, 1, (e) => { throw e; });
    const publisher = await BusPublisher.open(config);
    publisher.publish(bar('binance', 'BTCUSDT', Date.now()));
    await publisher.flush(10_000);
    await publisher.close();
    const rolled = new Promise<number>((resolve) => { roller.onRolled = (r) => { if (r.rows > 0) resolve(r.rows); }; });
    roller.start();
    expect(await rolled).toBe(1);
    await roller.stop();
    const rows = await query(`SELECT symbol FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`);
    expect(rows).toEqual([{ symbol: 'BTCUSDT' }]);
  }, 30_000);
});
