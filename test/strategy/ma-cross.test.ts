/**
 * The example moving-average crossover strategy, run through the real runtime against a fake broker:
 * it buys after a rise, goes flat after a fall, never sells what it does not hold, and warms up from history.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { StrategyLoadError } from '../../src/strategy/errors.ts';
import type { StrategyHostServices } from '../../src/strategy/host-api.ts';
import { startStrategy, type StrategyRunner } from '../../src/strategy/runtime.ts';
import { bar, fakeServices, marked, type FakeServices } from './helpers.ts';

const EXAMPLE = 'examples/ma-cross.strategy.ts';
const runners: StrategyRunner[] = [];

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

/** Runs `closes` as consecutive 1m bars and returns the orders with the index of the bar that placed them. */
const trade = async (closes: readonly number[], overrides: Partial<StrategyHostServices> = {}, config = {}) => {
  const services: FakeServices = fakeServices(overrides);
  const runner = await startStrategy(EXAMPLE, { services, config, budgetMs: 1_000 });
  runners.push(runner);
  const barIndex = new Map<number, number>();
  for (const [i, close] of closes.entries()) {
    const b = bar(i, close);
    barIndex.set(b.openTime, i);
    services.lastPrice = close;
    expect(await runner.processBar(b)).toMatchObject({ status: 'ok' });
  }
  const orders = services.orders.map((o) => ({
    side: o.side, quantity: o.quantity, type: o.type,
    at: barIndex.get(Number(o.clientOrderId?.split('-').at(-2))),
  }));
  return { services, orders };
};

const falling = (n: number, from: number): number[] => Array.from({ length: n }, (_, i) => from - i);
const rising = (n: number, from: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('ma-cross example', () => {
  it('buys after a rising series and sells after a falling one', async () => {
    const closes = [...falling(10, 110), ...rising(10, 101), ...falling(10, 110)];
    const { services, orders } = await trade(closes);
    expect(orders).toHaveLength(2);
    expect(orders[0]).toMatchObject({ side: 'buy', type: 'market', quantity: 0.01 });
    expect(orders[0]?.at).toBeGreaterThanOrEqual(10);
    expect(orders[0]?.at).toBeLessThan(20);
    expect(orders[1]).toMatchObject({ side: 'sell', type: 'market', quantity: 0.01 });
    expect(orders[1]?.at).toBeGreaterThanOrEqual(20);
    expect(services.positions.get('BTCUSDT')).toBe(0);
    expect(marked(services, 'ma_cross.signal')).toEqual([
      expect.objectContaining({ symbol: 'BTCUSDT', signal: 'golden', held: 0 }),
      expect.objectContaining({ symbol: 'BTCUSDT', signal: 'death', held: 0.01 }),
    ]);
  });

  it('does not sell on a death cross when it holds nothing', async () => {
    const { orders, services } = await trade([...rising(12, 100), ...falling(12, 111)]);
    expect(orders).toEqual([]);
    expect(marked(services, 'ma_cross.signal')).toEqual([expect.objectContaining({ signal: 'death', held: 0 })]);
  });

  it('alternates buys and sells on a sine-like path with the default config', async () => {
    const closes = Array.from({ length: 48 }, (_, i) => 100 + 5 * Math.sin((2 * Math.PI * i) / 16));
    const { orders } = await trade(closes);
    expect(orders.length).toBeGreaterThanOrEqual(4);
    orders.forEach((o, i) => expect(o.side).toBe(i % 2 === 0 ? 'buy' : 'sell'));
  });

  it('warms up from stored bars so that it can trade on its first live bar', async () => {
    const history: Bar[] = falling(8, 120).map((close, i) => bar(i - 8, close));
    const asked: unknown[][] = [];
    const { orders } = await trade([130], { getRange: async (...args) => { asked.push(args); return history; } });
    expect(asked).toEqual([['BTCUSDT', bar(-8).openTime, bar(0).openTime, '1m']]);
    expect(orders).toEqual([{ side: 'buy', quantity: 0.01, type: 'market', at: 0 }]);
  });

  it('refuses a fast average that is not shorter than the slow one', async () => {
    const error = await startStrategy(EXAMPLE, { services: fakeServices(), config: { fast: 8, slow: 8 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrategyLoadError);
    expect((error as StrategyLoadError).message).toContain('fast (8) must be shorter than slow (8)');
  });
});
