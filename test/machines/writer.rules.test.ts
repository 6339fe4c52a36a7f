/**
 * The writer machine's validation bounds, error payloads and counters, through pure `transition()`: what each
 * refused bar is told, what each failure carries (the original cause, the rows it kept), and what a flush counts.
 */
import { createActor, initialTransition, SimulatedClock, transition, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { barProblem, type Bar } from '../../src/domain/bar.ts';
import { realtimeError } from '../../src/errors.ts';
import { splitBatches, writerMachine, type WriterEmitted, type WriterSettings } from '../../machines/writer.machine.ts';

const bar = (minute: number, patch: Partial<Record<keyof Bar, unknown>> = {}): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: 100, high: 101, low: 99, close: 100, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
  ...patch,
}) as Bar;
const bars = (from: number, n: number): Bar[] => Array.from({ length: n }, (_, i) => bar(from + i));

type Action = { type: string; params?: unknown };
const start = (settings: Partial<WriterSettings> = {}) => initialTransition(writerMachine, settings)[0];
type Snap = ReturnType<typeof start>;
const step = (s: Snap, event: AnyEventObject) => transition(writerMachine, s, event as never) as unknown as [Snap, Action[]];
const emitted = (actions: readonly Action[]): WriterEmitted[] =>
  actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: WriterEmitted }).event);
const done = (durationMs: number, finishedAt: number): AnyEventObject =>
  ({ type: 'xstate.done.actor.flushBatch', actorId: 'flushBatch', output: { durationMs, finishedAt } });
const failed = (error: unknown): AnyEventObject => ({ type: 'xstate.error.actor.flushBatch', actorId: 'flushBatch', error });
const MAX_TIME_MS = 8.64e15;

describe('writer validation bounds', () => {
  it('names what is wrong with a value that is not a bar', () => {
    expect(barProblem(null as unknown as Bar)).toBe('not a bar');
    expect(barProblem(42 as unknown as Bar)).toBe('not a bar');
  });

  it('refuses an empty or missing provider and a non-string symbol', () => {
    expect(barProblem(bar(1, { provider: '' }))).toBe('provider is empty');
    expect(barProblem(bar(1, { provider: 7 }))).toBe('provider is empty');
    expect(barProblem(bar(1, { symbol: 7 }))).toBe('symbol is not a string');
  });

  it('takes times up to the Date range and refuses one millisecond past it', () => {
    const edge = bar(0, { openTime: MAX_TIME_MS, closeTime: MAX_TIME_MS, receivedAt: MAX_TIME_MS });
    expect(barProblem(edge)).toBeUndefined();
    expect(barProblem({ ...edge, openTime: MAX_TIME_MS + 1, closeTime: MAX_TIME_MS + 1 })).toBe('openTime is not an integer Unix ms time');
    expect(barProblem({ ...edge, receivedAt: MAX_TIME_MS + 1 })).toBe('receivedAt is not a finite Unix ms time');
    expect(barProblem({ ...edge, receivedAt: -MAX_TIME_MS - 1 })).toBe('receivedAt is not a finite Unix ms time');
    expect(barProblem({ ...edge, receivedAt: Number.NaN })).toBe('receivedAt is not a finite Unix ms time');
  });

  it('takes a trade count up to the INTEGER column maximum and refuses one more', () => {
    expect(barProblem(bar(1, { tradeCount: 2 ** 31 - 1 }))).toBeUndefined();
    expect(barProblem(bar(1, { tradeCount: 2 ** 31 }))).toBe('tradeCount exceeds the INTEGER column');
    expect(barProblem(bar(1, { tradeCount: null }))).toBeUndefined();
  });

  it('keeps rows that fit one batch as that same batch', () => {
    const rows = bars(0, 3);
    expect(splitBatches(rows, 3)).toEqual([rows]);
    expect(splitBatches(rows, 3)[0]).toBe(rows);
    expect(splitBatches(rows, 2)).toEqual([rows.slice(0, 2), rows.slice(2)]);
  });
});

describe('writer outcomes and payloads', () => {
  it('starts with a size reason, nothing written and empty counters', () => {
    const c = start().context;
    expect(c.reason).toBe('size');
    expect(c.lastWrite).toEqual({ accepted: 0, invalid: [], refused: undefined });
    expect(c.counters).toEqual({ flushCount: 0, lastFlushTime: 0, totalFlushMs: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 });
  });

  it('reports the outcome of each write exactly', () => {
    const [one] = step(start(), { type: 'writer.write', bars: [bar(1)] });
    expect(one.context.lastWrite).toEqual({ accepted: 1, invalid: [], refused: undefined });
    const [two] = step(one, { type: 'writer.write', bars: bars(2, 2) });
    expect(two.context.lastWrite).toEqual({ accepted: 2, invalid: [], refused: undefined });
    const [none, actions] = step(two, { type: 'writer.write', bars: [bar(9, { volume: -1 })] });
    expect(none.context.lastWrite).toEqual({ accepted: 0, invalid: [{ index: 0, problem: expect.any(String) }], refused: undefined });
    // Nothing valid: the queue is not touched at all.
    expect(none.context.queue).toBe(two.context.queue);
    expect(emitted(actions)).toEqual([{ type: 'writer.rejected', error: expect.objectContaining({
      code: 'INVALID_MESSAGE', message: `1 invalid bar(s) rejected: ${none.context.lastWrite.invalid[0]!.problem}`, data: { invalid: none.context.lastWrite.invalid },
    }) }]);
  });

  it('emits an overflow with the buffered rows and the cap, and nothing on writes that fit', () => {
    const [s1, a1] = step(start({ maxBufferedRows: 3, bufferSize: 10 }), { type: 'writer.write', bars: bars(0, 2) });
    expect(emitted(a1)).toEqual([]);
    const [, a2] = step(s1, { type: 'writer.write', bars: bars(5, 2) });
    expect(emitted(a2)).toEqual([{ type: 'writer.overflowed', error: expect.objectContaining({
      code: 'BUFFER_OVERFLOW', message: 'buffer holds 2 rows (cap 3): writes are refused until a flush drains it', data: { buffered: 2, maxBufferedRows: 3 },
    }) }]);
  });

  it('counts flushes, their total time and the last finish time, and reports the rows left when drained', () => {
    let [s] = step(start({ bufferSize: 2, maxBufferedRows: 5, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 5) });
    [s] = step(s, { type: 'writer.write', bars: bars(10, 1) });
    expect(s.context.overflowed).toBe(true);
    let actions: Action[];
    [s, actions] = step(s, done(7, 1_000));
    expect(emitted(actions)).toContainEqual({ type: 'writer.drained', buffered: 3 });
    [s] = step(s, done(5, 2_000));
    expect(s.context.counters).toMatchObject({ flushCount: 2, totalFlushMs: 12, lastFlushTime: 2_000 });
  });

  it('keeps a WRITE_FAILED from the storage as it is and wraps any other failure with its cause and rows', () => {
    const [s0] = step(start({ bufferSize: 2 }), { type: 'writer.write', bars: bars(0, 2) });
    const own = realtimeError('WRITE_FAILED', 'disk full', { path: '/x' });
    expect(step(s0, failed(own))[0].context.lastError).toBe(own);
    const other = realtimeError('CONNECTION_FAILED', 'pool closed');
    expect(step(s0, failed(other))[0].context.lastError).toMatchObject({
      code: 'WRITE_FAILED', message: 'flush of 2 rows failed (kept for retry): pool closed', data: { rows: 2 },
    });
    expect(step(s0, failed(new Error('EIO')))[0].context.lastError?.message).toBe('flush of 2 rows failed (kept for retry): EIO');
  });

  it('keeps the cause of a flush that fails during close, and names it when close gives up', () => {
    let [s] = step(start({ bufferSize: 5, closeRetries: 1 }), { type: 'writer.write', bars: bars(0, 2) });
    [s] = step(s, { type: 'writer.close' });
    [s] = step(s, failed(new Error('EIO one')));
    expect(s.context.lastError?.message).toBe('flush of 2 rows failed (kept for retry): EIO one');
    [s] = step(s, { type: 'xstate.after.retryBackoff.writer.closing.retrying' });
    let actions: Action[];
    [s, actions] = step(s, failed(new Error('EIO two')));
    expect(s.context.lastError?.message).toBe('flush of 2 rows failed (kept for retry): EIO two');
    expect(emitted(actions)).toContainEqual({ type: 'writer.close.failed', unflushed: 2, error: expect.objectContaining({
      code: 'WRITE_FAILED', message: 'close gave up after 2 failed flushes; 2 rows are still buffered and retried',
      data: { unflushed: 2, cause: 'flush of 2 rows failed (kept for retry): EIO two' },
    }) });
  });

  it('reports a failed final checkpoint as a fatal CHECKPOINT_FAILED with its cause', () => {
    const [s1] = step(start(), { type: 'writer.close' });
    const [, actions] = step(s1, { type: 'xstate.error.actor.closeStore', actorId: 'closeStore', error: new Error('io') });
    expect(emitted(actions)).toEqual([{ type: 'writer.closed', error: expect.objectContaining({
      code: 'CHECKPOINT_FAILED', retryable: false, message: 'final checkpoint failed (flushed rows are in the WAL): io',
    }) }]);
  });

  it('fails a flush with instructions when the storage actors were not provided', async () => {
    const clock = new SimulatedClock();
    const actor = createActor(writerMachine, { input: { bufferSize: 1 }, clock }).start();
    const failure = new Promise<WriterEmitted>((resolve) => actor.on('writer.flush.failed', resolve));
    actor.send({ type: 'writer.write', bars: [bar(1)] });
    expect(await failure).toMatchObject({ error: { message: expect.stringContaining('flushBatch is not provided: use writerMachine.provide({ actors: { flushBatch } })') } });
    actor.stop();
  });
});
