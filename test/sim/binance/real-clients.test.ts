/**
 * Real Binance client libraries against the simulator on loopback: `binance` (tiagosiebler) on every feed, WebSocket
 * and REST, and the official connectors `@binance/spot` (Spot), `@binance/derivatives-trading-usds-futures`
 * (USDⓈ-M: it opens `/market`, `/public` and `/private` and routes klines to `/market`) and
 * `@binance/derivatives-trading-coin-futures` (COIN-M) receive kline data. Each client is pointed at the simulator by
 * its own base-URL option (`wsUrl`, `baseUrl` with time sync off; `configurationWebsocketStreams.wsURL`), which the
 * libraries use in place of their production hosts; no REST client of an official connector is configured, so it
 * has none to call. A guard refuses (and records) any TCP connection to a host other than loopback for the file.
 */
import { DerivativesTradingCoinFutures } from '@binance/derivatives-trading-coin-futures';
import { DerivativesTradingUsdsFutures, DerivativesTradingUsdsFuturesWebsocketStreams } from '@binance/derivatives-trading-usds-futures';
import { Spot, SpotWebsocketStreams } from '@binance/spot';
import { CoinMClient, MainClient, USDMClient, WebsocketClient } from 'binance';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';
import { guardLoopback } from '../../support/loopback-guard.ts';

const silent = { trace: () => {}, info: () => {}, error: () => {} };
const cleanups: (() => Promise<void> | void)[] = [];
let guard: ReturnType<typeof guardLoopback>;
beforeAll(() => {
  guard = guardLoopback();
});
afterAll(() => guard.restore());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  expect(guard.refused).toEqual([]);
});

const simulator = async (options: Partial<BinanceSimulatorOptions> = {}): Promise<BinanceSimulator> => {
  const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, ...options });
  cleanups.push(() => sim.close());
  return sim;
};

/** Resolves with the first `count` values `take` accepts, from a callback-style source. */
const collect = <T>(count: number, subscribe: (push: (value: unknown) => void) => void, take: (value: unknown) => T | undefined): Promise<T[]> =>
  new Promise((resolve) => {
    const got: T[] = [];
    subscribe((value) => {
      const v = take(value);
      if (v === undefined || got.length >= count) return;
      got.push(v);
      if (got.length === count) resolve(got);
    });
  });

interface Kline { e: string; s: string; k: { t: number; i: string; o: string; c: string; x: boolean } }
const asKline = (raw: unknown): Kline | undefined => {
  const msg = raw as { data?: unknown; e?: unknown };
  const event = (msg && typeof msg === 'object' && 'data' in msg ? msg.data : msg) as Kline | undefined;
  return event?.e === 'kline' ? event : undefined;
};

describe('binance (tiagosiebler) WebsocketClient against the simulator', () => {
  it.each([
    ['spot', 'BTCUSDT', '/stream'],
    ['usdm', 'BTCUSDT_260626', '/market/stream'],
    ['coinm', 'BTCUSD_PERP', '/stream'],
  ] as const)('receives %s klines of %s over %s', async (feed, symbol, path) => {
    const sim = await simulator({ feed });
    const client = new WebsocketClient({ wsUrl: sim.wsUrl, restOptions: { baseUrl: sim.restUrl }, beautify: false }, silent);
    cleanups.push(() => client.closeAll(true));
    const klines = collect(3, (push) => client.on('message', push), asKline);
    client.subscribeKlines(symbol, '1m', feed);
    const got = await klines;
    expect(got.map((k) => [k.s, k.k.i])).toEqual([[symbol, '1m'], [symbol, '1m'], [symbol, '1m']]);
    expect(sim.connections().map((c) => [c.path.split('?')[0], c.streams])).toEqual([[path, [`${symbol.toLowerCase()}@kline_1m`]]]);
  });
});

describe('@binance/spot WebsocketStreams against the simulator', () => {
  it('subscribes with its string request ids and receives klines equal to the simulator\'s bars', async () => {
    const sim = await simulator({ symbols: ['ETHUSDT'] });
    const subscribed = new Promise<readonly string[]>((resolve) => sim.once('subscribe', (s) => resolve(s.streams)));
    const spot = new Spot({ configurationWebsocketStreams: { wsURL: sim.wsUrl, reconnectDelay: 100 } });
    const connection = await spot.websocketStreams.connect();
    cleanups.push(() => connection.disconnect());
    const stream = connection.kline({ symbol: 'ETHUSDT', interval: SpotWebsocketStreams.KlineIntervalEnum.INTERVAL_1m });
    const closed = collect(2, (push) => stream.on('message', push), (m) => {
      const k = asKline(m);
      return k?.k.x ? k : undefined;
    });
    expect(await subscribed).toEqual(['ethusdt@kline_1m']);
    const bars = await closed;
    for (const k of bars) {
      const truth = sim.bar('ETHUSDT', '1m', k.k.t);
      expect([k.k.o, k.k.c]).toEqual([truth.o, truth.c]);
    }
    expect(sim.connections()[0]!.path).toBe('/stream?streams=');
  });
});

describe('@binance/derivatives-trading-usds-futures WebsocketStreams against the simulator', () => {
  it('opens its three routes and receives USDⓈ-M klines on /market', async () => {
    const sim = await simulator({ feed: 'usdm', symbols: ['BTCUSDT', 'BTCUSDT_260626'] });
    const futures = new DerivativesTradingUsdsFutures({ configurationWebsocketStreams: { wsURL: sim.wsUrl, reconnectDelay: 100 } });
    const connection = await futures.websocketStreams.connect();
    cleanups.push(() => connection.disconnect());
    expect(sim.connections().map((c) => c.path).sort()).toEqual(['/market/stream?streams=', '/private/stream?streams=', '/public/stream?streams=']);
    const stream = connection.klineCandlestickStreams({ symbol: 'BTCUSDT_260626', interval: DerivativesTradingUsdsFuturesWebsocketStreams.KlineCandlestickStreamsIntervalEnum.INTERVAL_1m });
    const closed = collect(2, (push) => stream.on('message', push), (m) => {
      const k = asKline(m);
      return k?.k.x ? k : undefined;
    });
    for (const k of await closed) {
      expect(k.s).toBe('BTCUSDT_260626');
      expect(k.k.c).toBe(sim.bar('BTCUSDT_260626', '1m', k.k.t).c);
    }
    expect(sim.connections().find((c) => c.path.startsWith('/market'))!.streams).toEqual(['btcusdt_260626@kline_1m']);
  });
});

describe('@binance/derivatives-trading-coin-futures WebsocketStreams against the simulator', () => {
  it('receives COIN-M perpetual klines on /stream', async () => {
    const sim = await simulator({ feed: 'coinm', symbols: ['BTCUSD_PERP'] });
    const coinm = new DerivativesTradingCoinFutures({ configurationWebsocketStreams: { wsURL: sim.wsUrl, reconnectDelay: 100 } });
    const connection = await coinm.websocketStreams.connect();
    cleanups.push(() => connection.disconnect());
    const stream = connection.klineCandlestickStreams({ symbol: 'btcusd_perp', interval: '1m' });
    const got = await collect(3, (push) => stream.on('message', push), asKline);
    expect(got.map((k) => k.s)).toEqual(['BTCUSD_PERP', 'BTCUSD_PERP', 'BTCUSD_PERP']);
    expect(sim.connections().map((c) => [c.path, c.streams])).toEqual([['/stream?streams=', ['btcusd_perp@kline_1m']]]);
  });
});

describe('binance (tiagosiebler) REST clients against the simulator', () => {
  it.each([
    ['spot', 'BTCUSDT', (baseUrl: string) => new MainClient({ baseUrl, disableTimeSync: true }), '/api/v3/klines'],
    ['usdm', 'BTCUSDT_260626', (baseUrl: string) => new USDMClient({ baseUrl, disableTimeSync: true }), '/fapi/v1/klines'],
    ['coinm', 'BTCUSD_PERP', (baseUrl: string) => new CoinMClient({ baseUrl, disableTimeSync: true }), '/dapi/v1/klines'],
  ] as const)('reads %s klines of %s equal to the simulator\'s bars', async (feed, symbol, create, path) => {
    const sim = await simulator({ feed, paused: true });
    const end = sim.options.startTime - 1;
    const rows = await create(sim.restUrl).getKlines({ symbol, interval: '1m', endTime: end, limit: 3 });
    expect(rows.map((r) => r[0])).toEqual(sim.closedBars(symbol, '1m', end - 3 * 60_000 + 1, end).map((k) => k.t));
    for (const r of rows) expect(String(r[4])).toBe(sim.bar(symbol, '1m', Number(r[0])).c);
    expect(sim.requests().map((r) => r.path)).toEqual([path]);
  });
});
