import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { RealtimeError } from '../../../src/errors.ts';
import { PolygonBook, type PolygonBackfill, type PolygonBar } from '../../../src/providers/polygon/book.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 14, 0);
const bar = (i: number, over: Partial<Bar> = {}): Bar => ({
  provider: 'polygon', symbol: 'AAPL', interval: '1m', openTime: T0 + i * M, closeTime: T0 + i * M + M - 1,
  open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10, vwap: 100.5 + i, tradeCount: null, final: true, receivedAt: 0, ...over,
});

/** A book on a manual clock whose market time is the clock; REST answers from `rest` (minute index → bar). */
const setup = (rest: Map<number, Bar> = new Map(), opts: { bufferSize?: number; grace?: number; backfill?: PolygonBackfill } = {}) => {
  const clock = new ManualClock(T0);
  const out: PolygonBar[] = [];
  const errors: RealtimeError[] = [];
  const calls: [number, number][] = [];
  let gate: Promise<void> = Promise.resolve();
  const backfill: PolygonBackfill = async (_s, _i, from, to) => {
    calls.push([(from - T0) / M, (to - T0) / M]);
    await gate;
    return [...rest.values()].filter((b) => b.openTime >= from && b.openTime < to).sort((a, b) => a.openTime - b.openTime).map((b) => ({ ...b, backfilled: true }));
  };
  const book = new PolygonBook({
    clock, marketTime: () => clock.now(), backfill: opts.backfill ?? backfill, correctionWindowMs: 15 * M, closeGraceMs: opts.grace ?? 10_000, bufferSize: opts.bufferSize ?? 100,
    emit: (b) => out.push(b), onError: (e) => errors.push(e),
  });
  const hold = () => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    return release;
  };
  return { clock, out, errors, calls, book, hold };
};

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const summary = (bars: PolygonBar[]) => bars.map((b) => `${b.interval}@${(b.openTime - T0) / M}${b.correction ? '*' : ''}`);

describe('PolygonBook', () => {
  it('reports once per stream that live bars open far before the subscription, instead of dropping them silently', () => {
    const { out, errors, book } = setup();
    book.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    book.streamReady('AM.AAPL');
    // A correction inside the window is normal; bars an hour older say the feed's clock is behind.
    for (const b of [bar(-5), bar(-60), bar(-59), bar(0)]) book.accept('AM.AAPL', b);
    expect(summary(out)).toEqual(['1m@0']);
    expect(errors.map((e) => e.code)).toEqual(['CLOCK_SKEW']);
    expect(errors[0]!.message).toMatch(/AM\.AAPL: bars open 60 min before the subscription .* the feed's clock is behind/);
  });

  it('delivers minute bars in order, drops equal repeats and re-emits a changed one as a correction', () => {
    const { out, book } = setup();
    book.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    book.streamReady('AM.AAPL');
    for (const b of [bar(0), bar(1), bar(1), bar(0, { volume: 99 }), bar(2)]) book.accept('AM.AAPL', b);
    expect(summary(out)).toEqual(['1m@0', '1m@1', '1m@0*', '1m@2']);
    expect(out[2]!.volume).toBe(99);
    expect(book.stats).toMatchObject({ duplicates: 1, corrections: 1 });
  });

  it('aggregates 5m from minutes, closing at the last minute or at the first minute of a later window', () => {
    const { out, book } = setup();
    book.addOutput('AM.AAPL', 'AAPL', '1m', '5m');
    book.streamReady('AM.AAPL');
    for (const i of [0, 1, 2, 3, 4]) book.accept('AM.AAPL', bar(i));
    expect(summary(out)).toEqual(['5m@0']);
    // 9 has no trades: the window [5, 10) closes when minute 11 arrives.
    for (const i of [5, 6, 7, 8, 11]) book.accept('AM.AAPL', bar(i));
    expect(summary(out)).toEqual(['5m@0', '5m@5']);
    expect(out[1]).toMatchObject({ open: 105, close: 109, volume: 40 });
  });

  it('closes a window by the clock when its last minutes had no trades and no later bar comes', async () => {
    const { clock, out, book } = setup(new Map(), { grace: 10_000 });
    book.addOutput('AM.AAPL', 'AAPL', '1m', '5m');
    book.streamReady('AM.AAPL');
    book.accept('AM.AAPL', bar(0));
    book.accept('AM.AAPL', bar(1));
    await clock.advance(5 * M + 5_000);
    book.tick();
    expect(out).toEqual([]);
    await clock.advance(6_000);
    book.tick();
    expect(summary(out)).toEqual(['5m@0']);
    expect(book.stats.closedByClock).toBe(1);
  });

  it('recomputes and re-emits a closed aggregate when one of its minutes is corrected', () => {
    const { out, book } = setup();
    book.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    book.addOutput('AM.AAPL', 'AAPL', '1m', '5m');
    book.streamReady('AM.AAPL');
    for (let i = 0; i < 6; i++) book.accept('AM.AAPL', bar(i));
    book.accept('AM.AAPL', bar(3, { volume: 50, high: 300 }));
    expect(summary(out)).toEqual(['1m@0', '1m@1', '1m@2', '1m@3', '1m@4', '5m@0', '1m@5', '1m@3*', '5m@0*']);
    expect(out.at(-1)).toMatchObject({ high: 300, volume: 90, correction: true });
  });

  it('after an outage holds live bars, backfills from the last bar, then delivers in order without duplicates', async () => {
    const rest = new Map([2, 3, 5, 6].map((i) => [i, bar(i)]));
    const { clock, out, calls, book, hold } = setup(rest);
    book.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    book.streamReady('AM.AAPL');
    book.accept('AM.AAPL', bar(0));
    book.accept('AM.AAPL', bar(1));
    await clock.advance(2 * M);
    book.connectionDown();
    await clock.advance(5 * M);
    const release = hold();
    book.streamReady('AM.AAPL');
    book.accept('AM.AAPL', bar(6));
    book.accept('AM.AAPL', bar(7));
    expect(summary(out)).toEqual(['1m@0', '1m@1']);
    release();
    await flush();
    expect(summary(out)).toEqual(['1m@0', '1m@1', '1m@2', '1m@3', '1m@5', '1m@6', '1m@7']);
    expect(out.slice(2, 5).every((b) => b.backfilled)).toBe(true);
    // From the earliest of the last bar and the correction window before the outage, to the current minute.
    expect(calls).toEqual([[0, 7]]);
    expect(book.stats.duplicates).toBe(1); // minute 6, from REST and live
  });

  it('catches a correction sent while the socket was down from the REST look-back', async () => {
    const rest = new Map([0, 1, 2].map((i) => [i, bar(i)]));
    const { clock, out, book } = setup(rest);
    book.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    book.streamReady('AM.AAPL');
    for (const i of [0, 1, 2]) book.accept('AM.AAPL', bar(i));
    await clock.advance(3 * M);
    book.connectionDown();
    rest.set(1, bar(1, { volume: 77 }));
    await clock.advance(M);
    book.streamReady('AM.AAPL');
    await flush();
    expect(summary(out)).toEqual(['1m@0', '1m@1', '1m@2', '1m@1*']);
    expect(out.at(-1)!.volume).toBe(77);
  });

  it('waits for the stream to be confirmed again before catching up, and does not close by the clock meanwhile', async () => {
    const { clock, out, calls, book } = setup(new Map([[3, bar(3)]]));
    book.addOutput('AM.AAPL', 'AAPL', '1m', '5m');
    book.streamReady('AM.AAPL');
    book.accept('AM.AAPL', bar(0));
    book.connectionDown();
    await clock.advance(10 * M);
    book.tick();
    book.accept('AM.AAPL', bar(10));
    expect(out).toEqual([]);
    expect(calls).toEqual([]);
    book.streamReady('AM.AAPL');
    await flush();
    expect(summary(out)).toEqual(['5m@0']);
    expect(out[0]).toMatchObject({ open: 100, close: 104, volume: 20 });
  });

  it('delivers held bars when the backfill takes too long, and lets the backfill land as corrections', async () => {
    const { clock, out, errors, book, hold } = setup(new Map([[1, bar(1)]]), { bufferSize: 2 });
    book.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    book.streamReady('AM.AAPL');
    book.accept('AM.AAPL', bar(0));
    book.connectionDown();
    await clock.advance(2 * M);
    const release = hold();
    book.streamReady('AM.AAPL');
    for (const i of [2, 3, 4]) book.accept('AM.AAPL', bar(i));
    expect(summary(out)).toEqual(['1m@0', '1m@2', '1m@3', '1m@4']);
    expect(errors.map((e) => e.code)).toEqual(['BUFFER_OVERFLOW']);
    release();
    await flush();
    expect(summary(out).at(-1)).toBe('1m@1*');
  });

  it('reports a failed backfill as unrecovered and carries on', async () => {
    const { clock, errors, book: failing, out } = setup(new Map(), { backfill: () => Promise.reject(new Error('boom')) });
    failing.addOutput('AM.AAPL', 'AAPL', '1m', '1m');
    failing.streamReady('AM.AAPL');
    failing.accept('AM.AAPL', bar(0));
    failing.connectionDown();
    await clock.advance(3 * M);
    failing.streamReady('AM.AAPL');
    failing.accept('AM.AAPL', bar(3));
    await flush();
    expect(errors.map((e) => [e.code, e.data?.from, e.data?.to])).toEqual([['BACKFILL_FAILED', T0, T0 + 3 * M]]);
    expect(summary(out)).toEqual(['1m@0', '1m@3']);
    expect(failing.stats.gapsUnrepaired).toBe(1);
  });

  it('starts a new aggregated interval at its first whole window, and a resumed one at the resume point', async () => {
    const { clock, out, calls, book } = setup(new Map([0, 1, 2].map((i) => [i, bar(i)])));
    await clock.advance(3 * M + 30_000);
    book.addOutput('AM.AAPL', 'AAPL', '1m', '5m');
    book.streamReady('AM.AAPL');
    for (const i of [3, 4, 5, 9, 10]) book.accept('AM.AAPL', bar(i));
    expect(summary(out)).toEqual(['5m@5']);
    out.length = 0;
    book.addOutput('AM.MSFT', 'AAPL', '1m', '5m', T0);
    book.streamReady('AM.MSFT');
    await flush();
    for (const i of [3, 4]) book.accept('AM.MSFT', bar(i));
    expect(calls).toEqual([[0, 3]]);
    expect(summary(out)).toEqual(['5m@0']);
    expect(out[0]).toMatchObject({ open: 100, close: 105 });
  });
});
