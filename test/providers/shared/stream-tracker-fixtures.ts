/** Bars and a REST fetch shared by the stream tracker's tests: bar i opens at minute i, and REST knows every bar. */
import type { Bar } from '../../../src/domain/bar.ts';
import type { BackfillFn } from '../../../src/providers/shared/stream-tracker.ts';

export const M = 60_000;

/** Bar i of `symbol` (1m, Binance), with values derived from i. */
export const bar = (i: number, final = true, symbol = 'BTCUSDT'): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: i * M, closeTime: i * M + M - 1,
  open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 1, vwap: 100 + i, tradeCount: 3, final, receivedAt: i,
});

/** REST that returns bar i for every i asked for, recording each request as [from, to) in bar indices. */
export const restFrom = (calls: [number, number][]): BackfillFn => async (symbol, _interval, from, to) => {
  calls.push([from / M, to / M]);
  const out: Bar[] = [];
  for (let t = from; t < to; t += M) out.push({ ...bar(t / M, true, symbol), backfilled: true });
  return out;
};
