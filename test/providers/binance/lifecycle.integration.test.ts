/**
 * The Binance provider's call order against the simulator on loopback: `subscribe()` before `connect()` or after
 * `disconnect()` is refused at once with NOT_READY (CLOSED after it) (it used to wait for the subscribe timeout), and a
 * `subscribe()` issued while `connect()` is still in progress resolves once the stream is confirmed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../../src/errors.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator } from '../../../src/sim/binance/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const start = async () => {
  const sim = await startBinanceSimulator({ tickMs: 10, marketStepMs: 20_000 });
  // A subscribe timeout far beyond the test's own: a wait that is not refused shows up as a test timeout.
  const provider = new BinanceRealtimeProvider({ ws_url: sim.wsUrl, rest_url: sim.restUrl, subscribe_timeout_ms: 600_000 });
  const connections: number[] = [];
  sim.on('connection', (c) => connections.push(c.id));
  cleanups.push(async () => { await provider.disconnect(); await sim.close(); });
  return { sim, provider, connections };
};

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

describe('BinanceRealtimeProvider call order', () => {
  it('refuses subscribe() before connect() with NOT_READY, opening no connection and asking no REST', async () => {
    const { sim, provider, connections } = await start();
    const error = await rejection(provider.subscribe(['BTCUSDT'], '1m'));
    expect(isRealtimeError(error) && error.code).toBe('NOT_READY');
    expect(isRealtimeError(error) && error.retryable).toBe(false);
    expect(connections).toEqual([]);
    expect(sim.stats().restRequests).toBe(0);
    expect(provider.getSubscribedSymbols()).toEqual([]);
  });

  it('refuses subscribe() after disconnect() with CLOSED', async () => {
    const { provider } = await start();
    await provider.connect();
    await provider.disconnect();
    const error = await rejection(provider.subscribe(['BTCUSDT'], '1m'));
    expect(isRealtimeError(error) && error.code).toBe('CLOSED');
    expect(isRealtimeError(error) && error.message).toMatch(/disconnected/);
  });

  it('confirms a subscribe() issued while connect() is still in progress', async () => {
    const { sim, provider } = await start();
    const subscribed: string[][] = [];
    sim.on('subscribe', (ev) => subscribed.push([...ev.streams]));
    const connecting = provider.connect();
    const subscribing = provider.subscribe(['BTCUSDT'], '1m');
    await connecting;
    await subscribing;
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT']);
    expect(subscribed.flat()).toEqual(['btcusdt@kline_1m']);
  });

  it('subscribes normally once connect() resolved', async () => {
    const { provider } = await start();
    await provider.connect();
    await provider.subscribe(['BTCUSDT', 'ETHUSDT'], '1m');
    expect(provider.getSubscribedSymbols()).toEqual(['BTCUSDT', 'ETHUSDT']);
  });
});
