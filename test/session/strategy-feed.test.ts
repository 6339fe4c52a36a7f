/** StrategyFeed: one bar at a time to the strategy, a bounded queue that drops the oldest, and a stop that drops the queue. */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { StrategyFeed } from '../../src/session/strategy-feed.ts';
import type { StrategyRunner } from '../../src/strategy/runtime.ts';

const bar = (i: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: i * 60_000, closeTime: i * 60_000 + 59_999,
  open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: null, tradeCount: 1, final: true, receivedAt: 0,
});

/** A runner whose every bar finishes when the test says so. */
const heldRunner = () => {
  const started: number[] = [];
  const finishers: (() => void)[] = [];
  const runner = {
    processBar: (b: Bar) => new Promise<void>((resolve) => {
      started.push(b.openTime / 60_000);
      finishers.push(resolve);
    }),
  } as unknown as StrategyRunner;
  /** Finishes the bar in hand and lets the feed hand over the next. */
  const finish = async () => {
    finishers.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { runner, started, finish };
};

describe('StrategyFeed', () => {
  it('hands bars to the strategy one at a time, in order', async () => {
    const { runner, started, finish } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {});
    feed.push(bar(1));
    feed.push(bar(2));
    feed.push(bar(3));
    expect(started).toEqual([1]);
    expect(feed.queued).toBe(2);
    await finish();
    expect(started).toEqual([1, 2]);
    await finish();
    await finish();
    await feed.idle();
    expect(started).toEqual([1, 2, 3]);
    expect(feed.delivered).toBe(3);
    expect(feed.queued).toBe(0);
  });

  it('drops the oldest queued bar when the queue is full, and reports each drop with the running count', async () => {
    const { runner, started, finish } = heldRunner();
    const skips: [number, number][] = [];
    const feed = new StrategyFeed(runner, 2, (b, n) => skips.push([b.openTime / 60_000, n]));
    for (const i of [1, 2, 3, 4, 5]) feed.push(bar(i));
    // Bar 1 is in hand; the queue holds two: 2 and 3 were pushed out by 4 and 5.
    expect(skips).toEqual([[2, 1], [3, 2]]);
    expect(feed.skipped).toBe(2);
    await finish();
    await finish();
    await finish();
    await feed.idle();
    expect(started).toEqual([1, 4, 5]);
  });

  it('stops after the bar in hand, dropping the queued ones and ignoring later pushes', async () => {
    const { runner, started, finish } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {});
    for (const i of [1, 2, 3]) feed.push(bar(i));
    const stopping = feed.stop();
    feed.push(bar(4));
    await finish();
    expect(await stopping).toBe(2);
    expect(started).toEqual([1]);
    expect(feed.delivered).toBe(1);
    expect(feed.queued).toBe(0);
  });

  it('is idle at once when nothing was pushed, and starts again after going idle', async () => {
    const { runner, started, finish } = heldRunner();
    const feed = new StrategyFeed(runner, 10, () => {});
    await feed.idle();
    feed.push(bar(1));
    await finish();
    await feed.idle();
    feed.push(bar(2));
    expect(started).toEqual([1, 2]);
    await finish();
    await feed.idle();
    expect(feed.delivered).toBe(2);
  });
});
