import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { barKey, type Bar } from '../../src/domain/bar.ts';
import { KnownKeys } from '../../src/storage/known-keys.ts';

const bar = (openTime: number, over: Partial<Bar> = {}): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime, closeTime: openTime + 59_999,
  open: 1, high: 3, low: 0.5, close: 2, volume: 10, vwap: 1.5, tradeCount: 7, final: true, receivedAt: openTime + 60_000, ...over,
});
const values = (b: Bar) => ({ open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, tradeCount: b.tradeCount });

describe('KnownKeys', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  test.prop([finite, finite, finite, finite, finite, fc.option(finite), fc.option(fc.nat())])(
    'gives back exactly the stored values, null vwap and trade count included',
    (open, high, low, close, volume, vwap, tradeCount) => {
      const known = new KnownKeys(8);
      const b = bar(60_000, { open, high, low, close, volume, vwap, tradeCount });
      known.set(barKey(b), b);
      expect(known.get(barKey(b))).toEqual(values(b));
    },
  );

  it('keeps the latest values of a key written twice', () => {
    const known = new KnownKeys(8);
    known.set(barKey(bar(0)), bar(0));
    known.set(barKey(bar(0)), bar(0, { close: 2.5 }));
    expect(known.get(barKey(bar(0)))?.close).toBe(2.5);
    expect(known.size).toBe(1);
  });

  it('forgets the oldest generation once two have filled', () => {
    const known = new KnownKeys(4);
    for (let i = 0; i < 5; i++) known.set(barKey(bar(i * 60_000)), bar(i * 60_000, { close: i }));
    expect(known.get(barKey(bar(0)))).toBeUndefined();
    expect(known.get(barKey(bar(2 * 60_000)))?.close).toBe(2);
    expect(known.get(barKey(bar(4 * 60_000)))?.close).toBe(4);
  });

  it('answers a bar newer than its stream has ever stored without a lookup, and finds older ones', () => {
    const known = new KnownKeys(8);
    known.set(barKey(bar(120_000)), bar(120_000));
    expect(known.find(barKey(bar(180_000)), bar(180_000))).toBeUndefined();
    expect(known.find(barKey(bar(120_000)), bar(120_000))).toEqual(values(bar(120_000)));
    expect(known.find(barKey(bar(60_000)), bar(60_000))).toBeUndefined();
  });

  it('remembers nothing with capacity 0', () => {
    const known = new KnownKeys(0);
    known.set(barKey(bar(0)), bar(0));
    expect(known.get(barKey(bar(0)))).toBeUndefined();
    expect(known.size).toBe(0);
  });
});
