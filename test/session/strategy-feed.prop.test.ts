/**
 * StrategyFeed under any interleaving of pushes and finished bars (fast-check): the strategy gets every
 * bar it gets once, in arrival order; every bar is either handed over, dropped, or still queued; and `settled`
 * (what a bus checkpoint covers) is exactly the longest prefix of arrivals that are finished or dropped.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { StrategyFeed } from '../../src/session/strategy-feed.ts';
import type { BarOutcome } from '../../src/strategy/events.ts';
import type { StrategyRunner } from '../../src/strategy/runtime.ts';

const bar = (i: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: i * 60_000, closeTime: i * 60_000 + 59_999,
  open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: null, tradeCount: 1, final: true, receivedAt: 0,
});

/** A turn: some bars pushed together (one socket read), or the strategy finishing the bar in hand. */
type Step = { kind: 'push'; count: number } | { kind: 'finish' };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 4 }) }),
  fc.constant({ kind: 'finish' as const }),
);

const settleMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('StrategyFeed (property)', () => {
  test.prop([fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 6 })])(
    'counts as settled exactly the prefix of arrivals that are finished or dropped',
    async (capacity, steps, maxBatch) => {
      const state = new Map<number, 'queued' | 'handed' | 'finished' | 'dropped'>();
      const handedOrder: number[] = [];
      const finishers: (() => void)[] = [];
      const runner = {
        processBars: (bars: readonly Bar[], onOutcome: (o: BarOutcome, i: number) => void) => new Promise<BarOutcome[]>((resolve) => {
          const outcomes: BarOutcome[] = [];
          bars.forEach((b, i) => {
            const n = b.openTime / 60_000;
            state.set(n, 'handed');
            handedOrder.push(n);
            finishers.push(() => {
              state.set(n, 'finished');
              const outcome: BarOutcome = { status: 'ok', barKey: String(n), latencyMs: 0 };
              outcomes.push(outcome);
              onOutcome(outcome, i);
              if (outcomes.length === bars.length) resolve(outcomes);
            });
          });
        }),
      } as unknown as StrategyRunner;
      const feed = new StrategyFeed(runner, capacity, (b) => state.set(b.openTime / 60_000, 'dropped'), undefined, maxBatch);
      let next = 0;
      const prefix = (): number => {
        let n = 0;
        while (state.get(n) === 'finished' || state.get(n) === 'dropped') n++;
        return n;
      };
      for (const s of steps) {
        if (s.kind === 'push') {
          for (let i = 0; i < s.count; i++) {
            state.set(next, 'queued');
            feed.push(bar(next++));
          }
        } else {
          finishers.shift()?.();
        }
        await settleMicrotasks();
        expect(feed.settled).toBe(prefix());
      }
      while (finishers.length > 0) {
        finishers.shift()!();
        await settleMicrotasks();
      }
      await feed.idle();
      expect([...handedOrder].sort((a, b) => a - b)).toEqual(handedOrder);
      expect(handedOrder.length + feed.skipped).toBe(next);
      expect(feed.settled).toBe(next);
      expect(feed.delivered).toBe(handedOrder.length);
    },
  );
});
