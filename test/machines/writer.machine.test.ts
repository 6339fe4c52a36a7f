/**
 * The writer machine, tested pure: `transition()` for every trigger and state, `SimulatedClock` for the timers,
 * and a fast-check property over interleavings of writes, ticks, manual flushes, failed flushes and a final close.
 */
import { fc, test } from '@fast-check/vitest';
import { createActor, fromPromise, initialTransition, SimulatedClock, transition, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { barKey, barProblem, type Bar } from '../../src/domain/bar.ts';
import {
  flushRows, queueTake, retryDelay, splitBatches, writerMachine,
  type FlushInput, type FlushOutput, type WriterEmitted, type WriterSettings,
} from '../../machines/writer.machine.ts';

const bar = (minute: number, price = 100, symbol = 'BTCUSDT'): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: price, high: price + 1, low: price - 1, close: price, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
});
const bars = (from: number, n: number): Bar[] => Array.from({ length: n }, (_, i) => bar(from + i));

type Action = { type: string; params?: unknown };
const emitted = (actions: readonly Action[]): WriterEmitted[] =>
  actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: WriterEmitted }).event);
const spawnedInput = (actions: readonly Action[]): FlushInput | undefined =>
  (actions.find((a) => a.type === 'xstate.spawnChild')?.params as { input?: FlushInput } | undefined)?.input;
const delayed = (actions: readonly Action[]): { id: string; delay: number }[] =>
  actions.filter((a) => a.type === 'xstate.raise' && (a.params as { delay?: number }).delay !== undefined)
    .map((a) => a.params as { id: string; delay: number });
const done = (durationMs = 5, finishedAt = 1_000): AnyEventObject =>
  ({ type: 'xstate.done.actor.flushBatch', actorId: 'flushBatch', output: { durationMs, finishedAt } });
const failed = (message = 'disk full'): AnyEventObject =>
  ({ type: 'xstate.error.actor.flushBatch', actorId: 'flushBatch', error: new Error(message) });

const start = (settings: Partial<WriterSettings> = {}) => initialTransition(writerMachine, settings)[0];
type Snap = ReturnType<typeof start>;
const step = (s: Snap, event: AnyEventObject) => transition(writerMachine, s, event as never) as unknown as [Snap, Action[]];

describe('writer machine (pure transitions)', () => {
  it('starts idle with an empty buffer and no timer', () => {
    const s = start();
    expect(s.value).toBe('idle');
    expect(s.context.accepted).toBe(0);
    expect(s.context.bufferSize).toBe(100);
  });

  it('buffers a write and arms the flush timer for flushIntervalMs', () => {
    const [s, actions] = step(start({ flushIntervalMs: 250 }), { type: 'writer.write', bars: [bar(1)] });
    expect(s.value).toEqual({ buffering: 'timed' });
    expect(s.context.accepted).toBe(1);
    expect(delayed(actions)).toEqual([expect.objectContaining({ delay: 250 })]);
  });

  it('arms no timer when flushIntervalMs is 0', () => {
    const [s, actions] = step(start({ flushIntervalMs: 0 }), { type: 'writer.write', bars: [bar(1)] });
    expect(s.value).toEqual({ buffering: 'untimed' });
    expect(delayed(actions)).toEqual([]);
  });

  it('keeps the timer running across further writes', () => {
    const [s1] = step(start(), { type: 'writer.write', bars: [bar(1)] });
    const [s2, actions] = step(s1, { type: 'writer.write', bars: [bar(2)] });
    expect(s2.value).toEqual({ buffering: 'timed' });
    expect(actions.map((a) => a.type)).not.toContain('xstate.cancel');
    expect(delayed(actions)).toEqual([]);
  });

  it('flushes exactly bufferSize rows when the buffer fills', () => {
    const [s, actions] = step(start({ bufferSize: 3 }), { type: 'writer.write', bars: bars(0, 5) });
    expect(s.value).toBe('flushing');
    expect(s.context.inFlight).toBe(3);
    expect(spawnedInput(actions)).toMatchObject({ reason: 'size', attempt: 0 });
    expect(spawnedInput(actions)!.rows.map((b) => b.openTime)).toEqual([0, 1, 2].map((m) => m * 60_000));
  });

  it('flushes on the timer with reason timer', () => {
    const [s1] = step(start({ flushIntervalMs: 1000 }), { type: 'writer.write', bars: [bar(1)] });
    const [s2, actions] = step(s1, { type: 'xstate.after.flushInterval.writer.buffering.timed' });
    expect(s2.value).toBe('flushing');
    expect(spawnedInput(actions)).toMatchObject({ reason: 'timer', rows: [bar(1)] });
  });

  it('flushes on writer.flush and keeps flushing until every row present at the call is durable', () => {
    const [s1] = step(start({ bufferSize: 3, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 2) });
    const [s2, a2] = step(s1, { type: 'writer.flush' });
    expect(s2.value).toBe('flushing');
    expect(spawnedInput(a2)).toMatchObject({ reason: 'manual', rows: bars(0, 2) });
    // Two more rows arrive during the flush, then a second request covering them.
    const [s3] = step(s2, { type: 'writer.write', bars: bars(10, 2) });
    const [s4] = step(s3, { type: 'writer.flush' });
    expect(s4.context.flushTarget).toBe(4);
    const [s5, a5] = step(s4, done());
    // Two rows are fewer than bufferSize, but the request is not met yet: flush again.
    expect(s5.value).toBe('flushing');
    expect(spawnedInput(a5)).toMatchObject({ reason: 'manual', rows: bars(10, 2) });
    const [s6] = step(s5, done());
    expect(s6.value).toBe('idle');
    expect(s6.context.durable).toBe(4);
  });

  it('does not count rows written after writer.flush as part of that request', () => {
    const [s1] = step(start({ bufferSize: 3, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 1) });
    const [s2] = step(s1, { type: 'writer.flush' });
    const [s3] = step(s2, { type: 'writer.write', bars: bars(10, 1) });
    const [s4] = step(s3, done());
    expect(s4.value).toEqual({ buffering: 'untimed' });
    expect(s4.context.durable).toBe(1);
  });

  it('ignores writer.flush when nothing is buffered', () => {
    const [s, actions] = step(start(), { type: 'writer.flush' });
    expect(s.value).toBe('idle');
    expect(actions).toEqual([]);
  });

  it('puts bars written during a flush into the next batch', () => {
    const [s1] = step(start({ bufferSize: 2, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 2) });
    const [s2] = step(s1, { type: 'writer.write', bars: bars(10, 3) });
    expect(s2.value).toBe('flushing');
    expect(s2.context.inFlight).toBe(2);
    const [s3, a3] = step(s2, done());
    // 3 rows wait and 2 make a full batch: the next flush starts at once, with the oldest two.
    expect(s3.value).toBe('flushing');
    expect(spawnedInput(a3)!.rows.map((b) => b.openTime)).toEqual([10, 11].map((m) => m * 60_000));
    const [s4] = step(s3, done());
    expect(s4.value).toEqual({ buffering: 'untimed' });
    expect(s4.context.durable).toBe(4);
  });

  it('splits a large backlog into batches of at most bufferSize', () => {
    let [s, actions] = step(start({ bufferSize: 4, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 11) });
    const sizes: number[] = [];
    while (s.value === 'flushing') {
      sizes.push(spawnedInput(actions)!.rows.length);
      [s, actions] = step(s, done());
    }
    expect(sizes).toEqual([4, 4]);
    expect(s.value).toEqual({ buffering: 'untimed' });
    [s, actions] = step(s, { type: 'writer.flush' });
    expect(spawnedInput(actions)!.rows.length).toBe(3);
  });

  it('keeps the rows of a failed flush and retries them with backoff', () => {
    const [s1] = step(start({ bufferSize: 2, retryBaseMs: 100, retryMaxMs: 1000 }), { type: 'writer.write', bars: bars(0, 2) });
    const [s2, a2] = step(s1, failed());
    expect(s2.value).toBe('retrying');
    expect(s2.context.counters.errorCount).toBe(1);
    expect(s2.context.durable).toBe(0);
    expect(queueTake(s2.context.queue, 10).map((b) => b.openTime)).toEqual([0, 60_000]);
    expect(emitted(a2)).toEqual([expect.objectContaining({ type: 'writer.flush.failed', rows: 2, attempt: 1 })]);
    expect((emitted(a2)[0] as { error: { code: string } }).error.code).toBe('WRITE_FAILED');
    expect(delayed(a2)).toEqual([expect.objectContaining({ delay: 100 })]);
    // A write while retrying goes behind the kept rows.
    const [s3] = step(s2, { type: 'writer.write', bars: [bar(5)] });
    const [s4, a4] = step(s3, { type: 'xstate.after.retryBackoff.writer.retrying' });
    expect(s4.value).toBe('flushing');
    expect(spawnedInput(a4)).toMatchObject({ reason: 'retry', attempt: 1, rows: bars(0, 2) });
    const [s5, a5] = step(s4, failed());
    expect(delayed(a5)).toEqual([expect.objectContaining({ delay: 200 })]);
    const [s6] = step(step(s5, { type: 'xstate.after.retryBackoff.writer.retrying' })[0], done());
    expect(s6.context.attempt).toBe(0);
    expect(s6.context.durable).toBe(2);
    expect(queueTake(s6.context.queue, 10)).toEqual([bar(5)]);
  });

  it('bounds the retry backoff', () => {
    const c = { retryBaseMs: 100, retryMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 10].map((n) => retryDelay(c, n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('retries at once on a manual flush', () => {
    const [s1] = step(start({ bufferSize: 1 }), { type: 'writer.write', bars: [bar(1)] });
    const [s2] = step(s1, failed());
    const [s3, a3] = step(s2, { type: 'writer.flush' });
    expect(s3.value).toBe('flushing');
    expect(spawnedInput(a3)).toMatchObject({ reason: 'manual', attempt: 1 });
  });

  it('rejects invalid bars, counts them and accepts the valid ones of the same write', () => {
    const nan = { ...bar(2), close: Number.NaN };
    const negative = { ...bar(3), volume: -1 };
    const inverted = { ...bar(4), high: 1, low: 2, open: 1.5, close: 1.5 };
    const unknown = { ...bar(5), interval: '7m' } as unknown as Bar;
    const [s, actions] = step(start(), { type: 'writer.write', bars: [bar(1), nan, negative, inverted, unknown] });
    expect(s.context.accepted).toBe(1);
    expect(s.context.counters.rejectedInvalid).toBe(4);
    expect(s.context.lastWrite.invalid.map((x) => x.index)).toEqual([1, 2, 3, 4]);
    const [event] = emitted(actions);
    expect(event).toMatchObject({ type: 'writer.rejected', error: { code: 'INVALID_MESSAGE' } });
  });

  it('names the problem of each kind of invalid bar', () => {
    expect(barProblem(bar(1))).toBeUndefined();
    expect(barProblem({ ...bar(1), close: Number.NaN })).toMatch(/finite/);
    expect(barProblem({ ...bar(1), volume: -1 })).toMatch(/volume/);
    expect(barProblem({ ...bar(1), high: 1, low: 2 })).toMatch(/high is below low/);
    expect(barProblem({ ...bar(1), interval: '2d' } as unknown as Bar)).toMatch(/interval/);
    expect(barProblem({ ...bar(1), tradeCount: 2 ** 40 })).toMatch(/INTEGER/);
    expect(barProblem({ ...bar(1), openTime: 1.5 })).toMatch(/integer/);
  });

  it('refuses a write past maxBufferedRows without buffering any of it, and emits BUFFER_OVERFLOW once', () => {
    const [s1] = step(start({ bufferSize: 3, maxBufferedRows: 4, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 2) });
    const [s2, a2] = step(s1, { type: 'writer.write', bars: bars(10, 3) });
    expect(s2.context.accepted).toBe(2);
    expect(s2.context.lastWrite.refused).toBe('overflow');
    expect(s2.context.counters.overflowCount).toBe(1);
    expect(emitted(a2)).toEqual([expect.objectContaining({ type: 'writer.overflowed', error: expect.objectContaining({ code: 'BUFFER_OVERFLOW' }) })]);
    const [s3, a3] = step(s2, { type: 'writer.write', bars: bars(20, 3) });
    expect(s3.context.counters.overflowCount).toBe(2);
    expect(emitted(a3)).toEqual([]);
    // A flush that makes room reports the drain.
    const [s4] = step(s3, { type: 'writer.write', bars: bars(30, 2) });
    expect(s4.value).toBe('flushing');
    const [s5, a5] = step(s4, done());
    expect(s5.context.overflowed).toBe(false);
    expect(emitted(a5).map((e) => e.type)).toEqual(['writer.flushed', 'writer.drained']);
  });

  it('counts in-flight rows against the cap', () => {
    const [s1] = step(start({ bufferSize: 2, maxBufferedRows: 3 }), { type: 'writer.write', bars: bars(0, 2) });
    expect(s1.value).toBe('flushing');
    const [s2] = step(s1, { type: 'writer.write', bars: bars(5, 2) });
    expect(s2.context.lastWrite.refused).toBe('overflow');
  });

  it('closes: flushes the rest, checkpoints, and ends in closed', () => {
    const [s1] = step(start({ bufferSize: 2 }), { type: 'writer.write', bars: bars(0, 3) });
    const [s2] = step(s1, done());
    expect(s2.value).toEqual({ buffering: 'timed' });
    const [s3, a3] = step(s2, { type: 'writer.close' });
    expect(s3.value).toEqual({ closing: 'flushing' });
    expect(spawnedInput(a3)).toMatchObject({ reason: 'close', rows: [bar(2)] });
    const [s4] = step(s3, { type: 'writer.write', bars: [bar(9)] });
    expect(s4.context.lastWrite.refused).toBe('closing');
    const [s5, a5] = step(s4, done());
    expect(s5.value).toEqual({ closing: 'finalizing' });
    expect(a5.find((a) => a.type === 'xstate.spawnChild')).toMatchObject({ params: { src: 'closeStore' } });
    const [s6, a6] = step(s5, { type: 'xstate.done.actor.closeStore', actorId: 'closeStore' });
    expect(s6.value).toBe('closed');
    expect(s6.status).toBe('done');
    expect(emitted(a6)).toEqual([{ type: 'writer.closed', error: undefined }]);
  });

  it('closes from idle straight to the checkpoint', () => {
    const [s] = step(start(), { type: 'writer.close' });
    expect(s.value).toEqual({ closing: 'finalizing' });
  });

  it('lets a running flush finish before closing', () => {
    const [s1] = step(start({ bufferSize: 2 }), { type: 'writer.write', bars: bars(0, 3) });
    const [s2, a2] = step(s1, { type: 'writer.close' });
    expect(s2.value).toBe('flushing');
    expect(a2.map((a) => a.type)).not.toContain('xstate.stopChild');
    const [s3, a3] = step(s2, done());
    expect(s3.value).toEqual({ closing: 'flushing' });
    expect(spawnedInput(a3)).toMatchObject({ reason: 'close', rows: [bar(2)] });
  });

  it('gives up closing after closeRetries failed flushes and keeps the rows', () => {
    let [s] = step(start({ bufferSize: 5, closeRetries: 2 }), { type: 'writer.write', bars: bars(0, 2) });
    [s] = step(s, { type: 'writer.close' });
    let actions: Action[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      [s, actions] = step(s, failed());
      if (attempt < 2) {
        expect(s.value).toEqual({ closing: 'retrying' });
        [s] = step(s, { type: 'xstate.after.retryBackoff.writer.closing.retrying' });
      }
    }
    expect(s.value).toBe('retrying');
    expect(s.context.closeRequested).toBe(false);
    expect(s.context.accepted - s.context.durable).toBe(2);
    expect(emitted(actions).map((e) => e.type)).toEqual(['writer.flush.failed', 'writer.close.failed']);
    expect(emitted(actions)[1]).toMatchObject({ unflushed: 2, error: { code: 'WRITE_FAILED' } });
  });

  it('reports a failed checkpoint on close and still closes', () => {
    const [s1] = step(start(), { type: 'writer.close' });
    const [s2, a2] = step(s1, { type: 'xstate.error.actor.closeStore', actorId: 'closeStore', error: new Error('io') });
    expect(s2.value).toBe('closed');
    expect(emitted(a2)[0]).toMatchObject({ type: 'writer.closed', error: { code: 'CHECKPOINT_FAILED' } });
  });

  it('applies a smaller buffer size at once and re-arms the timer with a new interval', () => {
    const [s1] = step(start({ bufferSize: 10, flushIntervalMs: 1000 }), { type: 'writer.write', bars: bars(0, 3) });
    const [s2, a2] = step(s1, { type: 'writer.configure', flushIntervalMs: 50 });
    expect(s2.value).toEqual({ buffering: 'timed' });
    expect(delayed(a2)).toEqual([expect.objectContaining({ delay: 50 })]);
    const [s3, a3] = step(s2, { type: 'writer.configure', bufferSize: 2 });
    expect(s3.value).toBe('flushing');
    expect(spawnedInput(a3)!.rows.length).toBe(2);
  });
});

describe('writer machine (several batches per flush under a backlog)', () => {
  const openTimes = (rows: readonly Bar[]) => rows.map((b) => b.openTime / 60_000);

  it('hands over every full batch that waits, up to maxFlushRows, as separate batches of bufferSize rows', () => {
    const [s, actions] = step(start({ bufferSize: 3, maxFlushRows: 9, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 11) });
    expect(s.value).toBe('flushing');
    expect(s.context.inFlight).toBe(9);
    const input = spawnedInput(actions)!;
    expect(input.batches.map(openTimes)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(input.rows).toEqual(input.batches.flat());
    expect(input.reason).toBe('size');
    // Done: 2 rows wait, less than a batch: no flush until more arrive.
    const [s2] = step(s, done());
    expect(s2.context.durable).toBe(9);
    expect(s2.value).toEqual({ buffering: 'untimed' });
    expect(emitted(step(s, done())[1])).toEqual([expect.objectContaining({ type: 'writer.flushed', rows: 9, durable: 9 })]);
  });

  it('takes one batch when fewer than two full batches wait, and only whole batches that fit in maxFlushRows', () => {
    const [one, a1] = step(start({ bufferSize: 3, maxFlushRows: 30 }), { type: 'writer.write', bars: bars(0, 5) });
    expect(one.context.inFlight).toBe(3);
    expect(spawnedInput(a1)!.batches).toHaveLength(1);
    const [two, a2] = step(start({ bufferSize: 3, maxFlushRows: 8 }), { type: 'writer.write', bars: bars(0, 20) });
    expect(two.context.inFlight).toBe(6);
    expect(spawnedInput(a2)!.batches.map((b) => b.length)).toEqual([3, 3]);
    // maxFlushRows below two batches (and the default, 0) never groups.
    expect(flushRows({ ...start({ bufferSize: 3, maxFlushRows: 5 }).context, queue: { rows: bars(0, 20), start: 0, end: 20 } })).toBe(3);
    expect(flushRows({ ...start({ bufferSize: 3 }).context, queue: { rows: bars(0, 20), start: 0, end: 20 } })).toBe(3);
  });

  it('groups only the backlog present when the flush starts; rows written meanwhile wait for the next flush', () => {
    const [s1] = step(start({ bufferSize: 2, maxFlushRows: 6, flushIntervalMs: 0 }), { type: 'writer.write', bars: bars(0, 2) });
    expect(s1.context.inFlight).toBe(2);
    const [s2] = step(s1, { type: 'writer.write', bars: bars(10, 7) });
    expect(s2.context.inFlight).toBe(2);
    const [s3, a3] = step(s2, done());
    expect(spawnedInput(a3)!.batches.map(openTimes)).toEqual([[10, 11], [12, 13], [14, 15]]);
    const [s4, a4] = step(s3, { type: 'writer.flush' });
    expect(s4.value).toBe('flushing');
    expect(spawnedInput(a4)).toBeUndefined(); // already flushing: the request covers the last row too
    const [s5, a5] = step(s4, done());
    expect(spawnedInput(a5)).toMatchObject({ reason: 'manual', batches: [[bar(16)]] });
    expect(step(s5, done())[0].context.durable).toBe(9);
  });

  it('keeps every row of a failed grouped flush, in order, and retries them from the front', () => {
    const [s1] = step(start({ bufferSize: 2, maxFlushRows: 4, retryBaseMs: 10 }), { type: 'writer.write', bars: bars(0, 5) });
    expect(s1.context.inFlight).toBe(4);
    const [s2, a2] = step(s1, failed());
    expect(emitted(a2)).toEqual([expect.objectContaining({ type: 'writer.flush.failed', rows: 4, attempt: 1 })]);
    expect(s2.context.durable).toBe(0);
    expect(openTimes(queueTake(s2.context.queue, 10))).toEqual([0, 1, 2, 3, 4]);
    const [, a3] = step(s2, { type: 'xstate.after.retryBackoff.writer.retrying' });
    expect(spawnedInput(a3)).toMatchObject({ reason: 'retry', attempt: 1 });
    expect(spawnedInput(a3)!.batches.map(openTimes)).toEqual([[0, 1], [2, 3]]);
  });

  it('splits rows into consecutive batches of at most the given size', () => {
    expect(splitBatches(bars(0, 5), 2).map(openTimes)).toEqual([[0, 1], [2, 3], [4]]);
    expect(splitBatches(bars(0, 2), 5).map(openTimes)).toEqual([[0, 1]]);
  });
});

describe('writer machine (simulated clock)', () => {
  const run = (settings: Partial<WriterSettings>) => {
    const clock = new SimulatedClock();
    const flushes: FlushInput[] = [];
    const machine = writerMachine.provide({
      actors: {
        flushBatch: fromPromise<FlushOutput, FlushInput>(async ({ input }) => {
          flushes.push(input);
          return { durationMs: 1, finishedAt: clock.now() };
        }),
        closeStore: fromPromise<void, void>(async () => undefined),
      },
    });
    const actor = createActor(machine, { clock, input: settings }).start();
    return { clock, flushes, actor };
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('fires the timer flushIntervalMs after the first buffered row', async () => {
    const { clock, flushes, actor } = run({ flushIntervalMs: 1000 });
    actor.send({ type: 'writer.write', bars: [bar(1)] });
    clock.increment(999);
    await settle();
    expect(flushes).toEqual([]);
    clock.increment(1);
    await settle();
    expect(flushes.map((f) => f.reason)).toEqual(['timer']);
    expect(actor.getSnapshot().value).toBe('idle');
  });

  it('never fires the timer on an empty buffer', async () => {
    const { clock, flushes, actor } = run({ flushIntervalMs: 100 });
    clock.increment(10_000);
    actor.send({ type: 'writer.write', bars: [bar(1)] });
    actor.send({ type: 'writer.flush' });
    await settle();
    clock.increment(10_000);
    await settle();
    expect(flushes.map((f) => f.reason)).toEqual(['manual']);
  });

  it('retries a failed flush after the backoff delay', async () => {
    const clock = new SimulatedClock();
    let calls = 0;
    const machine = writerMachine.provide({
      actors: {
        flushBatch: fromPromise<FlushOutput, FlushInput>(async () => {
          if (++calls === 1) throw new Error('locked');
          return { durationMs: 1, finishedAt: 0 };
        }),
        closeStore: fromPromise<void, void>(async () => undefined),
      },
    });
    const actor = createActor(machine, { clock, input: { bufferSize: 1, retryBaseMs: 300 } }).start();
    actor.send({ type: 'writer.write', bars: [bar(1)] });
    await settle();
    expect(actor.getSnapshot().value).toBe('retrying');
    clock.increment(299);
    await settle();
    expect(calls).toBe(1);
    clock.increment(1);
    await settle();
    expect(calls).toBe(2);
    expect(actor.getSnapshot().context.durable).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property: any interleaving ends with one row per key holding its latest values.

type Op =
  | { kind: 'write'; bars: { key: number; price: number; invalid: boolean }[] }
  | { kind: 'tick'; ms: number }
  | { kind: 'flush' }
  | { kind: 'settle'; ok: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), bars: fc.array(
    fc.record({ key: fc.nat(11), price: fc.integer({ min: 1, max: 50 }), invalid: fc.nat(12).map((n) => n === 0) }),
    { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('settle' as const), ok: fc.boolean() }) },
);

const keyed = (key: number, price: number): Bar => bar(key % 6, price, key < 6 ? 'BTCUSDT' : 'ETHUSDT');

/** Checks one flush's input against the batch rules; returns the violations. */
const batchViolations = (input: FlushInput, bufferSize: number): string[] => {
  const v: string[] = [];
  if (input.rows.length === 0) v.push('empty flush');
  if (input.batches.some((b) => b.length === 0 || b.length > bufferSize)) v.push(`a batch exceeds ${bufferSize}: ${input.batches.map((b) => b.length)}`);
  if (input.batches.length > 1 && input.batches.some((b) => b.length !== bufferSize)) v.push('a grouped flush holds a partial batch');
  if (input.batches.flat().length !== input.rows.length || input.batches.flat().some((b, i) => b !== input.rows[i])) v.push('rows are not the batches');
  return v;
};

describe('writer machine (property)', () => {
  test.prop([fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, 150)], { numRuns: 150 })(
    'leaves exactly one row per key with its latest values, never over-fills a flush, never flushes an empty buffer',
    async (ops, bufferSize, flushIntervalMs) => {
      const clock = new SimulatedClock();
      const store = new Map<string, Bar>();
      const violations: string[] = [];
      let pending: { input: FlushInput; resolve: (o: FlushOutput) => void; reject: (e: Error) => void } | undefined;
      const machine = writerMachine.provide({
        actors: {
          flushBatch: fromPromise<FlushOutput, FlushInput>(({ input }) => new Promise<FlushOutput>((resolve, reject) => {
            if (input.rows.length === 0) violations.push('empty flush');
            if (input.rows.length > bufferSize) violations.push(`flush of ${input.rows.length} > ${bufferSize}`);
            pending = { input, resolve: (o) => { for (const r of input.rows) store.set(barKey(r), r); resolve(o); }, reject };
          })),
          closeStore: fromPromise<void, void>(async () => undefined),
        },
      });
      const actor = createActor(machine, {
        clock,
        input: { bufferSize, flushIntervalMs, maxBufferedRows: 1_000, retryBaseMs: 10, retryMaxMs: 80, closeRetries: 1_000 },
        inspect: (ev) => {
          // The timer may only ever fire while rows are buffered.
          if (ev.type === '@xstate.event' && ev.event.type.startsWith('xstate.after.flushInterval')) {
            const c = actor.getSnapshot().context;
            if (c.accepted - c.durable === 0) violations.push('timer fired on an empty buffer');
          }
        },
      });
      actor.start();
      const accepted: Bar[] = [];
      const settle = () => new Promise((resolve) => setImmediate(resolve));
      const expectedAt = (durable: number) => {
        const m = new Map<string, Bar>();
        for (const b of accepted.slice(0, durable)) m.set(barKey(b), b);
        return m;
      };
      for (const op of ops) {
        if (op.kind === 'write') {
          const written = op.bars.map((b) => (b.invalid ? { ...keyed(b.key, b.price), volume: -1 } : keyed(b.key, b.price)));
          actor.send({ type: 'writer.write', bars: written });
          accepted.push(...written.filter((b) => b.volume >= 0));
        } else if (op.kind === 'tick') {
          clock.increment(op.ms);
        } else if (op.kind === 'flush') {
          actor.send({ type: 'writer.flush' });
        } else if (pending) {
          const p = pending;
          pending = undefined;
          if (op.ok) p.resolve({ durationMs: 1, finishedAt: clock.now() });
          else p.reject(new Error('injected failure'));
          await settle();
        }
        // Durable prefix: the store holds the latest value of every key among the first `durable` accepted rows.
        const c = actor.getSnapshot().context;
        expect(c.accepted).toBe(accepted.length);
        expect(store).toEqual(expectedAt(c.durable));
      }
      actor.send({ type: 'writer.close' });
      for (let i = 0; i < 10_000 && actor.getSnapshot().status === 'active'; i++) {
        if (pending) {
          const p = pending;
          pending = undefined;
          p.resolve({ durationMs: 1, finishedAt: clock.now() });
        } else {
          clock.increment(100);
        }
        await settle();
      }
      expect(actor.getSnapshot().value).toBe('closed');
      expect(violations).toEqual([]);
      expect(store).toEqual(expectedAt(accepted.length));
      expect(actor.getSnapshot().context.durable).toBe(accepted.length);
    },
  );
});

describe('writer machine (property, several batches per flush)', () => {
  test.prop([fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 150)], { numRuns: 150 })(
    'leaves one row per key with its latest values; every batch has at most bufferSize rows; flushes take the oldest rows in order',
    async (ops, bufferSize, maxFlushRows, flushIntervalMs) => {
      const clock = new SimulatedClock();
      const store = new Map<string, Bar>();
      const violations: string[] = [];
      const flushed: Bar[] = [];
      let pending: { input: FlushInput; resolve: (o: FlushOutput) => void; reject: (e: Error) => void } | undefined;
      const machine = writerMachine.provide({
        actors: {
          flushBatch: fromPromise<FlushOutput, FlushInput>(({ input }) => new Promise<FlushOutput>((resolve, reject) => {
            violations.push(...batchViolations(input, bufferSize));
            if (input.rows.length > Math.max(bufferSize, maxFlushRows)) violations.push(`flush of ${input.rows.length} > ${Math.max(bufferSize, maxFlushRows)}`);
            pending = { input, reject, resolve: (o) => {
              for (const r of input.rows) store.set(barKey(r), r);
              flushed.push(...input.rows);
              resolve(o);
            } };
          })),
          closeStore: fromPromise<void, void>(async () => undefined),
        },
      });
      const actor = createActor(machine, {
        clock,
        input: { bufferSize, maxFlushRows, flushIntervalMs, maxBufferedRows: 1_000, retryBaseMs: 10, retryMaxMs: 80, closeRetries: 1_000 },
      });
      actor.start();
      const accepted: Bar[] = [];
      const settle = () => new Promise((resolve) => setImmediate(resolve));
      const expectedAt = (durable: number) => {
        const m = new Map<string, Bar>();
        for (const b of accepted.slice(0, durable)) m.set(barKey(b), b);
        return m;
      };
      const resolvePending = async (ok: boolean) => {
        const p = pending!;
        pending = undefined;
        if (ok) p.resolve({ durationMs: 1, finishedAt: clock.now() });
        else p.reject(new Error('injected failure'));
        await settle();
      };
      for (const op of ops) {
        if (op.kind === 'write') {
          const written = op.bars.map((b) => (b.invalid ? { ...keyed(b.key, b.price), volume: -1 } : keyed(b.key, b.price)));
          actor.send({ type: 'writer.write', bars: written });
          accepted.push(...written.filter((b) => b.volume >= 0));
        } else if (op.kind === 'tick') {
          clock.increment(op.ms);
        } else if (op.kind === 'flush') {
          actor.send({ type: 'writer.flush' });
        } else if (pending) {
          await resolvePending(op.ok);
        }
        const c = actor.getSnapshot().context;
        expect(store).toEqual(expectedAt(c.durable));
        // Successful flushes, concatenated, are exactly the accepted rows in order: no row skipped or repeated.
        expect(flushed).toEqual(accepted.slice(0, c.durable));
      }
      actor.send({ type: 'writer.close' });
      for (let i = 0; i < 10_000 && actor.getSnapshot().status === 'active'; i++) {
        if (pending) await resolvePending(true);
        else {
          clock.increment(100);
          await settle();
        }
      }
      expect(actor.getSnapshot().value).toBe('closed');
      expect(violations).toEqual([]);
      expect(store).toEqual(expectedAt(accepted.length));
      expect(flushed).toEqual(accepted);
    },
  );
});

describe('writer machine: first write flushed at once (flushFirstAtOnce)', () => {
  it('flushes the first write of a fresh writer at once, with reason first', () => {
    const [s, actions] = step(start({ flushFirstAtOnce: true, flushIntervalMs: 1000 }), { type: 'writer.write', bars: [bar(1)] });
    expect(s.value).toBe('flushing');
    expect(spawnedInput(actions)).toMatchObject({ reason: 'first', attempt: 0, rows: [bar(1)] });
    expect(delayed(actions)).toEqual([]);
  });

  it('buffers the writes that arrive during the first flush and flushes them on the timer', () => {
    const [s1] = step(start({ flushFirstAtOnce: true, flushIntervalMs: 1000 }), { type: 'writer.write', bars: [bar(1)] });
    const [s2] = step(s1, { type: 'writer.write', bars: [bar(2)] });
    const [s3, a3] = step(s2, done());
    expect(s3.value).toEqual({ buffering: 'timed' });
    expect(s3.context.durable).toBe(1);
    expect(emitted(a3)).toContainEqual(expect.objectContaining({ type: 'writer.flushed', reason: 'first', rows: 1, durable: 1 }));
    expect(delayed(a3)).toEqual([expect.objectContaining({ delay: 1000 })]);
    const [s4, a4] = step(s3, { type: 'xstate.after.flushInterval.writer.buffering.timed' });
    expect(s4.value).toBe('flushing');
    expect(spawnedInput(a4)).toMatchObject({ reason: 'timer', rows: [bar(2)] });
  });

  it('waits for a trigger again once the writer has flushed and drained to idle', () => {
    const [s1] = step(start({ flushFirstAtOnce: true }), { type: 'writer.write', bars: [bar(1)] });
    const [s2] = step(s1, done());
    expect(s2.value).toBe('idle');
    const [s3] = step(s2, { type: 'writer.write', bars: [bar(2)] });
    expect(s3.value).toEqual({ buffering: 'timed' });
  });

  it('retries a failed first flush with backoff and does not treat the next write as a first one', () => {
    const [s1] = step(start({ flushFirstAtOnce: true, retryBaseMs: 100 }), { type: 'writer.write', bars: [bar(1)] });
    const [s2, a2] = step(s1, failed());
    expect(s2.value).toBe('retrying');
    expect(delayed(a2)).toEqual([expect.objectContaining({ delay: 100 })]);
    const [s3, a3] = step(s2, { type: 'writer.write', bars: [bar(2)] });
    expect(s3.value).toBe('retrying');
    expect(spawnedInput(a3)).toBeUndefined();
  });

  it('keeps an invalid first write out of the buffer and flushes nothing', () => {
    const [s, actions] = step(start({ flushFirstAtOnce: true }), { type: 'writer.write', bars: [{ ...bar(1), volume: -1 }] });
    expect(s.value).toBe('idle');
    expect(spawnedInput(actions)).toBeUndefined();
    expect(emitted(actions)).toContainEqual(expect.objectContaining({ type: 'writer.rejected' }));
  });

  it('is off by default: the first write waits for the timer', () => {
    const [s] = step(start(), { type: 'writer.write', bars: [bar(1)] });
    expect(s.value).toEqual({ buffering: 'timed' });
  });

  it('makes the first bar durable before the flush interval elapses on a SimulatedClock', async () => {
    const clock = new SimulatedClock();
    const flushes: FlushInput[] = [];
    const actor = createActor(writerMachine.provide({
      actors: {
        flushBatch: fromPromise<FlushOutput, FlushInput>(async ({ input }) => { flushes.push(input); return { durationMs: 1, finishedAt: 0 }; }),
        closeStore: fromPromise<void, void>(async () => {}),
      },
    }), { clock, input: { flushFirstAtOnce: true, flushIntervalMs: 1000 } });
    const durable = new Promise<number>((resolve) => actor.on('writer.flushed', (e) => resolve(e.durable)));
    actor.start();
    actor.send({ type: 'writer.write', bars: [bar(1)] });
    expect(await durable).toBe(1);
    expect(flushes.map((f) => f.reason)).toEqual(['first']);
    actor.send({ type: 'writer.write', bars: [bar(2)] });
    clock.increment(999);
    expect(flushes).toHaveLength(1);
    clock.increment(1);
    expect(flushes.map((f) => f.reason)).toEqual(['first', 'timer']);
    actor.stop();
  });
});
