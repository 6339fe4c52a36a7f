/** The session's bar figures on a SimulatedClock: the 10 s rate window and each symbol's last bar age. */
import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { clockFromXState } from '../../src/clock.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { BarStats } from '../../src/session/bar-stats.ts';

const bar = (symbol: string, minute: number, close = 100): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: close, high: close, low: close, close, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
});

describe('BarStats', () => {
  it('counts bars per second over the last 10 s of the injected clock', () => {
    const sim = new SimulatedClock();
    const stats = new BarStats(clockFromXState(sim));
    for (let i = 0; i < 20; i++) stats.add(bar('AAA', i));
    expect(stats.barsPerSecond()).toBe(2);
    sim.increment(5_000);
    for (let i = 0; i < 10; i++) stats.add(bar('BBB', i));
    expect(stats.barsPerSecond()).toBe(3);
    // 10.001 s after the first twenty they leave the window; the last ten stay.
    sim.increment(5_001);
    expect(stats.barsPerSecond()).toBe(1);
    sim.increment(5_000);
    expect(stats.barsPerSecond()).toBe(0);
    expect(stats.received).toBe(30);
  });

  it('reports each symbol\'s last bar and its age on the clock', () => {
    const sim = new SimulatedClock();
    const stats = new BarStats(clockFromXState(sim));
    stats.add(bar('AAA', 1, 10));
    sim.increment(300);
    stats.add(bar('BBB', 1, 20));
    stats.add(bar('AAA', 2, 11));
    sim.increment(200);
    expect(stats.lastBars()).toEqual({
      AAA: { openTime: 120_000, close: 11, ageMs: 200 },
      BBB: { openTime: 60_000, close: 20, ageMs: 200 },
    });
  });

  it('keeps the rate exact across the compaction of a long run', () => {
    const sim = new SimulatedClock();
    const stats = new BarStats(clockFromXState(sim));
    for (let i = 0; i < 5_000; i++) { stats.add(bar('AAA', i)); sim.increment(10); }
    // 10 s at one bar per 10 ms: the last 1,000 bars, the one at the window's start included.
    expect(stats.barsPerSecond()).toBe(100);
  });
});
