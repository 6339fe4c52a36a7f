/**
 * The writer machine's row queue, through pure transitions: a snapshot's rows never change when another snapshot
 * branches from the same one, and the consumed prefix is compacted away once it dominates the live rows.
 */
import { initialTransition, transition, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { queueTake, writerMachine, type WriterSettings } from '../../machines/writer.machine.ts';

const bar = (minute: number): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: 100, high: 101, low: 99, close: 100, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
});
const bars = (from: number, n: number): Bar[] => Array.from({ length: n }, (_, i) => bar(from + i));
const done: AnyEventObject = { type: 'xstate.done.actor.flushBatch', actorId: 'flushBatch', output: { durationMs: 1, finishedAt: 1 } };

const start = (settings: Partial<WriterSettings>) => initialTransition(writerMachine, settings)[0];
type Snap = ReturnType<typeof start>;
const step = (s: Snap, event: AnyEventObject): Snap => transition(writerMachine, s, event as never)[0] as unknown as Snap;
const minutes = (s: Snap): number[] => queueTake(s.context.queue, Number.MAX_SAFE_INTEGER).map((b) => b.openTime / 60_000);
/** Completes flushes until the machine stops flushing. */
const drain = (s: Snap): Snap => {
  while (s.value === 'flushing') s = step(s, done);
  return s;
};

describe('writer queue', () => {
  it('keeps each snapshot\'s rows when two writes branch from the same snapshot', () => {
    const base = step(start({ bufferSize: 100, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 2) });
    const left = step(base, { type: 'writer.write', bars: bars(10, 1) });
    // `left` owns the shared tail now: `right` must copy instead of writing over `left`'s row.
    const right = step(base, { type: 'writer.write', bars: bars(20, 2) });
    expect(minutes(base)).toEqual([0, 1]);
    expect(minutes(left)).toEqual([0, 1, 10]);
    expect(minutes(right)).toEqual([0, 1, 20, 21]);
    const further = step(right, { type: 'writer.write', bars: bars(30, 1) });
    expect(minutes(further)).toEqual([0, 1, 20, 21, 30]);
    expect(minutes(left)).toEqual([0, 1, 10]);
  });

  it('appends in place while a snapshot owns the tail, so consecutive writes share one array', () => {
    const s1 = step(start({ bufferSize: 100, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 1) });
    const s2 = step(s1, { type: 'writer.write', bars: bars(1, 1) });
    expect(s2.context.queue.rows).toBe(s1.context.queue.rows);
    expect(minutes(s1)).toEqual([0]);
    expect(minutes(s2)).toEqual([0, 1]);
  });

  it('drops flushed rows from the front without copying while the live rows dominate', () => {
    const written = step(start({ bufferSize: 10, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 25) });
    const after = step(written, done);
    expect(after.context.queue.rows).toBe(written.context.queue.rows);
    expect(after.context.queue.start).toBe(10);
    expect(minutes(after)).toEqual(bars(10, 15).map((b) => b.openTime / 60_000));
  });

  it('compacts the consumed prefix once it reaches 4096 rows and outnumbers the live rows', () => {
    let s = step(start({ bufferSize: 1_000, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 8_000) });
    const starts: number[] = [];
    while (s.value === 'flushing') {
      s = step(s, done);
      starts.push(s.context.queue.start);
    }
    // 3,000 flushed leave a prefix too short to compact; 4,000 is not more than 4,000 live; 5,000 is: compacted.
    expect(starts).toEqual([1_000, 2_000, 3_000, 4_000, 0, 1_000, 2_000, 0]);
    expect(s.context.queue).toEqual({ rows: [], start: 0, end: 0 });
    expect(s.context.durable).toBe(8_000);
  });

  it('keeps exactly the live rows, in order, after compacting', () => {
    let s = step(start({ bufferSize: 1_000, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 9_500) });
    for (let i = 0; i < 5; i++) s = step(s, done);
    expect(s.context.queue.start).toBe(0);
    expect(s.context.queue.rows).toHaveLength(4_500);
    expect(minutes(s)).toEqual(bars(5_000, 4_500).map((b) => b.openTime / 60_000));
    s = drain(s);
    expect(s.context.durable).toBe(9_000);
    expect(minutes(s)).toEqual(bars(9_000, 500).map((b) => b.openTime / 60_000));
  });

  it('empties the queue when a flush takes every row', () => {
    const s = step(step(start({ bufferSize: 3, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 3) }), done);
    expect(s.context.queue).toEqual({ rows: [], start: 0, end: 0 });
    expect(s.value).toBe('idle');
  });
  it('compacts at exactly 4096 consumed rows when fewer live rows remain, and not when they are as many', () => {
    const at4096 = step(step(start({ bufferSize: 4_096, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 5_096) }), done);
    expect(at4096.context.queue).toMatchObject({ start: 0, end: 1_000 });
    expect(at4096.context.queue.rows).toHaveLength(1_000);
    const even = step(step(start({ bufferSize: 5_000, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 10_000) }), done);
    expect(even.context.queue).toMatchObject({ start: 5_000, end: 10_000 });
  });

  it('reports a write refused while closing with nothing accepted or invalid', () => {
    const closing = step(step(start({ bufferSize: 10 }), { type: 'writer.write', bars: bars(0, 2) }), { type: 'writer.close' });
    const refused = step(closing, { type: 'writer.write', bars: bars(5, 1) });
    expect(refused.context.lastWrite).toEqual({ accepted: 0, invalid: [], refused: 'closing' });
  });
});
