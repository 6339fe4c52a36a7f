/** The writer's bounded memory of committed keys: two generations of stored values, and the per-stream newest open time. */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { KnownKeys } from '../../src/storage/known-keys.ts';

const M = 60_000;
const bar = (i: number, symbol = 'BTCUSDT', provider = 'binance', interval: Bar['interval'] = '1m'): Bar => ({
  provider, symbol, interval, openTime: i * M, closeTime: i * M + M - 1,
  open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 + i, vwap: 1.2, tradeCount: 4, final: true, receivedAt: i * M + M,
});
const values = (b: Bar) => ({ open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, tradeCount: b.tradeCount });
const keyOf = (b: Bar): string => `${b.provider}|${b.symbol}|${b.interval}|${b.openTime}`;
const remember = (keys: KnownKeys, ...bars: Bar[]): void => {
  for (const b of bars) keys.set(keyOf(b), b);
};

describe('KnownKeys', () => {
  it('returns the values stored under a key', () => {
    const keys = new KnownKeys(8);
    const b = bar(1);
    remember(keys, b);
    expect(keys.get(keyOf(b))).toEqual(values(b));
    expect(keys.get(keyOf(bar(2)))).toBeUndefined();
    expect(keys.size).toBe(1);
  });

  it('keeps the last two generations of capacity / 2 keys and forgets older ones', () => {
    const keys = new KnownKeys(4);
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((i) => bar(i)) as [Bar, Bar, Bar, Bar, Bar];
    remember(keys, a, b);
    expect(keys.size).toBe(2);
    expect(keys.get(keyOf(a))).toEqual(values(a));
    remember(keys, c);
    expect(keys.size).toBe(3);
    expect([a, b, c].map((x) => keys.get(keyOf(x)))).toEqual([a, b, c].map(values));
    remember(keys, d);
    expect(keys.get(keyOf(a))).toBeUndefined();
    expect(keys.get(keyOf(b))).toBeUndefined();
    expect([c, d].map((x) => keys.get(keyOf(x)))).toEqual([c, d].map(values));
    remember(keys, e);
    expect(keys.size).toBe(3);
    expect([c, d, e].map((x) => keys.get(keyOf(x)))).toEqual([c, d, e].map(values));
  });

  it('reads a key rewritten in the current generation before its older value', () => {
    const keys = new KnownKeys(4);
    const first = bar(1);
    const corrected = { ...bar(1), close: 9 };
    remember(keys, first, bar(2));
    remember(keys, corrected);
    expect(keys.get(keyOf(first))).toEqual(values(corrected));
  });

  it('rounds an odd capacity down to whole generations', () => {
    const keys = new KnownKeys(3);
    remember(keys, bar(1), bar(2));
    expect(keys.get(keyOf(bar(1)))).toBeUndefined();
    expect(keys.get(keyOf(bar(2)))).toBeDefined();
  });

  it('remembers nothing with a capacity under two', () => {
    for (const capacity of [1, 0, -4]) {
      const keys = new KnownKeys(capacity);
      const b = bar(1);
      remember(keys, b);
      expect(keys.get(keyOf(b))).toBeUndefined();
      expect(keys.find(keyOf(b), b)).toBeUndefined();
      expect(keys.size).toBe(0);
    }
  });

  it('finds a remembered bar at or before its stream newest open time', () => {
    const keys = new KnownKeys(16);
    const [b3, b5] = [bar(3), bar(5)];
    remember(keys, b5, b3);
    expect(keys.find(keyOf(b5), bar(5))).toEqual(values(b5));
    expect(keys.find(keyOf(b3), bar(3))).toEqual(values(b3));
    expect(keys.find(keyOf(bar(4)), bar(4))).toBeUndefined();
  });

  it('answers a bar newer than its stream newest as unknown, even when the key is remembered', () => {
    const keys = new KnownKeys(16);
    // A key remembered with an older open time than its bar (the caller's key is what is looked up).
    keys.set('k', bar(2));
    expect(keys.find('k', bar(2))).toEqual(values(bar(2)));
    expect(keys.find('k', bar(3))).toBeUndefined();
  });

  it('keeps the newest open time per provider, symbol and interval apart', () => {
    const keys = new KnownKeys(16);
    remember(keys, bar(9, 'BTCUSDT', 'binance', '1m'));
    const others = [bar(2, 'ETHUSDT', 'binance', '1m'), bar(2, 'BTCUSDT', 'polygon', '1m'), bar(2, 'BTCUSDT', 'binance', '1h')];
    for (const o of others) expect(keys.find(keyOf(o), o)).toBeUndefined();
    remember(keys, ...others);
    for (const o of others) expect(keys.find(keyOf(o), o)).toEqual(values(o));
    const later = bar(3, 'BTCUSDT', 'binance', '1h');
    expect(keys.find(keyOf(later), later)).toBeUndefined();
  });

  it('raises a stream newest open time as newer bars are remembered', () => {
    const keys = new KnownKeys(16);
    const [b2, b5] = [bar(2), bar(5)];
    remember(keys, b2, b5);
    expect(keys.find(keyOf(b5), bar(5))).toEqual(values(b5));
  });

  it('does not lower a stream newest open time when an older bar is remembered', () => {
    const keys = new KnownKeys(16);
    remember(keys, bar(5), bar(2));
    keys.set('other', bar(4));
    expect(keys.find('other', bar(4))).toEqual(values(bar(4)));
  });
});
