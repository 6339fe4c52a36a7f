/**
 * Choosing which listed executions of a Binance order to apply against the venue's executed quantity
 * (src/trading/binance/executions.ts): never past it, refusals left unseen so a later reading can apply them, a
 * copy (same content under a later trade id) weighed after a distinct execution, and applied only when it accounts
 * exactly for the venue's executed quantity and quote value.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { chooseExecutions, type Execution } from '../../../src/trading/binance/executions.ts';

const trade = (id: number, qty: number, price = 100, time = 1_000 + id): Execution =>
  ({ id, price, qty, commission: qty / 1000, commissionAsset: 'BTC', time });
const copyOf = (x: Execution, id: number): Execution => ({ ...x, id });
const ids = (xs: readonly Execution[]): number[] => xs.map((x) => x.id);
const quoteOf = (xs: readonly Execution[]): number => xs.reduce((sum, x) => sum + x.qty * x.price, 0);
/** The venue's cumulative figures when it executed `executed` and `applied` of them were applied. */
const venue = (executed: readonly Execution[], applied: readonly Execution[] = []) => ({
  executed: executed.reduce((sum, x) => sum + x.qty, 0), executedQuote: quoteOf(executed),
  applied: applied.reduce((sum, x) => sum + x.qty, 0), appliedQuote: quoteOf(applied),
});

describe('chooseExecutions', () => {
  it('applies executions in trade-id order while they fit within the venue executed quantity', () => {
    const choice = chooseExecutions([trade(3, 0.002), trade(1, 0.001), trade(2, 0.001)], new Set(), venue([trade(1, 0.001), trade(2, 0.001), trade(3, 0.002)]));
    expect(ids(choice.apply)).toEqual([1, 2, 3]);
    expect(choice.refused).toEqual([]);
  });

  it('refuses the copy of a partial execution while the venue reports only the original as executed', () => {
    const original = trade(1, 0.002);
    const choice = chooseExecutions([original, copyOf(original, 2)], new Set(), venue([original]));
    expect(ids(choice.apply)).toEqual([1]);
    expect(choice.refused).toEqual([{ execution: copyOf(original, 2), reason: 'past_venue_executed' }]);
  });

  it('applies a later distinct execution before the copy of an earlier one', () => {
    const original = trade(1, 0.002, 100);
    const listed = [original, copyOf(original, 2), trade(3, 0.002, 101)];
    const choice = chooseExecutions(listed, new Set([1]), venue([original, trade(3, 0.002, 101)], [original]));
    expect(ids(choice.apply)).toEqual([3]);
    expect(ids(choice.refused.map((r) => r.execution))).toEqual([2]);
  });

  it('applies two executions of equal content when the venue counts both', () => {
    const first = trade(1, 0.001);
    const choice = chooseExecutions([first, copyOf(first, 2)], new Set(), venue([first, copyOf(first, 2)]));
    expect(ids(choice.apply)).toEqual([1, 2]);
  });

  it('refuses a copy standing in for a genuine execution the list lacks yet: the quote value is off', () => {
    const original = trade(1, 0.002, 100);
    const unlisted = trade(3, 0.002, 101);
    const choice = chooseExecutions([original, copyOf(original, 2)], new Set(), venue([original, unlisted]));
    expect(ids(choice.apply)).toEqual([1]);
    expect(choice.refused).toEqual([{ execution: copyOf(original, 2), reason: 'repeat_not_accounted' }]);
    // Without the venue's quote value, the executed quantity alone decides.
    expect(ids(chooseExecutions([original, copyOf(original, 2)], new Set(), { ...venue([original, unlisted]), executedQuote: -1 }).apply)).toEqual([1, 2]);
  });

  it('applies an execution refused against a stale executed quantity once a later reading counts it', () => {
    const listed = [trade(1, 0.002), trade(2, 0.002)];
    const stale = chooseExecutions(listed, new Set(), venue([trade(1, 0.002)]));
    expect(ids(stale.refused.map((r) => r.execution))).toEqual([2]);
    // The refused id was not marked seen: the next reading, with the venue caught up, applies it.
    const seen = new Set(ids(stale.apply));
    expect(ids(chooseExecutions(listed, seen, venue(listed, [trade(1, 0.002)])).apply)).toEqual([2]);
  });

  it('skips executions already applied', () => {
    expect(chooseExecutions([trade(1, 0.002), trade(2, 0.002)], new Set([1, 2]), venue([trade(1, 0.002), trade(2, 0.002)]))).toEqual({ apply: [], refused: [] });
  });

  test.prop([
    fc.array(fc.record({ lots: fc.integer({ min: 1, max: 50 }), copied: fc.boolean() }), { maxLength: 12 }),
    fc.integer({ min: 0, max: 700 }),
  ])('never takes the applied total past the venue executed quantity, and weighs every unseen execution', (specs, executedLots) => {
    const listed: Execution[] = [];
    for (const { lots, copied } of specs) {
      const x = trade(listed.length + 1, lots / 1000);
      listed.push(x);
      if (copied) listed.push(copyOf(x, listed.length + 1));
    }
    const executed = executedLots / 1000;
    const choice = chooseExecutions(listed, new Set(), { executed, executedQuote: executed * 100, applied: 0, appliedQuote: 0 });
    const total = choice.apply.reduce((sum, x) => sum + x.qty, 0);
    expect(total).toBeLessThanOrEqual(executed + 1e-9);
    expect([...ids(choice.apply), ...ids(choice.refused.map((r) => r.execution))].sort((a, b) => a - b)).toEqual(ids(listed));
  });
});
