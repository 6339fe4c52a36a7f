/**
 * The Massive provider against the simulator speaking the venue as it is: the spec's and the older servers'
 * handshakes, `auth_required` after authentication, index aggregates stamped with an instant, and per-second
 * crypto (`XAS`) and forex (`CAS`) aggregates, exact against the ground truth.
 */
import { describe, expect, it } from 'vitest';
import type { PolygonSimulator } from '../../../src/sim/polygon/index.ts';
import { expectExact, KEY, startPair, until } from './support.ts';

const SPAN: Record<string, number> = { '1s': 1_000, '1m': 60_000 };

/** Waits until more than `n` bars of a stream are old enough for `expectExact` (its grace) to compare them. */
const untilComparable = (sim: PolygonSimulator, bars: readonly { symbol: string; interval: string; openTime: number }[], symbol: string, interval: string, n: number, graceMs = 120_000) =>
  until(() => new Set(bars.filter((b) => b.symbol === symbol && b.interval === interval && b.openTime + SPAN[interval]! <= sim.now() - graceMs).map((b) => b.openTime)).size > n, 20_000);


describe('PolygonRealtimeProvider against the venue\'s dialects', () => {
  it.each(['spec', 'legacy'] as const)('authenticates and streams with the %s handshake', async (handshake) => {
    const { sim, provider, bars } = await startPair({ handshake });
    await provider.connect();
    await provider.subscribe(['AAPL'], '1m');
    await untilComparable(sim, bars, 'AAPL', '1m', 6);
    expect(await expectExact(sim, bars, 'AAPL', '1m')).toBeGreaterThan(5);
    expect(sim.stats()).toMatchObject({ authAttempts: 1, authFailures: 0 });
  });

  it('fails a key the older servers refuse (error / authentication failed) with AUTHENTICATION_FAILED, never retried', async () => {
    const { sim, provider, errors } = await startPair({ handshake: 'legacy' }, { api_key: 'pk_wrong_1111bbbb' });
    await expect(provider.connect()).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false });
    // 'failed' has no timer: only an explicit connection.start leaves it, so nothing reconnects by itself.
    const failed = provider.connectionActors[0]!;
    expect(failed.getSnapshot().value).toBe('failed');
    expect(failed.logic.states.failed!.after).toEqual([]);
    expect(Object.keys(failed.logic.states.failed!.on)).toEqual(['connection.start']);
    expect(sim.stats()).toMatchObject({ connectionsOpened: 1, authFailures: 1 });
    expect(errors.map((e) => e.code)).toEqual(['AUTHENTICATION_FAILED']);
    expect(errors[0]!.message).toMatch(/authentication failed \(error\)/);
    expect(provider.stats().reconnects).toBe(0);
  });

  it('reconnects and authenticates again after auth_required, under that reason, losing no bar', async () => {
    const { sim, provider, bars, errors, everything } = await startPair();
    await provider.connect();
    await provider.subscribe(['MSFT'], '1m');
    await until(() => bars.some((b) => b.symbol === 'MSFT'));
    expect(sim.requireAuth()).toBe(1);
    await until(() => provider.stats().reconnectReasons.auth_required === 1);
    await until(() => provider.getConnectionState() === 'connected');
    await until(() => sim.stats().authAttempts === 2);
    await untilComparable(sim, bars, 'MSFT', '1m', 1);
    expect(sim.stats().authAttempts).toBe(2);
    expect(errors.find((e) => e.data?.reason === 'auth_required')).toMatchObject({ code: 'CONNECTION_LOST', message: expect.stringMatching(/asked for authentication/) });
    expect(errors.some((e) => /unexpected status/.test(e.message))).toBe(false);
    await expectExact(sim, bars, 'MSFT', '1m');
    expect(everything()).not.toContain(KEY);
  });

  it('streams index minutes and seconds exactly, without volume or trade count', async () => {
    const { sim, provider, bars, errors } = await startPair({}, { feed: 'indices' });
    await provider.connect();
    await provider.subscribe(['spx'], '1m');
    await provider.subscribe(['I:SPX'], '1s');
    await until(() => bars.some((b) => b.interval === '1s') && bars.some((b) => b.interval === '1m'));
    sim.dropConnections();
    await until(() => provider.getConnectionState() === 'connected');
    await untilComparable(sim, bars, 'I:SPX', '1m', 6);
    await untilComparable(sim, bars, 'I:SPX', '1s', 6, 1_000);
    expect(await expectExact(sim, bars, 'I:SPX', '1m')).toBeGreaterThan(5);
    expect(await expectExact(sim, bars, 'I:SPX', '1s', 1_000)).toBeGreaterThan(5);
    expect(bars.every((b) => b.volume === 0 && b.vwap === null && b.tradeCount === null)).toBe(true);
    expect(errors.filter((e) => e.code === 'INVALID_MESSAGE')).toEqual([]);
  });

  it.each([['crypto', 'BTC-USD'], ['forex', 'USD/EUR']] as const)('streams %s second bars (XAS / CAS) exactly across a disconnect', async (feed, symbol) => {
    const { sim, provider, bars } = await startPair({ marketStepMs: 1_000, tickMs: 5 }, { feed });
    await provider.connect();
    await provider.subscribe([symbol], '1s');
    await until(() => bars.length > 10);
    sim.dropConnections();
    await until(() => provider.getConnectionState() === 'connected');
    await untilComparable(sim, bars, symbol, '1s', 51, 1_000);
    expect(await expectExact(sim, bars, symbol, '1s', 1_000, { liveVwap: feed !== 'forex' })).toBeGreaterThan(50);
    expect(sim.requests().some((r) => r.path.includes('/range/1/second/'))).toBe(true);
    expect(provider.getSubscribedSymbols()).toEqual([symbol]);
  });
});
