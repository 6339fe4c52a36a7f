/** The shared Hive layout: date first, then provider and interval, values escaped for a path segment. */
import { describe, expect, it } from 'vitest';
import { HIVE_KEYS, partitionDir, partitionPath, utcDate } from '../../src/storage/hive-layout.ts';

describe('hive layout', () => {
  it('orders the partitions by date, then provider, then interval', () => {
    expect(HIVE_KEYS).toEqual(['date', 'provider', 'interval']);
    expect(partitionPath({ date: '2026-01-02', provider: 'binance', interval: '1m' })).toBe('date=2026-01-02/provider=binance/interval=1m');
    expect(partitionDir('/data/p', { date: '2026-01-02', provider: 'polygon', interval: '5m' })).toBe('/data/p/date=2026-01-02/provider=polygon/interval=5m');
  });

  it('escapes characters a path segment cannot hold', () => {
    expect(partitionPath({ date: '2026-01-02', provider: 'a/b=c', interval: '1m' })).toBe('date=2026-01-02/provider=a%2Fb%3Dc/interval=1m');
  });

  it('dates a bar by the UTC day of its open time', () => {
    expect(utcDate(Date.UTC(2026, 0, 1, 23, 59))).toBe('2026-01-01');
    expect(utcDate(Date.UTC(2026, 0, 2))).toBe('2026-01-02');
  });
});
