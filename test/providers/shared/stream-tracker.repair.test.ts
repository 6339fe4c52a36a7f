/** The stream tracker's gap repair in detail: late frames, fetches in flight, what a fetch may add, and the stream's life. */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/bar.ts';
import type { RealtimeError } from '../../../src/errors.ts';
import { StreamTracker, type BackfillFn } from '../../../src/providers/shared/stream-tracker.ts';
import { ManualClock } from '../../support/manual-clock.ts';

import { bar, M, restFrom as rest } from './stream-tracker-fixtures.ts';

/** A fetch that waits for `release()` before answering like {@link rest}. */
const gated = (calls: [number, number][]) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const backfill: BackfillFn = async (symbol, interval, from, to) => {
    await gate;
    return rest(calls)(symbol, interval, from, to);
  };
  return { backfill, release: () => release() };
};

const setup = (opts: { backfill?: BackfillFn; emitUpdates?: boolean; backfillOnStartBars?: number; maxHeld?: number } = {}) => {
  const clock = new ManualClock();
  const out: Bar[] = [];
  const errors: RealtimeError[] = [];
  const tracker = new StreamTracker({
    clock, emitUpdates: opts.emitUpdates ?? false, gapGraceMs: 100, backfillOnStartBars: opts.backfillOnStartBars ?? 0,
    ...(opts.backfill ? { backfill: opts.backfill } : {}),
    ...(opts.maxHeld !== undefined ? { maxHeld: opts.maxHeld } : {}),
    emit: (b) => out.push(b), onError: (e) => errors.push(e),
  });
  const seen = () => out.map((b) => `${b.openTime / M}${b.final ? '' : 'u'}${b.backfilled ? 'b' : ''}`);
  return { clock, out, errors, tracker, seen };
};

describe('StreamTracker late frames', () => {
  it('delivers the held bars the moment a late frame closes the gap, before the grace ends', () => {
    const calls: [number, number][] = [];
    const { seen, tracker } = setup({ backfill: rest(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    tracker.accept(bar(4));
    expect(seen()).toEqual(['1']);
    expect(tracker.pendingGaps).toBe(1);
    tracker.accept(bar(2));
    expect(seen()).toEqual(['1', '2', '3', '4']);
    expect(tracker.pendingGaps).toBe(0);
    expect(calls).toEqual([]);
  });

  it('keeps the grace for the first gap of a new stream', async () => {
    const calls: [number, number][] = [];
    const { clock, tracker } = setup({ backfill: rest(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    await clock.advance(50);
    expect(calls).toEqual([]);
    await clock.advance(60);
    expect(calls).toEqual([[2, 3]]);
  });

  it('counts the grace from the bar that revealed the gap, not from the bars held after it', async () => {
    const calls: [number, number][] = [];
    const { clock, tracker } = setup({ backfill: rest(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    await clock.advance(60);
    tracker.accept(bar(4));
    await clock.advance(50);
    expect(calls).toEqual([[2, 3]]);
  });

  it('holds a late frame that arrives while the gap is being fetched until the fetch ends', async () => {
    const calls: [number, number][] = [];
    const { backfill, release } = gated(calls);
    const { clock, seen, tracker } = setup({ backfill });
    tracker.accept(bar(1));
    tracker.accept(bar(5));
    await clock.advance(150);
    tracker.accept(bar(2));
    expect(seen()).toEqual(['1']);
    release();
    await clock.advance(1);
    expect(seen()).toEqual(['1', '2b', '3b', '4b', '5']);
    expect(tracker.stats).toMatchObject({ emitted: 5, backfilled: 3, duplicates: 1, gapsRepaired: 1, gapsUnrepaired: 0 });
  });

  it('orders a held update of a bucket before its closed bar', () => {
    const { seen, tracker } = setup({ emitUpdates: true });
    tracker.accept(bar(1));
    tracker.accept(bar(3, false), 10);
    tracker.accept(bar(3), 11);
    tracker.accept(bar(2));
    expect(seen()).toEqual(['1', '2', '3u', '3']);
  });

  it('repairs a second gap among the held bars after the first', async () => {
    const calls: [number, number][] = [];
    const { clock, seen, errors, tracker } = setup({ backfill: rest(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(4));
    tracker.accept(bar(8));
    await clock.advance(150);
    expect(calls).toEqual([[2, 4]]);
    expect(seen()).toEqual(['1', '2b', '3b', '4']);
    await clock.advance(150);
    expect(calls).toEqual([[2, 4], [5, 8]]);
    expect(seen()).toEqual(['1', '2b', '3b', '4', '5b', '6b', '7b', '8']);
    expect(errors).toEqual([]);
    expect(tracker.stats.gapsRepaired).toBe(2);
  });
});

describe('StreamTracker in-progress updates', () => {
  it('treats an update of a later bucket as a gap when the bucket before never closed', async () => {
    const calls: [number, number][] = [];
    const { clock, seen, tracker } = setup({ backfill: rest(calls), emitUpdates: true });
    tracker.accept(bar(1, false), 5);
    tracker.accept(bar(2, false), 6);
    expect(seen()).toEqual(['1u']);
    await clock.advance(150);
    expect(calls).toEqual([[1, 2]]);
    expect(seen()).toEqual(['1u', '1b', '2u']);
  });

  it('delivers the first update of a new bucket even when its event time equals the last update', () => {
    const { seen, tracker } = setup({ emitUpdates: true });
    tracker.accept(bar(1, false), 5);
    tracker.accept(bar(1), 5);
    tracker.accept(bar(2, false), 5);
    expect(seen()).toEqual(['1u', '1', '2u']);
  });

  it('drops an update that repeats the event time of the last one of its bucket', () => {
    const { seen, tracker } = setup({ emitUpdates: true });
    tracker.accept(bar(1, false), 5);
    tracker.accept(bar(1, false), 5);
    tracker.accept(bar(1, false), 4);
    tracker.accept(bar(1, false), 6);
    expect(seen()).toEqual(['1u', '1u']);
  });
});

describe('StreamTracker fetch results', () => {
  it('takes from a fetch only the closed bars inside the gap, and the live bar at its end', async () => {
    const { clock, out, seen, errors, tracker } = setup({
      emitUpdates: true,
      backfill: async () => [bar(0), { ...bar(2), backfilled: true }, bar(3, false), { ...bar(3), backfilled: true }, bar(4), bar(5)],
    });
    tracker.accept(bar(1));
    tracker.accept(bar(4));
    await clock.advance(150);
    expect(seen()).toEqual(['1', '2b', '3b', '4']);
    expect(out[3]).toEqual(bar(4));
    expect(tracker.stats).toMatchObject({ emitted: 4, backfilled: 2, duplicates: 0, gapsRepaired: 1, gapsUnrepaired: 0 });
    expect(errors).toEqual([]);
  });

  it('reports the exact range a failed fetch leaves open, with the cause', async () => {
    const { clock, seen, errors, tracker } = setup({ backfill: async () => { throw new Error('REST down'); } });
    tracker.accept(bar(1));
    tracker.accept(bar(4));
    await clock.advance(150);
    expect(seen()).toEqual(['1', '4']);
    expect(errors.map((e) => [e.code, e.message, e.data])).toEqual([[
      'BACKFILL_FAILED',
      'BTCUSDT 1m: bars from 1970-01-01T00:02:00.000Z to 1970-01-01T00:04:00.000Z could not be recovered: REST down',
      { symbol: 'BTCUSDT', interval: '1m', from: 2 * M, to: 4 * M },
    ]]);
    expect(tracker.stats).toMatchObject({ gapsRepaired: 0, gapsUnrepaired: 1 });
  });

  it('reports a gap without a fetch function as unrecoverable, without a cause', async () => {
    const { clock, seen, errors, tracker } = setup();
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    await clock.advance(150);
    expect(seen()).toEqual(['1', '3']);
    expect(errors.map((e) => e.message)).toEqual(['BTCUSDT 1m: bars from 1970-01-01T00:02:00.000Z to 1970-01-01T00:03:00.000Z could not be recovered']);
  });

  it('reports a fetch that returns part of the gap and keeps what it returned', async () => {
    const { clock, seen, errors, tracker } = setup({ backfill: async () => [{ ...bar(2), backfilled: true }] });
    tracker.accept(bar(1));
    tracker.accept(bar(5));
    await clock.advance(150);
    expect(seen()).toEqual(['1', '2b', '5']);
    expect(errors.map((e) => e.data)).toEqual([{ symbol: 'BTCUSDT', interval: '1m', from: 3 * M, to: 5 * M }]);
  });
});

describe('StreamTracker start and resume', () => {
  it('starts a stream at its first bar when asked for history but given no fetch', () => {
    const { seen, errors, tracker } = setup({ backfillOnStartBars: 3 });
    tracker.accept(bar(10));
    tracker.accept(bar(11));
    expect(seen()).toEqual(['10', '11']);
    expect(errors).toEqual([]);
  });

  it('gives the history asked for at a stream start the grace too', async () => {
    const calls: [number, number][] = [];
    const { clock, tracker } = setup({ backfill: rest(calls), backfillOnStartBars: 2 });
    tracker.accept(bar(10, false));
    await clock.advance(50);
    expect(calls).toEqual([]);
    await clock.advance(60);
    expect(calls).toEqual([[8, 10]]);
  });

  it('ignores a resume point for a stream already live', async () => {
    const calls: [number, number][] = [];
    const { clock, seen, tracker } = setup({ backfill: rest(calls) });
    tracker.accept(bar(10));
    tracker.resumeAfter('BTCUSDT', '1m', 3 * M);
    tracker.accept(bar(11));
    await clock.advance(500);
    expect(calls).toEqual([]);
    expect(seen()).toEqual(['10', '11']);
  });

  it('gives a resumed stream the grace before fetching its gap', async () => {
    const calls: [number, number][] = [];
    const { clock, tracker } = setup({ backfill: rest(calls) });
    tracker.resumeAfter('BTCUSDT', '1m', 3 * M);
    tracker.accept(bar(7));
    await clock.advance(50);
    expect(calls).toEqual([]);
    await clock.advance(60);
    expect(calls).toEqual([[4, 7]]);
  });

  it('fetches a resumed gap whole when it ends exactly at the lookback, with no warning', async () => {
    const calls: [number, number][] = [];
    const { clock, errors, tracker } = setup({ backfill: rest(calls) });
    tracker.resumeAfter('BTCUSDT', '1m', 3 * M, 4 * M);
    tracker.accept(bar(8));
    await clock.advance(150);
    expect(calls).toEqual([[4, 8]]);
    expect(errors).toEqual([]);
  });

  it('says which range a resume lookback leaves out', async () => {
    const { clock, errors, tracker } = setup({ backfill: rest([]) });
    tracker.resumeAfter('BTCUSDT', '1m', 3 * M, 2 * M);
    tracker.accept(bar(8));
    await clock.advance(150);
    expect(errors.map((e) => e.message)).toEqual(['BTCUSDT 1m: bars from 1970-01-01T00:04:00.000Z to 1970-01-01T00:06:00.000Z are older than the resume lookback; not fetched']);
  });
});

describe('StreamTracker hold warning', () => {
  it('warns once, when the bar past maxHeld is held, with the stream and count', () => {
    const { errors, tracker } = setup({ maxHeld: 2 });
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    tracker.accept(bar(4));
    expect(errors).toEqual([]);
    tracker.accept(bar(5));
    expect(errors.map((e) => [e.code, e.message, e.data])).toEqual([[
      'BUFFER_OVERFLOW',
      'BTCUSDT 1m: more than 2 bars held while a gap is repaired; still holding them in order',
      { symbol: 'BTCUSDT', interval: '1m', held: 3 },
    ]]);
    tracker.accept(bar(6));
    expect(errors).toHaveLength(1);
  });
});

describe('StreamTracker forget and close', () => {
  it('forgets a stream with its pending gap, and starts it afresh on the next bar', async () => {
    const calls: [number, number][] = [];
    const { clock, seen, tracker } = setup({ backfill: rest(calls) });
    tracker.accept(bar(1));
    tracker.accept(bar(5));
    tracker.accept(bar(1, true, 'ETHUSDT'));
    tracker.accept(bar(4, true, 'ETHUSDT'));
    expect(tracker.pendingGaps).toBe(2);
    tracker.forget('BTCUSDT', '1m');
    expect(tracker.pendingGaps).toBe(1);
    await clock.advance(150);
    expect(calls).toEqual([[2, 4]]);
    tracker.accept(bar(2));
    expect(seen()).toEqual(['1', '1', '2b', '3b', '4', '2']);
  });

  it('forgets an unknown stream, or one without a gap, without harm', () => {
    const { seen, tracker } = setup();
    tracker.forget('NOPE', '1m');
    tracker.accept(bar(1));
    tracker.forget('BTCUSDT', '1m');
    tracker.accept(bar(1));
    expect(seen()).toEqual(['1', '1']);
  });

  it('delivers nothing after close: no fetch starts and a fetch in flight is dropped', async () => {
    const calls: [number, number][] = [];
    const { backfill, release } = gated(calls);
    const { clock, seen, tracker } = setup({ backfill });
    tracker.accept(bar(1));
    tracker.accept(bar(3));
    tracker.accept(bar(1, true, 'ETHUSDT'));
    await clock.advance(150);
    tracker.accept(bar(4, true, 'ETHUSDT'));
    tracker.close();
    release();
    await clock.advance(500);
    tracker.accept(bar(2, true, 'ETHUSDT'));
    tracker.accept(bar(9, true, 'SOLUSDT'));
    expect(seen()).toEqual(['1', '1']);
    expect(calls).toEqual([[2, 3]]);
  });
});
