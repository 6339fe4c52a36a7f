/**
 * StrategyFeed: bars of one event-loop turn go to the strategy as one batch, later ones wait for it; a bounded
 * queue that drops the oldest; a stop that drops the queue; per-bar accounting (turns, settled prefix).
 */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { StrategyFeed } from '../../src/session/strategy-feed.ts';
import type { BarOutcome } from '../../src/strategy/events.ts';
import type { StrategyRunner } from '../../src/strategy/runtime.ts';

const bar = (i: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: i * 60_000, closeTime: i * 60_000 + 59_999,
  open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: null, tradeCount: 1, final: true, receivedAt: 0,
});
const index = (b: Bar): number => b.openTime / 60_000;

/** A runner whose every bar finishes when the test says so; `batches` lists the bars of each batch handed over. */
const heldRunner = () => {
  const batches: number[][] = [];
  const finishers: (() => void)[] = [];
  const runner = {
    processBars: (bars: readonly Bar[], onOutcome: (o: BarOutcome, i: number) => void) => new Promise<BarOutcome[]>((resolve) => {
      batches.push(bars.map(index));
      const outcomes: BarOutcome[] = [];
      bars.forEach((b, i) => finishers.push(() => {
        const outcome: BarOutcome = { status: 'ok', barKey: String(index(b)), latencyMs: 0 };
        outcomes.push(outcome);
        onOutcome(outcome, i);
        if (outcomes.length === bars.length) resolve(outcomes);
      }));
    }),
  } as unknown as StrategyRunner;
  /** Finishes the bar in hand and lets the feed hand over the next batch. */
  const finish = async () => {
    finishers.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  /** Lets the feed flush what this turn pushed. */
  const flushed = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { runner, batches, finish, flushed };
};

describe('StrategyFeed', () => {
  it('hands the bars pushed in one turn to the strategy as one batch, and those pushed meanwhile as the next, in order', async () => {
    const { runner, batches, finish, flushed } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {});
    feed.push(bar(1));
    feed.push(bar(2));
    feed.push(bar(3));
    await flushed();
    expect(batches).toEqual([[1, 2, 3]]);
    feed.push(bar(4));
    feed.push(bar(5));
    expect(feed.queued).toBe(2);
    await finish();
    await finish();
    expect(batches).toHaveLength(1);
    await finish();
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    await finish();
    await finish();
    await feed.idle();
    expect(feed.delivered).toBe(5);
    expect(feed.queued).toBe(0);
  });

  it('splits a queue longer than the batch cap into batches of at most the cap, in order', async () => {
    const { runner, batches, finish, flushed } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {}, undefined, 2);
    for (let i = 1; i <= 5; i++) feed.push(bar(i));
    await flushed();
    expect(batches).toEqual([[1, 2]]);
    for (let i = 0; i < 5; i++) await finish();
    await feed.idle();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(feed.delivered).toBe(5);
  });

  it('tells the turns of every bar of a batch, one bar in hand at a time', async () => {
    const { runner, finish, flushed } = heldRunner();
    const log: string[] = [];
    const feed = new StrategyFeed(runner, 10, () => {}, { handed: () => log.push('handed'), done: () => log.push('done') });
    for (const i of [1, 2, 3]) feed.push(bar(i));
    await flushed();
    expect(log).toEqual(['handed']);
    await finish();
    expect(log).toEqual(['handed', 'done', 'handed']);
    await finish();
    await finish();
    await feed.idle();
    expect(log).toEqual(['handed', 'done', 'handed', 'done', 'handed', 'done']);
  });

  it('drops the oldest queued bar when the queue is full, and reports each drop with the running count', async () => {
    const { runner, batches, finish, flushed } = heldRunner();
    const skips: [number, number][] = [];
    const feed = new StrategyFeed(runner, 2, (b, n) => skips.push([index(b), n]));
    feed.push(bar(1));
    await flushed();
    for (const i of [2, 3, 4, 5]) feed.push(bar(i));
    // Bar 1 is in hand; the queue holds two: 2 and 3 were pushed out by 4 and 5.
    expect(skips).toEqual([[2, 1], [3, 2]]);
    expect(feed.skipped).toBe(2);
    await finish();
    await finish();
    await finish();
    await feed.idle();
    expect(batches).toEqual([[1], [4, 5]]);
  });

  it('counts a bar dropped while a batch is in hand as settled only once the whole batch is done', async () => {
    const { runner, finish, flushed } = heldRunner();
    const feed = new StrategyFeed(runner, 1, () => {});
    feed.push(bar(1));
    await flushed();
    feed.push(bar(2));
    feed.push(bar(3));
    await finish();
    // Bar 1 done, bar 2 dropped (by 3): a prefix of two, with batch [3] now in hand.
    expect(feed.settled).toBe(2);
    feed.push(bar(10));
    feed.push(bar(11));
    // Bar 10 was dropped (by 11) after batch [3] was taken: it is newer than bar 3, which is not done.
    expect(feed.skipped).toBe(2);
    expect(feed.settled).toBe(2);
    await finish();
    expect(feed.settled).toBe(4);
    await finish();
    await feed.idle();
    expect(feed.settled).toBe(5);
  });

  it('stops after the batch in hand, dropping the queued bars and ignoring later pushes', async () => {
    const { runner, batches, finish, flushed } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {});
    for (const i of [1, 2]) feed.push(bar(i));
    await flushed();
    for (const i of [3, 4, 5]) feed.push(bar(i));
    const stopping = feed.stop();
    feed.push(bar(6));
    await finish();
    await finish();
    expect(await stopping).toBe(3);
    expect(batches).toEqual([[1, 2]]);
    expect(feed.delivered).toBe(2);
    expect(feed.queued).toBe(0);
  });

  it('is idle at once when nothing was pushed, and starts again after going idle', async () => {
    const { runner, batches, finish, flushed } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {});
    await feed.idle();
    feed.push(bar(1));
    await flushed();
    await finish();
    await feed.idle();
    feed.push(bar(2));
    await flushed();
    expect(batches).toEqual([[1], [2]]);
    await finish();
    await feed.idle();
    expect(feed.delivered).toBe(2);
  });
});
