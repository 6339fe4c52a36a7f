import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { RealtimeError } from '../../../src/errors.ts';
import { StreamTracker, type BackfillFn } from '../../../src/providers/shared/stream-tracker.ts';
import { ManualClock } from '../../support/manual-clock.ts';

import { bar, M, restFrom } from './stream-tracker-fixtures.ts';

const setup = (opts: { backfill?: BackfillFn; emitUpdates?: boolean; backfillOnStartBars?: number } = {}) => {
  const clock = new ManualClock();
  const out: Bar[] = [];
  const errors: RealtimeError[] = [];
  const tracker = new StreamTracker({
    clock, emitUpdates: opts.emitUpdates ?? false, gapGraceMs: 100, backfillOnStartBars: opts.backfillOnStartBars ?? 0,
    ...(opts.backfill ? { backfill: opts.backfill } : {}),
    emit: (b) => out.push(b), onError: (e) => errors.push(e),
  });
  return { clock, out, errors, tracker };
};

describe('StreamTracker', () => {
  it('delivers closed bars once and drops duplicates and stale repeats', () => {
    const { out, tracker } = setup();
    for (const i of [1, 1, 2, 1, 3, 3]) tracker.accept(bar(i));
    expect(out.map((b) => b.openTime / M)).toEqual([1, 2, 3]);
    expect(tracker.stats.duplicates).toBe(3);
  });

  it('never delivers a second closed bar for a bucket, even with in-progress updates interleaved', () => {
    const { out, tracker } = setup({ emitUpdates: true });
    tracker.accept(bar(1, false), 1);
    tracker.accept(bar(1, false), 2);
    tracker.accept(bar(1, false), 1); // out of order: older update
    tracker.accept(bar(1, true), 3);
    tracker.accept(bar(1, false), 4); // update after the close
    tracker.accept(bar(2, false), 5);
    expect(out.map((b) => `${b.openTime / M}${b.final ? 'F' : 'u'}`)).toEqual(['1u', '1u', '1F', '2u']);
  });

  it('resumes a stream after its stored bar, fetching the gap before the first live bar exactly once', async () => {
    const calls: [number, number][] = [];
    const { clock, out, tracker } = setup({ backfill: restFrom(calls) });
    tracker.resumeAfter('BTCUSDT', '1m', 3 * M);
    tracker.accept(bar(7));
    tracker.accept(bar(8));
    await clock.advance(150);
    expect(calls).toEqual([[4, 7]]);
    expect(out.map((b) => b.openTime / M)).toEqual([4, 5, 6, 7, 8]);
  });

  it('bounds a resumed gap by the lookback before the first live bar and reports the range left uncovered', async () => {
    const calls: [number, number][] = [];
    const { clock, out, errors, tracker } = setup({ backfill: restFrom(calls) });
    tracker.resumeAfter('BTCUSDT', '1m', 3 * M, 10 * M);
    tracker.accept(bar(100));
    await clock.advance(150);
    expect(calls).toEqual([[90, 100]]);
    expect(out.map((b) => b.openTime / M)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
    expect(errors.map((e) => [e.code, e.data])).toEqual([['GAP_UNCOVERED', { symbol: 'BTCUSDT', interval: '1m', from: 4 * M, to: 90 * M }]]);
  });

  it('fills a gap from backfill, in order, before the bar that revealed it', async () => {
    const calls: [number, number][] = [];
    const { clock, out, tracker } = setup({ backfill: restFrom(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(5));
    tracker.accept(bar(6));
    expect(out.map((b) => b.openTime / M)).toEqual([1]);
    await clock.advance(150);
    expect(calls).toEqual([[2, 5]]);
    expect(out.map((b) => b.openTime / M)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.filter((b) => b.backfilled).map((b) => b.openTime / M)).toEqual([2, 3, 4]);
  });

  it('does not backfill when the late frame arrives within the grace period', async () => {
    const calls: [number, number][] = [];
    const { clock, out, tracker } = setup({ backfill: restFrom(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    tracker.accept(bar(2));
    await clock.advance(500);
    expect(calls).toEqual([]);
    expect(out.map((b) => b.openTime / M)).toEqual([1, 2, 3]);
  });

  it('reports a gap it cannot repair with BACKFILL_FAILED and goes on', async () => {
    const { clock, out, errors, tracker } = setup({ backfill: async () => { throw new Error('REST down'); } });
    tracker.accept(bar(1));
    tracker.accept(bar(4));
    await clock.advance(200);
    expect(out.map((b) => b.openTime / M)).toEqual([1, 4]);
    expect(errors.map((e) => e.code)).toEqual(['BACKFILL_FAILED']);
    expect(tracker.stats.gapsUnrepaired).toBe(1);
  });

  it('backfills the requested history when a stream starts', async () => {
    const calls: [number, number][] = [];
    const { clock, out, tracker } = setup({ backfill: restFrom(calls), backfillOnStartBars: 3 });
    tracker.accept(bar(10, false));
    await clock.advance(200);
    expect(calls).toEqual([[7, 10]]);
    expect(out.map((b) => b.openTime / M)).toEqual([7, 8, 9]);
  });

  test.prop([
    fc.array(fc.record({ i: fc.integer({ min: 1, max: 40 }), symbol: fc.constantFrom('A', 'B') }), { minLength: 1, maxLength: 120 }),
  ])('delivers every closed bar between the first and last seen exactly once and in order, per stream', async (frames) => {
    const calls: [number, number][] = [];
    const { clock, out, tracker } = setup({ backfill: restFrom(calls) });
    for (const f of frames) {
      tracker.accept(bar(f.i, true, f.symbol));
      if (f.i % 7 === 0) await clock.advance(50);
    }
    await clock.advance(10_000);
    for (const symbol of ['A', 'B']) {
      const seen = frames.filter((f) => f.symbol === symbol).map((f) => f.i);
      if (seen.length === 0) continue;
      const got = out.filter((b) => b.symbol === symbol).map((b) => b.openTime / M);
      const first = seen[0]!;
      const last = Math.max(...seen);
      // Every bar from the first seen to the newest seen, each once, ascending.
      expect(got).toEqual(Array.from({ length: last - first + 1 }, (_, k) => first + k));
    }
  });
});

describe('StreamTracker hold limit', () => {
  it('warns with BUFFER_OVERFLOW past maxHeld bars behind a gap and still delivers every bar in order', async () => {
    const clock = new ManualClock();
    const out: Bar[] = [];
    const errors: RealtimeError[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const tracker = new StreamTracker({
      clock, emitUpdates: false, gapGraceMs: 10, backfillOnStartBars: 0, maxHeld: 3,
      backfill: async (symbol, _i, from, to) => { await gate; return restFrom([])(symbol, '1m', from, to); },
      emit: (b) => out.push(b), onError: (e) => errors.push(e),
    });
    tracker.accept(bar(1));
    for (const i of [3, 4, 5, 6, 7]) tracker.accept(bar(i));
    await clock.advance(20);
    expect(errors.map((e) => e.code)).toEqual(['BUFFER_OVERFLOW']);
    release();
    await clock.advance(20);
    expect(out.map((b) => b.openTime / M)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('StreamTracker after a socket change', () => {
  it('backfills the first gap after a reconnect at once, without the grace for reordered frames', async () => {
    const calls: [number, number][] = [];
    const { clock, out, tracker } = setup({ backfill: restFrom(calls) });
    tracker.accept(bar(1));
    tracker.expedite();
    tracker.accept(bar(4));
    await clock.advance(1);
    expect(calls).toEqual([[2, 4]]);
    expect(out.map((b) => b.openTime / M)).toEqual([1, 2, 3, 4]);
    // Later gaps on the live socket get the grace again.
    tracker.accept(bar(6));
    await clock.advance(1);
    expect(calls).toHaveLength(1);
    await clock.advance(200);
    expect(calls).toEqual([[2, 4], [5, 6]]);
  });
});
