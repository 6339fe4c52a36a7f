/**
 * The Polygon provider against the project's Polygon simulator on loopback: exact 1m and aggregated 5m bars through
 * forced disconnects and corrections, the authentication handshake and its failures, the disconnect statuses,
 * and the API key never leaving.
 */
import { describe, expect, it } from 'vitest';
import { TestClient } from '../../sim/binance/helpers.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { expectExact, fold, KEY, M, marketSteps, startPair, T0, until } from './support.ts';

describe('PolygonRealtimeProvider against the simulator', () => {
  it('delivers exact 1m and aggregated 5m bars through 10 forced disconnects, corrections and malformed frames', async () => {
    const { sim, provider, bars, errors, everything } = await startPair({ correctionRate: 0.2, correctionDelayMs: 60_000, quietMinuteRate: 0.15, malformedRate: 0.02 });
    await provider.connect();
    await provider.subscribe(['AAPL', 'MSFT'], '1m');
    await provider.subscribe(['AAPL', 'MSFT'], '5m');
    const faults = ['drop', 'drop', 'force_disconnect', 'drop', 'slow_consumer', 'drop', 'drop', 'force_disconnect', 'drop', 'slow_consumer'] as const;
    for (const [i, fault] of faults.entries()) {
      await until(() => provider.getConnectionState() === 'connected');
      // Four to eight market minutes stream on the new socket before the next fault.
      await marketSteps(sim, 12 + (i % 3) * 6);
      if (i === 4) sim.correct('AAPL', bars.find((b) => b.interval === '1m' && b.symbol === 'AAPL')!.openTime);
      expect(fault === 'drop' ? sim.dropConnections() : sim.disconnectWith(fault)).toBe(1);
      await until(() => provider.getConnectionState() !== 'connected');
    }
    await until(() => provider.getConnectionState() === 'connected');
    for (const s of ['AAPL', 'MSFT']) {
      expect(await expectExact(sim, bars, s, '1m')).toBeGreaterThan(40);
      expect(await expectExact(sim, bars, s, '5m')).toBeGreaterThan(8);
    }
    const stats = provider.stats();
    expect(stats.reconnects).toBe(10);
    expect(stats.reconnectReasons).toEqual({ abnormal_closure: 6, force_disconnect: 2, slow_consumer: 2 });
    expect(stats.corrections).toBeGreaterThan(0);
    expect(stats.barsBackfilled).toBeGreaterThan(0);
    expect(stats.malformedFrames).toBeGreaterThan(0);
    expect(errors.filter((e) => e.code === 'INVALID_MESSAGE').length).toBe(stats.malformedFrames);
    expect(bars.some((b) => b.interval === '1m' && b.correction)).toBe(true);
    expect(bars.some((b) => b.interval === '5m' && b.correction)).toBe(true);
    expect(sim.stats().correctionsSent).toBeGreaterThan(0);
    expect(everything()).not.toContain(KEY);
  });

  it('fails once with AUTHENTICATION_FAILED on a bad key and never reconnects', async () => {
    const { sim, provider, errors, states } = await startPair({}, { api_key: 'pk_wrong_0000aaaa' });
    await expect(provider.connect()).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false });
    // 'failed' has no timer: only an explicit connection.start leaves it, so nothing reconnects by itself.
    const failed = provider.connectionActors[0]!;
    expect(failed.getSnapshot().value).toBe('failed');
    expect(failed.logic.states.failed!.after).toEqual([]);
    expect(Object.keys(failed.logic.states.failed!.on)).toEqual(['connection.start']);
    expect(sim.stats()).toMatchObject({ connectionsOpened: 1, authAttempts: 1, authFailures: 1 });
    expect(errors.map((e) => e.code)).toEqual(['AUTHENTICATION_FAILED']);
    expect(provider.stats().reconnects).toBe(0);
    expect(provider.getConnectionState()).toBe('disconnected');
    expect(states.map((s) => JSON.parse(s).s)).toEqual(['connecting', 'disconnected']);
    expect(provider.connectionActors[0]!.getSnapshot().value).toBe('failed');
  });

  it('reports auth_timeout, max_connections, force_disconnect and slow_consumer under their own reasons and reconnects', async () => {
    const { sim, provider, bars, errors, states, everything } = await startPair({ authTimeoutMs: 100 });
    await provider.connect();
    await provider.subscribe(['MSFT'], '1m');
    sim.ignoreNextAuth(1);
    sim.dropConnections();
    await until(() => provider.stats().reconnectReasons.auth_timeout === 1);
    await until(() => provider.getConnectionState() === 'connected');
    // Another client with the same key takes the slot; the provider comes back and evicts it in turn.
    const rival = await TestClient.connect(`${sim.wsUrl}/stocks`);
    rival.send({ action: 'auth', params: KEY });
    const rivalClosed = await rival.closed;
    expect(rivalClosed.code).toBe(1008);
    expect(rival.frames.join()).toContain('max_connections');
    await until(() => provider.getConnectionState() === 'connected');
    for (const status of ['force_disconnect', 'slow_consumer'] as const) {
      sim.disconnectWith(status);
      await until(() => provider.stats().reconnectReasons[status] === 1);
      await until(() => provider.getConnectionState() === 'connected');
    }
    const reasons = provider.stats().reconnectReasons;
    expect(reasons).toEqual({ abnormal_closure: 1, auth_timeout: 1, max_connections: 1, force_disconnect: 1, slow_consumer: 1 });
    const lost = errors.filter((e) => e.code === 'CONNECTION_LOST').map((e) => e.data?.reason);
    expect(lost).toEqual(['abnormal_closure', 'auth_timeout', 'max_connections', 'force_disconnect', 'slow_consumer']);
    expect(errors.find((e) => e.data?.reason === 'max_connections')!.message).toMatch(/another connection with the same API key/);
    expect(states.some((s) => JSON.parse(s).reason === 'max_connections')).toBe(true);
    expect(provider.stats().evictions).toBe(1);
    await expectExact(sim, bars, 'MSFT', '1m');
    expect(everything()).not.toContain(KEY);
  });

  it('gives up when another client keeps taking the connection slot', async () => {
    const { sim, provider, errors } = await startPair({}, { max_evictions: 2, healthy_after_ms: 60_000 });
    await provider.connect();
    let rivals = 0;
    const failed = () => provider.connectionActors[0]!.getSnapshot().value === 'failed';
    while (!failed() && rivals < 10) {
      await until(() => provider.getConnectionState() === 'connected' || failed());
      if (failed()) break;
      const rival = await TestClient.connect(`${sim.wsUrl}/stocks`);
      rivals++;
      rival.send({ action: 'auth', params: KEY });
      await until(() => provider.getConnectionState() !== 'connected');
      rival.close();
    }
    await until(failed);
    expect(rivals).toBe(3);
    expect(provider.stats().evictions).toBe(3);
    expect(errors.at(-1)).toMatchObject({ code: 'CONNECTION_FAILED', retryable: false });
    expect(errors.at(-1)!.message).toMatch(/max_connections: evicted 3 times in a row/);
  });

  it('never lets the API key out, whatever goes wrong', async () => {
    const { sim, provider, bars, errors, trace, states, everything } = await startPair({ malformedRate: 0.2, authTimeoutMs: 100 });
    await provider.connect();
    await provider.subscribe(['AAPL', 'NOT VALID!'], '5m');
    await provider.subscribe(['GOOGL'], '1m');
    sim.failNextRest(1, 429, 1);
    sim.ignoreNextAuth(1);
    sim.dropConnections();
    await until(() => provider.getConnectionState() === 'connected', 5_000);
    await marketSteps(sim, 30);
    sim.disconnectWith('max_connections');
    await until(() => provider.stats().reconnects === 3);
    await until(() => provider.getConnectionState() === 'connected');
    // The first backfill after the drop waits out the 429's Retry-After; both streams deliver after it.
    await until(() => bars.some((b) => b.symbol === 'AAPL') && bars.some((b) => b.symbol === 'GOOGL' && b.backfilled));
    expect(sim.connections().filter((c) => c.authenticated).length).toBeGreaterThan(1);
    expect(new Set(bars.map((b) => b.symbol))).toEqual(new Set(['AAPL', 'GOOGL']));
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['INVALID_SYMBOL', 'INVALID_MESSAGE', 'CONNECTION_LOST', 'RATE_LIMITED']));
    expect(trace.length).toBeGreaterThan(100);
    expect(states.length).toBeGreaterThan(3);
    const text = everything();
    expect(text).toContain('handshake.succeeded');
    expect(text).not.toContain(KEY);
  });

  it('closes an aggregated bar by the clock exactly when its end is a grace ago, when its last minutes had no trades', async () => {
    // The provider's close checks run on its clock, a hand-driven one: each `clock.advance(20)` runs exactly one.
    const clock = new ManualClock(T0);
    const { sim, provider, bars } = await startPair({ paused: true }, { aggregate_close_grace_ms: 60_000 }, { clock });
    await provider.connect();
    await provider.subscribe(['AAPL'], '5m');
    // The first whole window after the subscription; its last two minutes and the next window have no trades.
    const w = Math.ceil(sim.now() / (5 * M)) * 5 * M;
    sim.silence('AAPL', w + 3 * M, w + 20 * M);
    while (sim.now() < w + 5 * M + 40_000) sim.advance(1);
    // Every minute bar sent so far has reached the provider before its close check runs.
    await until(() => provider.stats().framesReceived === sim.stats().dataEventsSent);
    expect(provider.stats().framesReceived).toBe(sim.stats().dataEventsSent);
    await clock.advance(20);
    // Ended 40 s ago, grace 60 s: still open.
    expect(fold(bars, 'AAPL', '5m').size).toBe(0);
    expect(provider.stats().closedByClock).toBe(0);
    // One step later (20 s, no trades) the end is exactly the grace ago: the next check closes it.
    sim.advance(1);
    await clock.advance(20);
    expect(bars.map((b) => [b.interval, b.openTime, b.correction ?? false])).toEqual([['5m', w, false]]);
    const [truth] = sim.closedBars('AAPL', '5m', w, w);
    expect([bars[0]!.open, bars[0]!.high, bars[0]!.low, bars[0]!.close, bars[0]!.volume]).toEqual([truth!.o, truth!.h, truth!.l, truth!.c, truth!.v]);
    expect(provider.stats().closedByClock).toBe(1);
    // No catch-up ever ran, so the stream was ready for every close check from the subscription on.
    expect(provider.stats().restRequests).toBe(0);
  });

  it('streams crypto XA with a 15m aggregate, and 1s A bars, exactly across a disconnect', async () => {
    const crypto = await startPair({}, { feed: 'crypto' });
    await crypto.provider.connect();
    await crypto.provider.subscribe(['btc/usd'], '1m');
    await crypto.provider.subscribe(['BTC-USD'], '15m');
    const seconds = await startPair({ marketStepMs: 1_000, tickMs: 5 });
    await seconds.provider.connect();
    await seconds.provider.subscribe(['MSFT'], '1s');
    // About 23 market minutes of crypto and 140 seconds of MSFT before the drop, as many after it.
    await Promise.all([marketSteps(crypto.sim, 70), marketSteps(seconds.sim, 140)]);
    crypto.sim.dropConnections();
    seconds.sim.dropConnections();
    await Promise.all([marketSteps(crypto.sim, 120), marketSteps(seconds.sim, 240)]);
    expect(await expectExact(crypto.sim, crypto.bars, 'BTC-USD', '1m')).toBeGreaterThan(30);
    expect(await expectExact(crypto.sim, crypto.bars, 'BTC-USD', '15m')).toBeGreaterThan(1);
    expect(await expectExact(seconds.sim, seconds.bars, 'MSFT', '1s', 1_000)).toBeGreaterThan(100);
    expect(seconds.sim.requests().some((r) => r.path.includes('/range/1/second/'))).toBe(true);
  });

  it('resumes after a given bar with the bars since, and unsubscribes', async () => {
    // No lookback: the resume point itself is exact (the re-read of the last bars is tested on its own below).
    const { sim, provider, bars } = await startPair({ paused: true }, { correction_window_ms: 0, correction_lookback_bars: 0 });
    sim.advance(90);
    const last = sim.closedBars('AAPL', '1m', sim.options.startTime)[3]!.t;
    provider.resumeAfter('AAPL', '1m', last);
    await provider.connect();
    await provider.subscribe(['AAPL'], '1m');
    sim.resume();
    await until(() => bars.length > 0);
    expect(bars[0]).toMatchObject({ openTime: sim.closedBars('AAPL', '1m', last + M)[0]!.t, backfilled: true });
    await expectExact(sim, bars, 'AAPL', '1m');
    await provider.unsubscribe(['aapl']);
    expect(provider.getSubscribedSymbols()).toEqual([]);
    expect(sim.connections().find((c) => !c.closed)!.params).toEqual([]);
  });

  it('re-reads the last bars before the resume point, where a correction may have landed', async () => {
    const { sim, provider, bars } = await startPair({ paused: true }, { correction_window_ms: 0, correction_lookback_bars: 2 });
    sim.advance(90);
    const closed = sim.closedBars('AAPL', '1m', sim.options.startTime);
    const last = closed[5]!.t;
    provider.resumeAfter('AAPL', '1m', last);
    await provider.connect();
    await provider.subscribe(['AAPL'], '1m');
    sim.resume();
    await until(() => bars.length > 0);
    // Two minute buckets back from the one after `last`: the first bar opening at or after last − 1 minute.
    expect(bars[0]).toMatchObject({ openTime: sim.closedBars('AAPL', '1m', last - M)[0]!.t, backfilled: true });
    await expectExact(sim, bars, 'AAPL', '1m');
  });
});
