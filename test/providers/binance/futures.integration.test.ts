/**
 * The Binance provider's futures feeds (`usdm`, `coinm`) against the simulator serving the same feed on loopback:
 * the `/market` route, `/fapi/v1` and `/dapi/v1` backfill, perpetual and delivery symbols, COIN-M contract
 * volumes, the futures limits (200 streams per connection) and what futures do not have (1s klines).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { RealtimeError } from '../../../src/errors.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';
import { eventWaits } from '../../support/event-waits.ts';

// Poked by every provider and simulator started here: waits end on bars, errors, states, snapshots and market steps.
const waits = eventWaits();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const start = async (simOptions: Partial<BinanceSimulatorOptions>, config: Record<string, unknown> = {}) => {
  const sim = await startBinanceSimulator({ tickMs: 10, marketStepMs: 20_000, ...simOptions });
  const provider = new BinanceRealtimeProvider({
    ...(simOptions.feed ? { feed: simOptions.feed } : {}), ws_url: sim.streamBase, rest_url: sim.restUrl, reconnect_delay_ms: 20, reconnect_max_delay_ms: 200, ...config,
  }, { inspect: waits.poke });
  const bars: Bar[] = [];
  const errors: RealtimeError[] = [];
  provider.onData((b) => { bars.push(b); waits.poke(); });
  provider.onError((e) => { errors.push(e); waits.poke(); });
  provider.onConnectionStateChange(waits.poke);
  sim.on('step', waits.poke);
  cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
  return { sim, provider, bars, errors };
};

/** Waits for the bars closed so far, stops the market, and compares what arrived with the simulator's truth. */
const expectExact = async (sim: BinanceSimulator, bars: Bar[], symbols: string[]) => {
  const target = Object.fromEntries(symbols.map((s) => [s, sim.closedBars(s, '1m', sim.now() - 10 * 60_000).at(-1)!.t]));
  await waits.until(() => symbols.every((s) => bars.some((b) => b.symbol === s && b.openTime >= target[s]!)), `bars up to ${JSON.stringify(target)}`);
  // Each stream arrives in order with no hole, so what has arrived is a prefix of the truth.
  sim.pause();
  for (const s of symbols) {
    const got = bars.filter((b) => b.symbol === s);
    expect(got.length).toBeGreaterThan(0);
    const truth = sim.closedBars(s, '1m', got[0]!.openTime, got.at(-1)!.openTime);
    expect(got.map((b) => b.openTime)).toEqual(truth.map((k) => k.t));
    expect(got.map((b) => [b.open, b.high, b.low, b.close, b.volume, b.tradeCount])).toEqual(
      truth.map((k) => [Number(k.o), Number(k.h), Number(k.l), Number(k.c), Number(k.v), k.n]),
    );
  }
};

/** Drops every connection `times` times, waiting for each reconnect. */
const dropRepeatedly = async (sim: BinanceSimulator, provider: BinanceRealtimeProvider, times: number) => {
  for (let i = 0; i < times; i++) {
    await waits.until(() => provider.getConnectionState() === 'connected', 'connected');
    let steps = 0;
    const step = () => { steps++; };
    sim.on('step', step);
    // A few market steps stream on the new socket before it drops.
    await waits.until(() => steps >= 6, 'six market steps').finally(() => sim.off('step', step));
    sim.dropConnections();
    await waits.until(() => provider.getConnectionState() !== 'connected', 'the drop to be seen');
  }
};

describe('Binance futures feeds against the simulator', () => {
  it('streams USDⓈ-M perpetual and delivery bars on /market/ws and backfills gaps from /fapi/v1', async () => {
    const { sim, provider, bars, errors } = await start({ feed: 'usdm' }, { feed: 'usdm', backfill_on_start_bars: 2 });
    await provider.connect();
    await provider.subscribe(['btcusdt', 'BTCUSDT_260626'], '1m');
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT', 'BTCUSDT_260626']);
    await dropRepeatedly(sim, provider, 3);
    await expectExact(sim, bars, ['BTCUSDT', 'BTCUSDT_260626']);
    expect(new Set(bars.map((b) => b.provider))).toEqual(new Set(['binance-usdm']));
    expect(sim.connections().every((c) => c.path === '/market/ws' && c.pushesKlines)).toBe(true);
    const paths = new Set(sim.requests().map((r) => r.path));
    expect(paths).toEqual(new Set(['/fapi/v1/exchangeInfo', '/fapi/v1/klines']));
    expect(provider.stats().barsBackfilled).toBeGreaterThanOrEqual(4);
    expect(errors.filter((e) => e.code !== 'CONNECTION_LOST')).toEqual([]);
  });

  it('streams COIN-M contracts from /ws, with contracts as volume and VWAP from the contract size', async () => {
    const { sim, provider, bars, errors } = await start({ feed: 'coinm' }, { feed: 'coinm', backfill_on_start_bars: 3 });
    await provider.connect();
    await provider.subscribe(['BTCUSD_PERP', 'ethusd_perp', 'BTCUSD_260626'], '1m');
    await dropRepeatedly(sim, provider, 2);
    await expectExact(sim, bars, ['BTCUSD_PERP', 'ETHUSD_PERP', 'BTCUSD_260626']);
    for (const bar of bars.filter((b) => b.volume > 0)) {
      const k = sim.bar(bar.symbol, '1m', bar.openTime);
      const size = bar.symbol.startsWith('BTC') ? 100 : 10;
      expect(bar.vwap).toBeCloseTo((Number(k.v) * size) / Number(k.q), 6);
      expect(bar.vwap!).toBeGreaterThanOrEqual(bar.low);
      expect(bar.vwap!).toBeLessThanOrEqual(bar.high);
    }
    expect(bars.every((b) => b.provider === 'binance-coinm')).toBe(true);
    expect(provider.stats().barsBackfilled).toBeGreaterThanOrEqual(9);
    expect(new Set(sim.requests().map((r) => r.path))).toEqual(new Set(['/dapi/v1/exchangeInfo', '/dapi/v1/klines']));
    expect(errors.filter((e) => e.code !== 'CONNECTION_LOST')).toEqual([]);
  });

  it('reports a symbol of another market as INVALID_SYMBOL and refuses 1s klines on futures', async () => {
    const { provider, errors } = await start({ feed: 'coinm', paused: true }, { feed: 'coinm' });
    await provider.connect();
    await expect(provider.subscribe(['BTCUSD_PERP'], '1s')).rejects.toMatchObject({ code: 'INVALID_INTERVAL', message: expect.stringContaining('no 1s klines') });
    await provider.subscribe(['BTCUSDT', 'BTCUSD_PERP', 'BTC!'], '1m');
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSD_PERP']);
    expect(errors.filter((e) => e.code === 'INVALID_SYMBOL').map((e) => e.message)).toEqual([
      '"BTC!" is not a Binance coinm symbol',
      'BTCUSDT is not a Binance coinm symbol',
    ]);
  });

  it('opens a second connection past 200 streams, the futures default', async () => {
    const { sim, provider } = await start({ feed: 'usdm', symbolCount: 201, paused: true }, { feed: 'usdm' });
    await provider.connect();
    await provider.subscribe(sim.symbols, '1m');
    expect(provider.getSubscribedSymbols()).toHaveLength(201);
    expect(sim.connections().filter((c) => !c.closed).map((c) => c.streams.length).sort((a, b) => a - b)).toEqual([1, 200]);
    expect(Math.max(...sim.connections().map((c) => c.maxMessagesInOneSecond))).toBeLessThanOrEqual(10);
  });

  it('names the /market route when USDⓈ-M streams stay silent on an unrouted base URL', async () => {
    const { sim, provider, bars } = await start({ feed: 'usdm' }, { feed: 'usdm' });
    // The simulator's root, without /market: the retired URL form, acknowledged and silent.
    const legacy = new BinanceRealtimeProvider({ feed: 'usdm', ws_url: sim.wsUrl, rest_url: sim.restUrl, silent_stream_ms: 300 });
    const legacyErrors: RealtimeError[] = [];
    legacy.onError((e) => { legacyErrors.push(e); waits.poke(); });
    cleanups.push(() => legacy.disconnect());
    await legacy.connect();
    await legacy.subscribe(['BTCUSDT'], '1m');
    await waits.until(() => legacyErrors.some((e) => e.code === 'SUBSCRIPTION_FAILED'), 'SUBSCRIPTION_FAILED');
    expect(legacyErrors.find((e) => e.code === 'SUBSCRIPTION_FAILED')?.message).toContain('USDⓈ-M klines stream only under the /market route');
    // The same subscription through /market delivers bars.
    await provider.connect();
    await provider.subscribe(['BTCUSDT'], '1m');
    await waits.until(() => bars.length > 0, 'a bar');
    expect(bars.length).toBeGreaterThan(0);
  });

  it('tells a Spot subscription of futures contracts to set the feed', async () => {
    const { provider } = await start({ paused: true });
    await provider.connect();
    await expect(provider.subscribe(['BTCUSD_PERP', 'BTCUSDT'], '1m')).rejects.toMatchObject({
      code: 'INVALID_SYMBOL', message: 'BTCUSD_PERP: futures contracts; set realtime_provider_config.feed to usdm or coinm',
    });
  });
});
