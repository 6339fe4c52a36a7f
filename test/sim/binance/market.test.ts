import { describe, expect, it } from 'vitest';
import { bucketEnd, bucketStart, INTERVALS } from '../../../src/domain/interval.ts';
import type { BinanceKline } from '../../../src/providers/binance/messages.ts';
import { resolveOptions } from '../../../src/sim/binance/options.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();
const START = Date.UTC(2026, 0, 1);
const MIN = 60_000;

const num = (k: BinanceKline) => ({ o: +k.o, h: +k.h, l: +k.l, c: +k.c, v: +k.v, q: +k.q, V: +k.V });

const expectValid = (k: BinanceKline): void => {
  const { o, h, l, c, v, q, V } = num(k);
  expect(l).toBeLessThanOrEqual(Math.min(o, c));
  expect(h).toBeGreaterThanOrEqual(Math.max(o, c));
  expect(v).toBeGreaterThanOrEqual(0);
  expect(V).toBeLessThanOrEqual(v);
  if (k.n === 0) {
    expect([k.f, k.L, v]).toEqual([-1, -1, 0]);
    expect(new Set([k.o, k.h, k.l, k.c]).size).toBe(1);
  } else {
    expect(k.L - k.f + 1).toBe(k.n);
    // q / v is the VWAP, so it lies within the bar's range.
    expect(q / v).toBeGreaterThanOrEqual(l * 0.999999);
    expect(q / v).toBeLessThanOrEqual(h * 1.000001);
  }
  for (const field of [k.o, k.h, k.l, k.c, k.v, k.q, k.V, k.Q]) expect(field).toMatch(/^\d+\.\d{8}$/);
};

const aggregate = (parts: BinanceKline[]) => {
  const traded = parts.filter((p) => p.n > 0);
  return {
    o: traded[0]!.o, c: traded.at(-1)!.c, f: traded[0]!.f, L: traded.at(-1)!.L,
    h: Math.max(...parts.map((p) => +p.h)), l: Math.min(...traded.map((p) => +p.l)),
    n: parts.reduce((s, p) => s + p.n, 0), v: parts.reduce((s, p) => s + +p.v, 0),
  };
};

describe('simulated market data', () => {
  it('produces valid bars for every interval', async () => {
    // A short history keeps the coarse bars cheap: they hold only the days since the simulated listing.
    const sim = await sims.start({ historyMs: 4 * 86_400_000 });
    for (const symbol of ['BTCUSDT', 'DOGEUSDT']) {
      for (const interval of INTERVALS) {
        const bar = sim.bar(symbol, interval, bucketStart(interval, START - 86_400_000));
        expect(bar.T).toBe(bucketEnd(interval, bar.t));
        expect(bar).toMatchObject({ s: symbol, i: interval, x: true });
        expectValid(bar);
      }
    }
  });

  it('produces valid bars for every symbol, each with its own price level', async () => {
    const sim = await sims.start();
    const closes = sim.symbols.map((symbol) => {
      const bars = sim.closedBars(symbol, '1m', START - 120 * MIN, START - MIN);
      bars.forEach(expectValid);
      return +bars.at(-1)!.c;
    });
    expect(new Set(closes).size).toBe(sim.symbols.length);
    expect(Math.max(...closes) / Math.min(...closes)).toBeGreaterThan(10_000);
  });

  it('aggregates 1m bars exactly into the 1h bar', async () => {
    const sim = await sims.start();
    const hour = sim.bar('ETHUSDT', '1h', START - 3_600_000);
    const minutes = Array.from({ length: 60 }, (_, i) => sim.bar('ETHUSDT', '1m', START - 3_600_000 + i * MIN));
    const agg = aggregate(minutes);
    expect({ o: hour.o, c: hour.c, f: hour.f, L: hour.L, n: hour.n }).toEqual({ o: agg.o, c: agg.c, f: agg.f, L: agg.L, n: agg.n });
    expect(+hour.h).toBe(agg.h);
    expect(+hour.l).toBe(agg.l);
    expect(+hour.v).toBeCloseTo(agg.v, 6);
  });

  it('aggregates 1s bars exactly into the 1m bar', async () => {
    const sim = await sims.start();
    const minute = sim.bar('BTCUSDT', '1m', START + 5 * MIN);
    const seconds = Array.from({ length: 60 }, (_, i) => sim.bar('BTCUSDT', '1s', START + 5 * MIN + i * 1000));
    const agg = aggregate(seconds);
    expect([minute.o, minute.c, minute.f, minute.L, minute.n]).toEqual([agg.o, agg.c, agg.f, agg.L, agg.n]);
    expect([+minute.h, +minute.l]).toEqual([agg.h, agg.l]);
  });

  it('has 1s bars without trades shaped as Binance sends them', async () => {
    const sim = await sims.start();
    const seconds = Array.from({ length: 300 }, (_, i) => sim.bar('BTCUSDT', '1s', START + i * 1000));
    const empty = seconds.findIndex((k) => k.n === 0);
    expect(empty).toBeGreaterThan(0);
    const bar = seconds[empty]!;
    expect(bar).toMatchObject({ f: -1, L: -1, n: 0, v: '0.00000000', o: seconds[empty - 1]!.c, c: seconds[empty - 1]!.c });
    expectValid(bar);
  });

  it('opens weeks on Monday and months on the 1st', async () => {
    const sim = await sims.start({ startTime: Date.UTC(2026, 2, 3), historyMs: 60 * 86_400_000 });
    const weeks = sim.closedBars('SOLUSDT', '1w', Date.UTC(2026, 1, 1));
    expect(weeks).toHaveLength(4);
    expect(weeks.map((k) => new Date(k.t).getUTCDay())).toEqual(weeks.map(() => 1));
    const months = sim.closedBars('SOLUSDT', '1M', Date.UTC(2026, 0, 1));
    expect(months.map((k) => [k.t, k.T])).toEqual([
      [Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1) - 1],
      [Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1) - 1],
    ]);
  });

  it('returns the same bars for the same seed and different bars for another seed', async () => {
    const [a, b, c] = await Promise.all([sims.start({ seed: 7 }), sims.start({ seed: 7 }), sims.start({ seed: 8 })]);
    const bars = (s: typeof a) => s.closedBars('XRPUSDT', '5m', START - 86_400_000, START);
    expect(bars(a)).toEqual(bars(b));
    expect(bars(a)).not.toEqual(bars(c));
  });

  it('lists only bars closed by the market clock in closedBars', async () => {
    const sim = await sims.start({ marketStepMs: 30_000 });
    expect(sim.closedBars('BTCUSDT', '1m', START)).toEqual([]);
    sim.advance(5);
    expect(sim.now()).toBe(START + 150_000);
    const closed = sim.closedBars('BTCUSDT', '1m', START);
    expect(closed.map((k) => k.t)).toEqual([START, START + MIN]);
    expect(closed[1]).toEqual(sim.bar('BTCUSDT', '1m', START + MIN));
  });

  it('trends enough for moving averages to cross within a few dozen 1m bars', async () => {
    const sim = await sims.start();
    const closes = sim.closedBars('BTCUSDT', '1m', START - 240 * MIN, START - MIN).map((k) => +k.c);
    const sma = (i: number, n: number) => closes.slice(i - n + 1, i + 1).reduce((s, x) => s + x, 0) / n;
    let crossings = 0;
    for (let i = 21; i < closes.length; i++) {
      if (Math.sign(sma(i, 5) - sma(i, 20)) !== Math.sign(sma(i - 1, 5) - sma(i - 1, 20))) crossings++;
    }
    expect(crossings).toBeGreaterThanOrEqual(4);
  });

  it('rejects buckets that are misaligned, unknown or before the history', async () => {
    const sim = await sims.start({ historyMs: 86_400_000 });
    expect(() => sim.bar('BTCUSDT', '1m', START + 1)).toThrow(RangeError);
    expect(() => sim.bar('NOPEUSDT', '1m', START)).toThrow(RangeError);
    expect(() => sim.bar('BTCUSDT', '7m', START)).toThrow(RangeError);
    expect(() => sim.bar('BTCUSDT', '1d', START - 2 * 86_400_000)).toThrow(RangeError);
    expect(sim.closedBars('BTCUSDT', '1d', 0)[0]!.t).toBe(START - 86_400_000);
  });

  it('generates synthetic symbols for load tests', async () => {
    const sim = await sims.start({ symbolCount: 1000 });
    expect(sim.symbols).toHaveLength(1000);
    expect(sim.symbols[0]).toBe('SYM0001USDT');
    expectValid(sim.bar('SYM1000USDT', '1m', START));
  });

  it('validates options', () => {
    expect(() => resolveOptions({ tickMs: 0 })).toThrow(RangeError);
    expect(() => resolveOptions({ malformedRate: 2 })).toThrow(RangeError);
    expect(() => resolveOptions({ symbols: ['bad symbol'] })).toThrow(RangeError);
    expect(resolveOptions({ symbols: ['btcusdt'], symbolCount: 2 }).symbols).toEqual(['BTCUSDT', 'SYM0001USDT', 'SYM0002USDT']);
  });
});
