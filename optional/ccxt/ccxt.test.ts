/**
 * Optional: ccxt (its `pro` WebSocket client) against the Binance simulator on loopback. ccxt is 59 MB unpacked,
 * so it lives in this folder's own package.json and is not installed or run by `npm test`; see README.md.
 * Every URL ccxt knows for Binance is rewritten to the simulator's before any call, so an endpoint the test did
 * not expect answers 404 from loopback rather than reaching a real host; a guard also refuses any TCP connection
 * to a host other than loopback and the test fails if one was tried.
 */
import ccxt from 'ccxt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { guardLoopback } from '../../test/support/loopback-guard.ts';

const cleanups: (() => Promise<unknown>)[] = [];
let guard: ReturnType<typeof guardLoopback>;
beforeAll(() => {
  guard = guardLoopback();
});
afterAll(() => guard.restore());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  expect(guard.refused).toEqual([]);
});

/** Rewrites every http(s) and ws(s) URL in `urls` to the simulator, keeping the path. */
const toLoopback = (value: unknown, sim: BinanceSimulator): unknown => {
  if (typeof value === 'string') {
    const m = /^(https?|wss?):\/\/[^/]+(\/.*)?$/.exec(value);
    if (!m) return value;
    return `${m[1]!.startsWith('ws') ? sim.wsUrl : sim.restUrl}${m[2] ?? ''}`;
  }
  if (Array.isArray(value)) return value.map((v) => toLoopback(v, sim));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toLoopback(v, sim)]));
  return value;
};

describe('ccxt.pro binance against the simulator', () => {
  it('loads Spot markets from the simulator and watches 1m OHLCV over /ws/<n>', async () => {
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, symbols: ['BTCUSDT', 'ETHUSDT'] });
    cleanups.push(() => sim.close());
    const exchange = new ccxt.pro.binance({ options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } });
    exchange.urls = toLoopback(exchange.urls, sim) as typeof exchange.urls;
    cleanups.push(() => exchange.close());
    // ccxt needs its plain-HTTP agent loaded before it opens a ws:// (non-TLS, here loopback) connection.
    await exchange.loadHttpProxyAgent();
    const markets = await exchange.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    const candles = await exchange.watchOHLCV('BTC/USDT', '1m');
    expect(candles.length).toBeGreaterThan(0);
    const [t, o] = candles.at(-1)!;
    expect(o).toBe(Number(sim.bar('BTCUSDT', '1m', t!).o));
    expect(sim.connections()[0]!.path).toMatch(/^\/ws\/\d+$/);
    expect(sim.requests().every((r) => r.status === 200)).toBe(true);
  });
});
