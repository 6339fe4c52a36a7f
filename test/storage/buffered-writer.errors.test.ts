/**
 * BufferedWriter's refusals and edges: the code, message and data of every error it throws or reports, the bounds
 * of its setters, what happens once its actor has stopped, and the listeners it hands out.
 */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import type { RealtimeError } from '../../src/errors.ts';
import { BufferedWriter } from '../../src/storage/buffered-writer.ts';
import type { WriterSettings } from '../../machines/writer.machine.ts';
import { manualBackend } from '../support/manual-writer-backend.ts';

const bar = (minute: number, price = 100): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: price, high: price, low: price, close: price, volume: 2, vwap: null, tradeCount: 3, final: true, receivedAt: 0,
});
const settings = (s: Partial<WriterSettings> = {}): Partial<WriterSettings> => ({ flushIntervalMs: 0, bufferSize: 10, ...s });
const tick = () => new Promise((resolve) => setImmediate(resolve));
/** What `fn` throws, as a plain object of the fields a caller matches on. */
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    const { code, message, retryable, data } = e as RealtimeError;
    return { code, message, retryable, data };
  }
  throw new Error('it did not throw');
};
const state = (p: Promise<unknown>) => {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(() => { s = 'resolved'; }, () => { s = 'rejected'; });
  return () => s;
};
const writer = (s: Partial<WriterSettings> = {}, failClose?: Error) => {
  const m = manualBackend(failClose);
  const w = new BufferedWriter(m.backend, settings(s));
  const errors: RealtimeError[] = [];
  w.onError((e) => errors.push(e));
  return { m, w, errors };
};

describe('BufferedWriter errors', () => {
  it('accepts a batch of exactly max_buffered_rows and refuses one more with BATCH_TOO_LARGE, naming both sizes', () => {
    const { w } = writer({ bufferSize: 5, maxBufferedRows: 3 });
    expect(thrown(() => w.writeBatch([bar(1), bar(2), bar(3), bar(4)]))).toEqual({
      code: 'BATCH_TOO_LARGE', message: 'a batch of 4 bars exceeds max_buffered_rows (3): split it', retryable: false,
      data: { bars: 4, maxBufferedRows: 3 },
    });
    w.writeBatch([bar(1), bar(2), bar(3)]);
    expect(w.getStats()).toMatchObject({ totalWrites: 3, overflowCount: 0 });
  });

  it('throws BUFFER_OVERFLOW with the cap and the overflow count', () => {
    const { w } = writer({ bufferSize: 5, maxBufferedRows: 3 });
    w.writeBatch([bar(1), bar(2)]);
    expect(thrown(() => w.writeBatch([bar(3), bar(4)]))).toEqual({
      code: 'BUFFER_OVERFLOW', message: 'write of 2 bar(s) refused: buffer at its cap of 3 rows', retryable: true,
      data: { bars: 2, maxBufferedRows: 3, overflowCount: 1 },
    });
  });

  it('throws INVALID_MESSAGE naming the first problem, with every invalid bar and the count accepted', () => {
    const { w } = writer();
    const error = thrown(() => w.writeBatch([bar(1), { ...bar(2), low: 200 }, { ...bar(3), volume: -1 }]));
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE', retryable: true, data: { accepted: 1 } });
    const { invalid } = error.data as { invalid: { problem: string }[] };
    expect(invalid).toHaveLength(2);
    expect(error.message).toBe(`2 of 3 bar(s) rejected: ${invalid[0]!.problem}`);
    expect(invalid[0]!.problem).toMatch(/low/);
  });

  it('appends decoded bars as they are, without a second validation', () => {
    const { w } = writer();
    // The provider's parser is the one check: append does not repeat it, even for a bar writeBatch would refuse.
    w.append([{ ...bar(1), low: 200 }]);
    expect(w.getStats()).toMatchObject({ totalWrites: 1, rejectedInvalid: 0 });
  });

  it('refuses writes with CLOSED while closing and once closed', async () => {
    const { m, w } = writer();
    w.writeRealtime(bar(1));
    const closed = w.close();
    expect(thrown(() => w.writeRealtime(bar(2)))).toEqual({ code: 'CLOSED', message: 'the writer is closing', retryable: false, data: undefined });
    (await m.next()).resolve({ durationMs: 1, finishedAt: 1 });
    await closed;
    expect(thrown(() => w.writeRealtime(bar(2)))).toEqual({ code: 'CLOSED', message: 'the writer is closed', retryable: false, data: undefined });
  });

  it('rejects flush() with CLOSED once its actor has stopped with rows still buffered', async () => {
    const { w } = writer();
    w.writeRealtime(bar(1));
    w.actor.stop();
    await expect(w.flush()).rejects.toMatchObject({ code: 'CLOSED', message: 'the writer is closed' });
  });

  it('reports the close that gave up, and the final checkpoint that failed while the close still resolves', async () => {
    const failing = writer({ closeRetries: 1, retryBaseMs: 1, retryMaxMs: 1 });
    failing.w.writeRealtime(bar(1));
    const gaveUp = failing.w.close();
    (await failing.m.next()).reject(new Error('read-only file system'));
    (await failing.m.next()).reject(new Error('read-only file system'));
    await expect(gaveUp).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    expect(failing.errors.map((e) => e.code)).toEqual(['WRITE_FAILED', 'WRITE_FAILED', 'WRITE_FAILED']);
    expect(failing.errors[2]!.message).toMatch(/^close gave up after 2 failed flushes; 1 rows are still buffered/);

    const clean = writer();
    await clean.w.close();
    expect(clean.errors).toEqual([]);

    const checkpoint = writer({}, new Error('disk I/O error'));
    await checkpoint.w.close();
    expect(checkpoint.errors.map((e) => [e.code, e.message])).toEqual([
      ['CHECKPOINT_FAILED', 'final checkpoint failed (flushed rows are in the WAL): disk I/O error'],
    ]);
  });
});

describe('BufferedWriter flush waiters and back-pressure', () => {
  it('resolves flush() only when the flush that carries its last row is durable, not an earlier one', async () => {
    const { m, w } = writer({ bufferSize: 2 });
    w.writeBatch([bar(1), bar(2)]);
    const first = await m.next();
    w.writeRealtime(bar(3));
    const flushed = w.flush();
    const status = state(flushed);
    first.resolve({ durationMs: 1, finishedAt: 1 });
    const second = await m.next();
    expect(second.input.rows).toEqual([bar(3)]);
    await tick();
    expect(status()).toBe('pending');
    second.resolve({ durationMs: 1, finishedAt: 2 });
    await flushed;
  });

  it('resolves whenWritable() at once unless writes are refused at the cap, and once the actor has stopped', async () => {
    const { w } = writer({ bufferSize: 5, maxBufferedRows: 1 });
    const open = state(w.whenWritable());
    w.writeRealtime(bar(1));
    expect(() => w.writeRealtime(bar(2))).toThrow();
    const full = state(w.whenWritable());
    await tick();
    expect([open(), full()]).toEqual(['resolved', 'pending']);
    w.actor.stop();
    const stopped = state(w.whenWritable());
    await tick();
    expect(stopped()).toBe('resolved');
  });

  it('averages the flush time over the flushes, and reports 0 before the first', async () => {
    const { m, w } = writer({ bufferSize: 1 });
    expect(w.getStats()).toEqual({
      totalWrites: 0, bufferedWrites: 0, flushCount: 0, lastFlushTime: 0, averageFlushTime: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0,
    });
    w.writeRealtime(bar(1));
    (await m.next()).resolve({ durationMs: 4, finishedAt: 10 });
    w.writeRealtime(bar(2));
    (await m.next()).resolve({ durationMs: 8, finishedAt: 20 });
    await w.flush();
    expect(w.getStats()).toMatchObject({ flushCount: 2, averageFlushTime: 6, lastFlushTime: 20 });
  });
});

describe('BufferedWriter settings and listeners', () => {
  it('takes a flush interval of 0 and refuses negative or fractional ones with CONFIG_INVALID', () => {
    const { w } = writer({ flushIntervalMs: 50 });
    w.setFlushInterval(0);
    expect(w.snapshot.context.flushIntervalMs).toBe(0);
    for (const bad of [-1, 1.5]) {
      expect(thrown(() => w.setFlushInterval(bad))).toEqual({
        code: 'CONFIG_INVALID', message: `flush interval must be a non-negative integer (ms), got ${bad}`, retryable: false,
        data: { fields: ['flush_interval_ms'] },
      });
    }
  });

  it('takes buffer sizes from 1 to max_buffered_rows and refuses others with CONFIG_INVALID', () => {
    const { w } = writer({ maxBufferedRows: 50 });
    w.setBufferSize(1);
    expect(w.snapshot.context.bufferSize).toBe(1);
    w.setBufferSize(50);
    expect(w.snapshot.context.bufferSize).toBe(50);
    for (const bad of [0, 51, 2.5]) {
      expect(thrown(() => w.setBufferSize(bad))).toEqual({
        code: 'CONFIG_INVALID', message: `buffer size must be an integer in [1, 50], got ${bad}`, retryable: false, data: { fields: ['buffer_size'] },
      });
    }
  });

  it('stops calling a listener of on() or onError() once it is removed', async () => {
    const { m, w } = writer({ bufferSize: 1, retryBaseMs: 1, retryMaxMs: 1 });
    const flushed: number[] = [];
    const errors: string[] = [];
    const offFlushed = w.on('writer.flushed', (e) => flushed.push(e.durable));
    const offError = w.onError((e) => errors.push(e.code));
    w.writeRealtime(bar(1));
    (await m.next()).reject(new Error('disk I/O error'));
    (await m.next()).resolve({ durationMs: 1, finishedAt: 1 });
    await w.flush();
    offFlushed();
    offError();
    w.writeRealtime(bar(2));
    (await m.next()).reject(new Error('disk I/O error'));
    (await m.next()).resolve({ durationMs: 1, finishedAt: 2 });
    await w.flush();
    expect(flushed).toEqual([1]);
    expect(errors).toEqual(['WRITE_FAILED']);
  });
});
