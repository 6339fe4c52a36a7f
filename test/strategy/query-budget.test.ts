/** The executeSQL time budget on a hand-driven clock: charged after each query, refilled at its rate up to its cap. */
import { describe, expect, it } from 'vitest';
import { QueryBudget } from '../../src/strategy/query-budget.ts';

const at = (t0 = 0) => {
  const clock = { t: t0 };
  return { clock, now: () => clock.t };
};

describe('QueryBudget', () => {
  it('lets queries start while any time is left and refuses them once a query ran past it', () => {
    const { now } = at();
    const budget = new QueryBudget({ msPerSecond: 100, burstMs: 1_000 }, now);
    expect(budget.waitMs()).toBe(0);
    budget.spend(999);
    expect(budget.waitMs()).toBe(0);
    // The last query started with 1 ms left and ran 3 s: the budget is 2,999 ms in debt.
    budget.spend(3_000);
    expect(budget.waitMs()).toBe(30_000);
  });

  it('earns the debt back at its rate, then lets queries start again', () => {
    const { clock, now } = at(5_000);
    const budget = new QueryBudget({ msPerSecond: 250, burstMs: 10_000 }, now);
    budget.spend(12_000);
    expect(budget.waitMs()).toBe(8_004);
    clock.t += 8_000;
    expect(budget.waitMs()).toBeGreaterThan(0);
    clock.t += 4;
    expect(budget.waitMs()).toBe(0);
  });

  it('saves up no more than its cap however long it is idle', () => {
    const { clock, now } = at();
    const budget = new QueryBudget({ msPerSecond: 1_000, burstMs: 500 }, now);
    clock.t += 3_600_000;
    budget.spend(501);
    expect(budget.waitMs()).toBe(2);
  });

  it('refuses a rate or cap that is not positive', () => {
    expect(() => new QueryBudget({ msPerSecond: 0, burstMs: 10 }, Date.now)).toThrow(RangeError);
    expect(() => new QueryBudget({ msPerSecond: 10, burstMs: Number.NaN }, Date.now)).toThrow(RangeError);
  });
});
