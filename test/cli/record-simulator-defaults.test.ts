/**
 * `record` against the Binance simulator started with its defaults (market at wall-clock pace, history behind
 * it): Spot 1s bars from the live stream, and USDⓈ-M 1m bars from the start-up backfill, land in DuckDB equal to
 * the simulator's bars. Each run is stopped with SIGTERM once its status line reports rows persisted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { runCli, startCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-record-defaults-'));
const sims: BinanceSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

/** Runs `record` until its status line reports `persisted` matching `rows`, then stops it as Ctrl-C would. */
const recordUntil = async (args: string[], rows: RegExp) => {
  const cli = startCli(['record', ...args]);
  await cli.waitFor(rows, 60_000);
  cli.child.kill('SIGTERM');
  return cli.exited();
};

const stored = async (db: string, symbol: string): Promise<{ provider: string; t: number; close: number }[]> => {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const sql = `SELECT provider, epoch_ms("timestamp")::DOUBLE AS t, close FROM realtime_market_data WHERE symbol = '${symbol}' ORDER BY t`;
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as { provider: string; t: number; close: number }[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

describe('record against the Binance simulator with its defaults', () => {
  it('stores the Spot bars that close while it records (1s bars at the default pace)', async () => {
    const sim = await startBinanceSimulator();
    sims.push(sim);
    const db = join(dir, 'spot.duckdb');
    const r = await recordUntil(['--symbols', 'BTCUSDT', '--interval', '1s', '--out', db, '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl], /persisted=[1-9]/);
    expect(r.code).toBe(0);
    const bars = await stored(db, 'BTCUSDT');
    expect(bars.length).toBeGreaterThan(0);
    const truth = sim.closedBars('BTCUSDT', '1s', bars[0]!.t, bars.at(-1)!.t);
    expect(bars.map((b) => [b.t, b.close])).toEqual(truth.map((k) => [k.t, Number(k.c)]));
    expect(r.stdout).toMatch(new RegExp(`table realtime_market_data: ${bars.length} rows`));
  });

  it('stores USDⓈ-M 1m bars from the start-up backfill before the first one closes live', async () => {
    const sim = await startBinanceSimulator({ feed: 'usdm' });
    sims.push(sim);
    const db = join(dir, 'usdm.duckdb');
    const config = join(dir, 'usdm.yaml');
    writeFileSync(config, [
      'session:',
      '  realtime_provider: binance-realtime',
      '  realtime_provider_config:',
      '    feed: usdm',
      `    ws_url: ${sim.streamBase}`,
      `    rest_url: ${sim.restUrl}`,
      '    backfill_on_start_bars: 5',
      '  storage_config:',
      `    output_path: ${db}`,
      '  symbols: [BTCUSDT, BTCUSDT_260626]',
      '  interval: 1m',
    ].join('\n'));
    const r = await recordUntil(['--config', config], /persisted=10 /);
    expect(r.code).toBe(0);
    for (const symbol of ['BTCUSDT', 'BTCUSDT_260626']) {
      const bars = await stored(db, symbol);
      expect(bars.length).toBe(5);
      expect(bars.every((b) => b.provider === 'binance-usdm')).toBe(true);
      const truth = sim.closedBars(symbol, '1m', bars[0]!.t, bars.at(-1)!.t);
      expect(bars.map((b) => [b.t, b.close])).toEqual(truth.map((k) => [k.t, Number(k.c)]));
    }
  });

  it('records a COIN-M contract from flags with --feed', async () => {
    const sim = await startBinanceSimulator({ feed: 'coinm', tickMs: 50, marketStepMs: 20_000 });
    sims.push(sim);
    const db = join(dir, 'coinm.duckdb');
    const r = await recordUntil(['--feed', 'coinm', '--symbols', 'btcusd_perp', '--out', db, '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl], /persisted=[1-9]/);
    expect(r.code).toBe(0);
    const bars = await stored(db, 'BTCUSD_PERP');
    expect(bars.length).toBeGreaterThan(0);
    expect(bars.every((b) => b.provider === 'binance-coinm')).toBe(true);
    const truth = sim.closedBars('BTCUSD_PERP', '1m', bars[0]!.t, bars.at(-1)!.t);
    expect(bars.map((b) => [b.t, b.close])).toEqual(truth.map((k) => [k.t, Number(k.c)]));
  });

  it('names --feed when its value is not a feed', async () => {
    const r = await runCli(['record', '--feed', 'options', '--symbols', 'BTCUSDT']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--feed');
  });
});
