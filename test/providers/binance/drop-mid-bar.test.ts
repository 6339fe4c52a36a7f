/**
 * The bar in progress when the socket drops: it closes while nobody listens, and the provider still delivers it
 * closed and exact (from REST) before the next live bar. The market is stepped by hand, so the drop lands mid-bar.
 */
import { afterEach, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { ConnectionState } from '../../../src/providers/realtime-provider.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator } from '../../../src/sim/binance/index.ts';

const M = 60_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves once `ok()` holds, checked on every bar and state change of the provider. */
const when = (provider: BinanceRealtimeProvider, ok: () => boolean): Promise<void> => new Promise((resolve, reject) => {
  if (ok()) return resolve();
  const timer = setTimeout(() => { offs.forEach((off) => off()); reject(new Error('condition not met within 15 s')); }, 15_000);
  const check = () => { if (ok()) { clearTimeout(timer); offs.forEach((off) => off()); resolve(); } };
  const offs = [provider.onData(check), provider.onConnectionStateChange(check)];
});

it('delivers the bar in progress at a drop closed and exact, before the next live bar', async () => {
  // One market step is 20 s: three steps close a minute bar.
  const sim = await startBinanceSimulator({ paused: true, marketStepMs: 20_000, symbols: ['BTCUSDT'] });
  const provider = new BinanceRealtimeProvider({ ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_delay_ms: 20, reconnect_max_delay_ms: 100 });
  cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
  const bars: Bar[] = [];
  const states: ConnectionState[] = [];
  provider.onData((b) => bars.push(b));
  provider.onConnectionStateChange((s) => states.push(s));
  await provider.connect();
  await provider.subscribe(['BTCUSDT'], '1m');
  const t0 = sim.now();

  sim.advance(3);
  await when(provider, () => bars.some((b) => b.openTime === t0));
  // A third into the next minute: its update was sent, then the socket drops and the minute closes unheard.
  sim.advance(1);
  sim.dropConnections();
  sim.advance(2);
  await when(provider, () => states.includes('reconnecting') && provider.getConnectionState() === 'connected');
  // The stream is subscribed again on the new socket before the market moves on (a step with no subscriber is unheard).
  const resubscribed = () => sim.connections().some((c) => !c.closed && c.streams.includes('btcusdt@kline_1m'));
  if (!resubscribed()) await new Promise<void>((resolve) => sim.on('subscribe', () => { if (resubscribed()) resolve(); }));
  sim.advance(3);
  await when(provider, () => bars.some((b) => b.openTime === t0 + 2 * M));

  expect(bars.map((b) => (b.openTime - t0) / M)).toEqual([0, 1, 2]);
  const dropped = bars[1]!;
  const truth = sim.bar('BTCUSDT', '1m', t0 + M);
  expect(dropped).toMatchObject({ final: true, backfilled: true });
  expect([dropped.open, dropped.high, dropped.low, dropped.close, dropped.volume, dropped.tradeCount])
    .toEqual([Number(truth.o), Number(truth.h), Number(truth.l), Number(truth.c), Number(truth.v), truth.n]);
});
