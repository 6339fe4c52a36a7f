/**
 * BufferedWriter over an in-memory backend whose flushes the test resolves or fails by hand: the promises of
 * flush() and close(), the synchronous outcome of writes, back-pressure, and batching of per-bar writes.
 */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { isRealtimeError, type RealtimeError } from '../../src/errors.ts';
import { BufferedWriter } from '../../src/storage/buffered-writer.ts';
import type { WriterSettings } from '../../machines/writer.machine.ts';
import { manualBackend } from '../support/manual-writer-backend.ts';

const bar = (minute: number, price = 100): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: price, high: price, low: price, close: price, volume: 2, vwap: null, tradeCount: 3, final: true, receivedAt: 0,
});

const tick = () => new Promise((resolve) => setImmediate(resolve));
const settings = (s: Partial<WriterSettings> = {}): Partial<WriterSettings> => ({ flushIntervalMs: 0, bufferSize: 10, ...s });
const bars = (from: number, n: number): Bar[] => Array.from({ length: n }, (_, i) => bar(from + i));
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isRealtimeError(e) ? e.code : 'not a RealtimeError';
  }
};
const state = (p: Promise<unknown>) => {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(() => { s = 'resolved'; }, () => { s = 'rejected'; });
  return () => s;
};

describe('BufferedWriter', () => {
  it('resolves flush() only once the rows present at the call are durable', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings());
    w.writeRealtime(bar(1));
    w.writeRealtime(bar(2));
    const flushed = w.flush();
    const status = state(flushed);
    const call = await m.next();
    expect(call.input.rows).toEqual([bar(1), bar(2)]);
    w.writeRealtime(bar(3));
    await tick();
    expect(status()).toBe('pending');
    call.resolve({ durationMs: 4, finishedAt: 1_700_000_000_000 });
    await flushed;
    expect(w.getStats()).toEqual({
      totalWrites: 3, bufferedWrites: 1, flushCount: 1, lastFlushTime: 1_700_000_000_000, averageFlushTime: 4,
      errorCount: 0, rejectedInvalid: 0, overflowCount: 0,
    });
  });

  it('resolves flush() at once when nothing is buffered', async () => {
    const w = new BufferedWriter(manualBackend().backend, settings());
    await expect(w.flush()).resolves.toBeUndefined();
  });

  it('rejects flush() with WRITE_FAILED when a flush fails, keeps the rows and retries them', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ retryBaseMs: 5 }));
    const errors: RealtimeError[] = [];
    w.onError((e) => errors.push(e));
    w.writeBatch([bar(1), bar(2)]);
    const first = w.flush();
    (await m.next()).reject(new Error('disk I/O error'));
    await expect(first).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    expect(errors.map((e) => e.code)).toEqual(['WRITE_FAILED']);
    expect(w.getStats()).toMatchObject({ errorCount: 1, bufferedWrites: 2 });
    const retry = await m.next();
    expect(retry.input).toMatchObject({ reason: 'retry', attempt: 1, rows: [bar(1), bar(2)] });
    retry.resolve({ durationMs: 1, finishedAt: 1 });
    await tick();
    expect(w.getStats()).toMatchObject({ bufferedWrites: 0, flushCount: 1, errorCount: 1 });
  });

  it('throws INVALID_MESSAGE for an invalid bar, counts it and reports it', () => {
    const w = new BufferedWriter(manualBackend().backend, settings());
    const errors: string[] = [];
    w.onError((e) => errors.push(e.code));
    expect(codeOf(() => w.writeRealtime({ ...bar(1), low: 200 }))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => w.writeBatch([bar(2), { ...bar(3), volume: Number.NaN }]))).toBe('INVALID_MESSAGE');
    expect(w.getStats()).toMatchObject({ totalWrites: 1, rejectedInvalid: 2 });
    expect(errors).toEqual(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
  });

  it('refuses writes at the cap with BUFFER_OVERFLOW and wakes whenWritable() after a flush makes room', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ bufferSize: 2, maxBufferedRows: 3 }));
    const errors: string[] = [];
    w.onError((e) => errors.push(e.code));
    w.writeRealtime(bar(1));
    w.writeRealtime(bar(2));
    w.writeRealtime(bar(3));
    expect(codeOf(() => w.writeRealtime(bar(4)))).toBe('BUFFER_OVERFLOW');
    expect(codeOf(() => w.writeRealtime(bar(4)))).toBe('BUFFER_OVERFLOW');
    expect(errors).toEqual(['BUFFER_OVERFLOW']);
    expect(w.getStats()).toMatchObject({ totalWrites: 3, overflowCount: 2 });
    const writable = w.whenWritable();
    const status = state(writable);
    await tick();
    expect(status()).toBe('pending');
    (await m.next()).resolve({ durationMs: 1, finishedAt: 1 });
    await writable;
    w.writeRealtime(bar(4));
    expect(w.getStats()).toMatchObject({ totalWrites: 4, bufferedWrites: 2 });
  });

  it('refuses a batch larger than the cap outright with BATCH_TOO_LARGE, as not retryable', () => {
    const w = new BufferedWriter(manualBackend().backend, settings({ bufferSize: 2, maxBufferedRows: 3 }));
    let error: unknown;
    try {
      w.writeBatch([bar(1), bar(2), bar(3), bar(4)]);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'BATCH_TOO_LARGE', retryable: false });
    expect(w.getStats()).toMatchObject({ totalWrites: 0, overflowCount: 0 });
  });

  it('queues each write as one machine event and flushes as soon as the buffer is full', () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ bufferSize: 100 }));
    let writeEvents = 0;
    const inspect = w.actor.system.inspect({ next: (ev) => {
      if (ev.type === '@xstate.event' && ev.event.type === 'writer.write') writeEvents++;
    } });
    for (let i = 0; i < 150; i++) w.writeRealtime(bar(i));
    w.append(bars(150, 100));
    // No second buffer in front of the machine: 150 single writes and one batch of 100 are 151 events.
    expect(writeEvents).toBe(151);
    // The first batch started synchronously, as soon as 100 bars were written.
    expect(m.calls.map((c) => c.input.rows.length)).toEqual([100]);
    expect(w.getStats()).toMatchObject({ totalWrites: 250, bufferedWrites: 250 });
    inspect.unsubscribe();
  });

  it('appends decoded bars without validating them again, and still refuses them at the cap', () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ bufferSize: 10, maxBufferedRows: 3, flushIntervalMs: 0 }));
    // A provider's parser already checked these: append trusts them (writeBatch would check each one).
    w.append([bar(1), bar(2)]);
    expect(w.getStats()).toMatchObject({ totalWrites: 2, rejectedInvalid: 0 });
    expect(codeOf(() => w.append([bar(3), bar(4)]))).toBe('BUFFER_OVERFLOW');
    expect(w.getStats()).toMatchObject({ totalWrites: 2, overflowCount: 1 });
  });

  it('hands the backlog that piled up behind a running flush to the next flush as several batches', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ bufferSize: 100, maxFlushRows: 300 }));
    for (let i = 0; i < 100; i++) w.writeRealtime(bar(i));
    const first = await m.next();
    expect(first.input.batches.map((b) => b.length)).toEqual([100]);
    // While it runs, 350 more bars arrive: the next flush takes three full batches, the 50 left wait.
    for (let i = 100; i < 450; i++) w.writeRealtime(bar(i));
    first.resolve({ durationMs: 1, finishedAt: 1 });
    const second = await m.next();
    expect(second.input.batches.map((b) => b.length)).toEqual([100, 100, 100]);
    expect(second.input.rows.map((b) => b.openTime / 60_000)).toEqual(Array.from({ length: 300 }, (_, i) => 100 + i));
    const flushed = w.flush();
    second.resolve({ durationMs: 1, finishedAt: 2 });
    const third = await m.next();
    expect(third.input).toMatchObject({ reason: 'manual' });
    expect(third.input.batches.map((b) => b.length)).toEqual([50]);
    third.resolve({ durationMs: 1, finishedAt: 3 });
    await flushed;
    expect(w.getStats()).toMatchObject({ totalWrites: 450, bufferedWrites: 0, flushCount: 3 });
  });

  it('closes: flushes everything, runs the final store step once, then refuses writes', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ bufferSize: 2 }));
    w.writeBatch([bar(1), bar(2), bar(3)]);
    const closed = w.close();
    expect(w.close()).toBe(closed);
    (await m.next()).resolve({ durationMs: 1, finishedAt: 1 });
    (await m.next()).resolve({ durationMs: 1, finishedAt: 2 });
    await closed;
    expect(m.closedCount()).toBe(1);
    expect(w.getStats()).toMatchObject({ totalWrites: 3, bufferedWrites: 0, flushCount: 2 });
    expect(codeOf(() => w.writeRealtime(bar(9)))).toBe('CLOSED');
    await expect(w.close()).resolves.toBeUndefined();
  });

  it('rejects close() with WRITE_FAILED when the flushes keep failing, and stays open with the rows', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ closeRetries: 1, retryBaseMs: 1, retryMaxMs: 1 }));
    w.writeBatch([bar(1), bar(2)]);
    const closed = w.close();
    (await m.next()).reject(new Error('read-only file system'));
    (await m.next()).reject(new Error('read-only file system'));
    await expect(closed).rejects.toMatchObject({ code: 'WRITE_FAILED', data: { unflushed: 2 } });
    expect(m.closedCount()).toBe(0);
    expect(w.getStats().bufferedWrites).toBe(2);
    // The writer keeps retrying; a later close succeeds once storage recovers.
    const again = w.close();
    (await m.next()).resolve({ durationMs: 1, finishedAt: 1 });
    await again;
    expect(m.closedCount()).toBe(1);
  });

  it('validates setBufferSize and setFlushInterval', () => {
    const w = new BufferedWriter(manualBackend().backend, settings({ maxBufferedRows: 50 }));
    expect(codeOf(() => w.setBufferSize(0))).toBe('CONFIG_INVALID');
    expect(codeOf(() => w.setBufferSize(51))).toBe('CONFIG_INVALID');
    expect(codeOf(() => w.setFlushInterval(-1))).toBe('CONFIG_INVALID');
    w.setBufferSize(5);
    w.setFlushInterval(20);
    expect(w.snapshot.context).toMatchObject({ bufferSize: 5, flushIntervalMs: 20 });
  });

  it('flushes on the timer with a real clock', async () => {
    const m = manualBackend();
    const w = new BufferedWriter(m.backend, settings({ flushIntervalMs: 20 }));
    w.writeRealtime(bar(1));
    const call = await m.next();
    expect(call.input.reason).toBe('timer');
  });
});
