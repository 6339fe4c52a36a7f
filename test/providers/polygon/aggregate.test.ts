import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import { combineBars, WindowAggregator } from '../../../src/providers/polygon/aggregate.ts';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 14, 0); // a Monday
const minute = (i: number, over: Partial<Bar> = {}): Bar => ({
  provider: 'polygon', symbol: 'AAPL', interval: '1m', openTime: T0 + i * M, closeTime: T0 + i * M + M - 1,
  open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10 * (i + 1), vwap: 100.5 + i, tradeCount: null, final: true, receivedAt: 0,
  ...over,
});

describe('combineBars', () => {
  it('takes first open, last close, extremes, summed volume and the volume-weighted VWAP', () => {
    const bar = combineBars([minute(0), minute(1, { high: 150 }), minute(3, { low: 50 })], '5m', T0, 9);
    expect(bar).toEqual({
      provider: 'polygon', symbol: 'AAPL', interval: '5m', openTime: T0, closeTime: T0 + 5 * M - 1,
      open: 100, high: 150, low: 50, close: 104, volume: 10 + 20 + 40, vwap: (100.5 * 10 + 101.5 * 20 + 103.5 * 40) / 70,
      tradeCount: null, final: true, receivedAt: 9,
    });
  });

  it('sums trade counts only when every part has one, and marks all-backfilled windows', () => {
    const bar = combineBars([minute(0, { tradeCount: 3, backfilled: true }), minute(1, { tradeCount: 4, backfilled: true })], '5m', T0, 0);
    expect(bar).toMatchObject({ tradeCount: 7, backfilled: true });
    expect(combineBars([minute(0, { tradeCount: 3 }), minute(1)], '5m', T0, 0).tradeCount).toBeNull();
  });

  it('has no VWAP when a part with volume lacks one', () => {
    expect(combineBars([minute(0), minute(1, { vwap: null })], '5m', T0, 0).vwap).toBeNull();
    expect(combineBars([minute(0, { volume: 0, vwap: null }), minute(1, { volume: 0, vwap: null })], '5m', T0, 0).vwap).toBeNull();
  });
});

describe('WindowAggregator', () => {
  it('closes a window as soon as its last minute arrives', () => {
    const agg = new WindowAggregator('5m', T0);
    for (let i = 0; i < 4; i++) agg.put(minute(i), 0);
    expect(agg.closeThrough(T0 + 4 * M, 0)).toEqual([]);
    agg.put(minute(4), 0);
    const [bar] = agg.closeThrough(T0 + 5 * M, 0);
    expect(bar).toMatchObject({ openTime: T0, open: 100, close: 105, volume: 150 });
  });

  it('closes a window whose last minutes had no trades once the watermark passes its end', () => {
    const agg = new WindowAggregator('5m', T0);
    agg.put(minute(0), 0);
    agg.put(minute(1), 0);
    expect(agg.closeThrough(T0 + 4 * M, 0)).toEqual([]);
    expect(agg.closeThrough(T0 + 5 * M, 0).map((b) => [b.openTime, b.close])).toEqual([[T0, 102]]);
  });

  it('produces no bar for a window without any minute, and closes several windows in order', () => {
    const agg = new WindowAggregator('5m', T0);
    agg.put(minute(2), 0);
    agg.put(minute(12), 0);
    expect(agg.closeThrough(T0 + 15 * M, 0).map((b) => (b.openTime - T0) / M)).toEqual([0, 10]);
  });

  it('aligns windows to UTC buckets: hours on the hour, weeks from Monday, months from the 1st', () => {
    const hour = new WindowAggregator('1h', 0);
    hour.put(minute(59), 0);
    hour.put(minute(61), 0);
    expect(hour.closeThrough(T0 + 120 * M, 0).map((b) => b.openTime)).toEqual([T0, T0 + 60 * M]);
    const week = new WindowAggregator('1w', 0);
    week.put(minute(0, { openTime: Date.UTC(2026, 0, 11, 23, 59) }), 0); // Sunday
    week.put(minute(0, { openTime: Date.UTC(2026, 0, 12, 0, 0) }), 0); // Monday
    expect(week.closeThrough(Date.UTC(2026, 0, 19), 0).map((b) => new Date(b.openTime).toISOString())).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']);
    const month = new WindowAggregator('1M', 0);
    month.put(minute(0, { openTime: Date.UTC(2026, 1, 28, 23, 59) }), 0);
    const [feb] = month.closeThrough(Date.UTC(2026, 2, 1), 0);
    expect(feb).toMatchObject({ openTime: Date.UTC(2026, 1, 1), closeTime: Date.UTC(2026, 2, 1) - 1 });
  });

  it('recomputes a closed window when one of its minutes is corrected, and only when the values change', () => {
    const agg = new WindowAggregator('5m', T0);
    for (let i = 0; i < 5; i++) agg.put(minute(i), 0);
    agg.closeThrough(T0 + 5 * M, 0);
    expect(agg.put(minute(2), 0).bars).toEqual([]);
    const { bars } = agg.put(minute(2, { volume: 999, high: 500 }), 0);
    expect(bars.map((b) => [b.openTime, b.high, b.volume])).toEqual([[T0, 500, 10 + 20 + 999 + 40 + 50]]);
  });

  it('turns a late minute into a bar for a window that had been closed empty', () => {
    const agg = new WindowAggregator('5m', T0);
    expect(agg.closeThrough(T0 + 10 * M, 0)).toEqual([]);
    expect(agg.put(minute(7), 0).bars.map((b) => b.openTime)).toEqual([T0 + 5 * M]);
  });

  it('does not recompute an open window on a correction, and ignores windows before its start', () => {
    const agg = new WindowAggregator('5m', T0 + 5 * M);
    expect(agg.put(minute(1), 0)).toEqual({ bars: [], forgotten: false });
    agg.put(minute(6), 0);
    expect(agg.put(minute(6, { close: 1 }), 0).bars).toEqual([]);
    expect(agg.closeThrough(T0 + 10 * M, 0)[0]!.close).toBe(1);
  });

  it('reports a correction of a window it has forgotten', () => {
    const agg = new WindowAggregator('5m', T0);
    agg.put(minute(0), 0);
    agg.closeThrough(T0 + 60 * M, 0);
    agg.prune(T0 + 30 * M);
    expect(agg.put(minute(0, { close: 1 }), 0)).toEqual({ bars: [], forgotten: true });
    expect(agg.openWindows).toBe(0);
  });
});
