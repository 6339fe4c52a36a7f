/**
 * Bars handed to the strategy in batches (issue #15), with real worker threads in both isolations: one message
 * for the batch, bars run in order, and budgets, failures and the skip/stop policies per bar inside a batch;
 * a forged `bar.done` for a bar of the batch that has not run is refused.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { barKey } from '../../src/domain/bar.ts';
import type { BarOutcome, StrategyEvent } from '../../src/strategy/events.ts';
import { startStrategy, type StrategyRunner, type StrategyRunnerOptions } from '../../src/strategy/runtime.ts';
import type { Isolation } from '../../src/strategy/worker-host.ts';
import { bar, fakeServices, marked } from './helpers.ts';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', `${name}.strategy.ts`);
const runners: StrategyRunner[] = [];

const start = async (path: string, options: Partial<StrategyRunnerOptions> = {}) => {
  const services = fakeServices();
  const events: StrategyEvent[] = [];
  // 1 s: the sandbox on a loaded 2-core machine can take a few hundred ms for a bar that does nothing much.
  const runner = await startStrategy(path, { services, budgetMs: 1_000, onEvent: (e) => events.push(e), ...options });
  runners.push(runner);
  return { runner, services, events };
};

const bars = (n: number) => Array.from({ length: n }, (_, i) => bar(i));
const statuses = (outcomes: readonly BarOutcome[]): string[] =>
  outcomes.map((o) => (o.status === 'failed' ? `failed:${o.failure.reason}` : o.status === 'refused' ? `refused:${o.reason}` : o.status));

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

describe.each<Isolation>(['sandbox', 'trusted'])('a batch of bars (%s)', (isolation) => {
  it('reaches processData in order, in one message, with each outcome told as it is known', async () => {
    const { runner, services } = await start(fixture('throws-every-10th'), { isolation });
    const told: [number, string][] = [];
    const outcomes = await runner.processBars(bars(8), (o, i) => told.push([i, o.barKey]));
    expect(statuses(outcomes)).toEqual(Array(8).fill('ok'));
    expect(told).toEqual(bars(8).map((b, i) => [i, barKey(b)]));
    expect(marked(services, 'seen')).toEqual(bars(8).map((b) => b.openTime));
    expect(runner.stats()).toMatchObject({ barsProcessed: 8, batches: 1, latencyMs: { count: 8 } });
  });

  it('skips only the bar that overruns its budget under policy skip, and runs the rest of the batch on a fresh worker', async () => {
    const { runner, services, events } = await start(fixture('loops-forever'), { isolation, config: { loopAt: bar(2).openTime }, budgetMs: 500 });
    const outcomes = await runner.processBars(bars(5));
    expect(statuses(outcomes)).toEqual(['ok', 'ok', 'failed:timeout', 'ok', 'ok']);
    expect(outcomes[2]).toMatchObject({ barKey: outcomes[2]!.barKey, failure: { barKey: outcomes[2]!.barKey } });
    expect(events.map((e) => e.type)).toEqual(['strategy.failed', 'strategy.restarted']);
    expect(marked(services, 'seen')).toEqual([0, 1, 3, 4].map((i) => bar(i).openTime));
    expect(marked(services, 'initialized')).toHaveLength(2);
    // The batch's rest went to the restarted worker in a second message.
    expect(runner.stats()).toMatchObject({ barsProcessed: 5, barsTimedOut: 1, restarts: 1, batches: 2 });
  });

  it('halts at a timeout under policy stop and refuses the rest of the batch', async () => {
    const { runner, services, events } = await start(fixture('loops-forever'), { isolation, config: { loopAt: bar(2).openTime }, budgetMs: 500, onError: 'stop' });
    const outcomes = await runner.processBars(bars(5));
    expect(statuses(outcomes)).toEqual(['ok', 'ok', 'failed:timeout', 'refused:halted', 'refused:halted']);
    expect(events.map((e) => e.type)).toEqual(['strategy.failed', 'strategy.halted']);
    expect(marked(services, 'seen')).toEqual([0, 1].map((i) => bar(i).openTime));
    expect(runner.stats()).toMatchObject({ state: 'halted', barsProcessed: 3, barsRefused: 2, restarts: 0 });
  });

  it('fails only the bar that throws under policy skip; the same worker runs the rest of the batch', async () => {
    const { runner, services } = await start(fixture('throws-every-10th'), { isolation });
    const outcomes = await runner.processBars(bars(13));
    expect(statuses(outcomes)).toEqual([...Array(9).fill('ok'), 'failed:threw', 'ok', 'ok', 'ok']);
    expect(outcomes[9]).toMatchObject({ failure: { message: 'boom on bar 10' } });
    expect(marked(services, 'seen')).toEqual([...bars(9), ...bars(13).slice(10)].map((b) => b.openTime));
    expect(runner.stats()).toMatchObject({ state: 'running', barsProcessed: 13, barsFailed: 1, restarts: 0, batches: 1 });
  });

  it('halts at a throw under policy stop: the rest of the batch is refused and nothing of it reaches the host', async () => {
    const { runner, services, events } = await start(fixture('throws-every-10th'), { isolation, onError: 'stop' });
    const outcomes = await runner.processBars(bars(13));
    expect(statuses(outcomes)).toEqual([...Array(9).fill('ok'), 'failed:threw', ...Array(3).fill('refused:halted')]);
    expect(events.at(-1)).toEqual({ type: 'strategy.halted', strategy: 'throws-every-10th', reason: 'threw', message: 'boom on bar 10' });
    await runner.stop();
    // The worker may have started bar 10 before it was ended: what it sent after the failure was not served.
    expect(marked(services, 'seen')).toEqual(bars(9).map((b) => b.openTime));
    expect(runner.stats()).toMatchObject({ state: 'stopped', barsProcessed: 10, barsRefused: 3 });
  });
});

describe('a forged bar.done', () => {
  it('is refused for a bar of the batch that has not run yet: each outcome comes after its own bar ran', async () => {
    const { runner, services } = await start(fixture('forges-done'), { isolation: 'trusted' });
    const seenAtOutcome: number[] = [];
    const outcomes = await runner.processBars(bars(5), () => seenAtOutcome.push(marked(services, 'seen').length));
    expect(statuses(outcomes)).toEqual(Array(5).fill('ok'));
    expect(seenAtOutcome).toEqual([1, 2, 3, 4, 5]);
    expect(marked(services, 'seen')).toEqual(bars(5).map((b) => b.openTime));
  });
});
