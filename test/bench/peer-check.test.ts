/**
 * The peer benchmark's exactness check (bench/support/peer-check.ts) against a real simulator and a real DuckDB
 * file: it passes a file holding the simulator's closed candles, and counts a changed and a missing one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { checkClosedBars } from '../../bench/support/peer-check.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/simulator.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
let sim: BinanceSimulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The simulator's closed 1m candles of a symbol, as the provider would store them. */
const closedCandles = async (restUrl: string, symbol: string): Promise<Bar[]> => {
  const now = ((await (await fetch(`${restUrl}/api/v3/time`)).json()) as { serverTime: number }).serverTime;
  const rows = (await (await fetch(`${restUrl}/api/v3/klines?symbol=${symbol}&interval=1m&limit=10`)).json()) as [number, string, string, string, string, string, number, string, number][];
  return rows.filter((k) => k[6] < now).map((k) => ({
    provider: 'binance', symbol, interval: '1m', openTime: k[0], closeTime: k[6], open: Number(k[1]), high: Number(k[2]),
    low: Number(k[3]), close: Number(k[4]), volume: Number(k[5]), vwap: null, tradeCount: k[8], final: true, receivedAt: now,
  }));
};

const run = async (db: string, sql: string): Promise<void> => {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  await conn.run(sql);
  conn.closeSync();
  instance.closeSync();
};

describe('checkClosedBars', () => {
  it('finds every closed candle equal to the simulator\'s, then counts a changed and a missing one', async () => {
    sim = await startBinanceSimulator({ symbols: SYMBOLS, paused: true, marketStepMs: 60_000 });
    sim.advance(5);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-check-'));
    const db = path.join(dir, 'bars.duckdb');
    const writer = await DuckDBRealtimeWriter.open({ output_path: db, flush_interval_ms: 0 });
    let written = 0;
    for (const symbol of SYMBOLS) {
      for (const bar of await closedCandles(sim.restUrl, symbol)) {
        writer.writeRealtime(bar);
        written++;
      }
    }
    await writer.close();
    expect(written).toBeGreaterThan(4);

    expect(await checkClosedBars(db, sim.restUrl, SYMBOLS, '1m')).toEqual({ rows: written, expected: written, mismatched: 0, missing: 0 });

    await run(db, `UPDATE realtime_market_data SET close = close + 1 WHERE symbol = 'BTCUSDT' AND "timestamp" = (SELECT max("timestamp") FROM realtime_market_data WHERE symbol = 'BTCUSDT')`);
    await run(db, `DELETE FROM realtime_market_data WHERE symbol = 'ETHUSDT' AND "timestamp" = (SELECT max("timestamp") FROM realtime_market_data WHERE symbol = 'ETHUSDT')`);
    expect(await checkClosedBars(db, sim.restUrl, SYMBOLS, '1m')).toEqual({ rows: written - 1, expected: written, mismatched: 1, missing: 1 });
  });
});
