/**
 * The package's public surface (src/index.ts, the `.` export): both market data providers and both simulators
 * are exported, and each provider streams from its simulator through that surface alone, on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('public exports', () => {
  it('export the Binance and Polygon providers and simulators alike', () => {
    expect(typeof api.BinanceRealtimeProvider).toBe('function');
    expect(typeof api.PolygonRealtimeProvider).toBe('function');
    expect(typeof api.startBinanceSimulator).toBe('function');
    expect(typeof api.startPolygonSimulator).toBe('function');
  });

  it('connect the Polygon provider to the Polygon simulator and confirm a subscription', async () => {
    const sim = await api.startPolygonSimulator({ paused: true, apiKeys: ['public-api-key'] });
    const provider = new api.PolygonRealtimeProvider({ api_key: 'public-api-key', ws_url: sim.wsUrl, rest_url: sim.restUrl });
    cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
    await provider.connect();
    await provider.subscribe(['AAPL'], '1m');
    expect(provider.getSubscribedSymbols()).toEqual(['AAPL']);
    expect(provider.name).toBe('polygon-realtime');
  });

  it('connect the Binance provider to the Binance simulator and confirm a subscription', async () => {
    const sim = await api.startBinanceSimulator({ paused: true });
    const provider = new api.BinanceRealtimeProvider({ ws_url: sim.wsUrl, rest_url: sim.restUrl });
    cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
    await provider.connect();
    await provider.subscribe(['BTCUSDT'], '1m');
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT']);
  });
});
