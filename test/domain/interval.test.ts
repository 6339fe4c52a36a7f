import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { bucketEnd, bucketStart, divides, INTERVALS, intervalMs, isInterval, nextBucketStart, parseInterval } from '../../src/domain/interval.ts';

describe('intervals', () => {
  it('parses the Binance set and nothing else, case-sensitively', () => {
    for (const i of INTERVALS) expect(parseInterval(i)).toBe(i);
    expect(parseInterval('2m')).toBeUndefined();
    expect(isInterval('1M')).toBe(true);
    expect(intervalMs('1m')).toBe(60_000);
    expect(intervalMs('1M')).toBe(30 * 86_400_000);
  });

  it('aligns weeks on Monday 00:00 UTC and months on the 1st', () => {
    const wed = Date.UTC(2026, 0, 7, 13, 5); // Wednesday 7 Jan 2026
    expect(new Date(bucketStart('1w', wed)).toISOString()).toBe('2026-01-05T00:00:00.000Z');
    expect(new Date(bucketStart('1M', wed)).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(nextBucketStart('1M', Date.UTC(2026, 1, 1))).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(bucketEnd('1m', 60_000)).toBe(119_999);
  });

  it('knows which intervals can be aggregated from which', () => {
    expect(divides('1m', '5m')).toBe(true);
    expect(divides('3m', '5m')).toBe(false);
    expect(divides('1h', '1w')).toBe(true);
    expect(divides('1d', '1M')).toBe(true);
    expect(divides('1M', '1w')).toBe(false);
  });

  test.prop([fc.constantFrom(...INTERVALS), fc.integer({ min: 0, max: 4_000_000_000_000 })])(
    'puts every instant inside exactly one bucket',
    (interval, t) => {
      const start = bucketStart(interval, t);
      expect(start).toBeLessThanOrEqual(t);
      expect(nextBucketStart(interval, start)).toBeGreaterThan(t);
      expect(bucketStart(interval, start)).toBe(start);
    },
  );
});
