/**
 * examples/binance-usdm.yaml end to end: the file as shipped (real USDⓈ-M hosts by default), run against the
 * simulator serving the USDⓈ-M feed on loopback with the paper broker and the MA-cross strategy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.ts';
import { decodeBinanceRealtimeConfig } from '../../src/providers/binance/config.ts';
import { binanceEndpoints } from '../../src/providers/binance/urls.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { eventWaits } from '../support/event-waits.ts';

const waits = eventWaits();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const rows = async (path: string, sql: string) => {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

describe('examples/binance-usdm.yaml', () => {
  it('points at the real USDⓈ-M hosts by default', () => {
    const config = loadConfigFile('examples/binance-usdm.yaml', {});
    expect(config).toMatchObject({ realtimeProvider: 'binance-realtime', tradingProvider: 'paper', symbols: ['BTCUSDT', 'ETHUSDT'], interval: '1m' });
    expect(binanceEndpoints(decodeBinanceRealtimeConfig(config.realtimeProviderConfig))).toEqual({ ws: 'wss://fstream.binance.com/market', rest: 'https://fapi.binance.com' });
  });

  it('runs a USDⓈ-M paper session with the MA-cross strategy against the simulator: bars stored, orders filled', async () => {
    const sim = await startBinanceSimulator({ feed: 'usdm', tickMs: 20, marketStepMs: 20_000 });
    cleanups.push(() => sim.close());
    const file = loadConfigFile('examples/binance-usdm.yaml', {});
    const db = join(mkdtempSync(join(tmpdir(), 'argo-usdm-')), 'usdm.duckdb');
    const session = createRealtimeSession({
      ...file,
      id: 'usdm-example',
      realtimeProviderConfig: { ...file.realtimeProviderConfig, ws_url: sim.streamBase, rest_url: sim.restUrl },
      storage: { ...file.storage, output_path: db, flush_interval_ms: 200 },
    });
    const fills: string[] = [];
    session.on('fill', (f) => { fills.push(f.symbol); waits.poke(); });
    await session.start();
    // MA-cross needs its slow average filled before it trades: wait for fills, not for time.
    await waits.until(() => fills.length > 0, 'a fill', 60_000);
    // Bars still in flight at the stop are not needed: the check below runs up to the newest stored bar.
    sim.pause();
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');
    expect(summary.fills).toBeGreaterThan(0);
    const stored = await rows(db, `SELECT provider, symbol, count(*) AS n FROM realtime_market_data GROUP BY ALL ORDER BY symbol`);
    expect(stored.map((r) => [r.provider, r.symbol])).toEqual([['binance-usdm', 'BTCUSDT'], ['binance-usdm', 'ETHUSDT']]);
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      const bars = await rows(db, `SELECT epoch_ms("timestamp") AS t, close FROM realtime_market_data WHERE symbol = '${symbol}' ORDER BY 1`);
      const truth = sim.closedBars(symbol, '1m', Number(bars[0]!.t), Number(bars.at(-1)!.t));
      expect(bars.map((b) => [Number(b.t), Number(b.close)])).toEqual(truth.map((k) => [k.t, Number(k.c)]));
    }
    expect(sim.connections().every((c) => c.path === '/market/ws')).toBe(true);
  });
});
