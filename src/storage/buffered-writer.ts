/**
 * Runs the writer machine over a storage backend: turns the seed's calls into `writer.*` events, reads each write's
 * outcome synchronously from the snapshot, and settles `flush()` / `close()` promises from the emitted facts, by
 * sequence number (row n is durable once `durable >= n`), so a promise never resolves before its rows are stored.
 */
import { createActor, fromPromise, type Actor, type ActorOptions, type SnapshotFrom } from 'xstate';
import type { Bar } from '../domain/bar.ts';
import { realtimeError, type RealtimeError } from '../errors.ts';
import {
  writeProblem, writerMachine, type FlushInput, type FlushOutput, type WriterEmitted, type WriterContext, type WriterMachine, type WriterSettings,
} from '../../machines/writer.machine.ts';
import type { RealtimeWriterStats, Unlisten } from './realtime-writer.ts';

/** What the machine needs from storage. */
export interface WriterBackend {
  /** Makes one batch durable (at most `bufferSize` rows, oldest first); rejects to have it retried. */
  flushBatch(input: FlushInput): Promise<FlushOutput>;
  /** Final step of close: checkpoint and release storage. */
  closeStore(): Promise<void>;
}

/** Options passed through to the actor: a `SimulatedClock` for tests, an inspector, a system id. */
export type BufferedWriterActorOptions = Pick<ActorOptions<WriterMachine>, 'clock' | 'inspect' | 'systemId'>;

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (e: RealtimeError) => void;
}

/** The buffering half of a realtime writer, over any {@link WriterBackend}. */
export class BufferedWriter {
  readonly actor: Actor<WriterMachine>;
  readonly #flushWaiters = new Set<Waiter>();
  readonly #writableWaiters = new Set<() => void>();
  readonly #errorListeners = new Set<(e: RealtimeError) => void>();
  #closing: Promise<void> | undefined;
  #inbox: Bar[] = [];
  #room = 0;
  #inboxLimit = 1;
  #drainScheduled = false;
  #closeWaiter: Waiter | undefined;

  constructor(backend: WriterBackend, settings: Partial<WriterSettings>, options: BufferedWriterActorOptions = {}) {
    const machine = writerMachine.provide({
      actors: {
        flushBatch: fromPromise<FlushOutput, FlushInput>(({ input }) => backend.flushBatch(input)),
        closeStore: fromPromise<void, void>(() => backend.closeStore()),
      },
    });
    this.actor = createActor(machine, { ...options, input: settings });
    this.actor.on('writer.flushed', (e) => this.#settleFlushes(e.durable));
    this.actor.on('writer.flush.failed', (e) => this.#failFlushes(e.error));
    this.actor.on('writer.rejected', (e) => this.#report(e.error));
    this.actor.on('writer.overflowed', (e) => this.#report(e.error));
    this.actor.on('writer.drained', () => this.#wakeWritable());
    this.actor.on('writer.close.failed', (e) => {
      this.#report(e.error);
      this.#closeWaiter?.reject(e.error);
      this.#closeWaiter = undefined;
      this.#closing = undefined;
      this.#room = 0; // the next write takes the slow path and recomputes the room
    });
    this.actor.on('writer.closed', (e) => {
      if (e.error) this.#report(e.error);
      this.#closeWaiter?.resolve();
      this.#closeWaiter = undefined;
      this.#room = 0;
      this.#wakeWritable();
    });
    this.actor.subscribe({ error: (e) => this.#report(realtimeError('INTERNAL_ERROR', `writer actor failed: ${String(e)}`)) });
    this.actor.start();
    this.#afterSend();
  }

  /** The machine snapshot (state value, context). */
  get snapshot(): SnapshotFrom<WriterMachine> {
    this.#drain();
    return this.actor.getSnapshot();
  }

  /** See `RealtimeWriter.writeRealtime`: the hot path, one array push when the bar is valid and fits. */
  writeRealtime(bar: Bar): void {
    if (this.#room > 0 && writeProblem(bar) === undefined) {
      this.#inbox.push(bar);
      this.#room--;
      if (this.#inbox.length >= this.#inboxLimit) this.#drain();
      else if (!this.#drainScheduled) {
        this.#drainScheduled = true;
        queueMicrotask(this.#drainSoon);
      }
      return;
    }
    this.writeBatch([bar]);
  }

  /** See `RealtimeWriter.writeBatch`. */
  writeBatch(bars: readonly Bar[]): void {
    this.#drain();
    const before = this.actor.getSnapshot();
    if (before.status !== 'active') throw realtimeError('CLOSED', 'the writer is closed');
    if (bars.length > before.context.maxBufferedRows) {
      // It could never fit, and waiting for room would wait forever: the caller must split it.
      throw realtimeError('BATCH_TOO_LARGE', `a batch of ${bars.length} bars exceeds max_buffered_rows (${before.context.maxBufferedRows}): split it`,
        { bars: bars.length, maxBufferedRows: before.context.maxBufferedRows });
    }
    this.actor.send({ type: 'writer.write', bars });
    const { lastWrite, counters, maxBufferedRows } = this.#afterSend();
    if (lastWrite.refused === 'overflow') {
      throw realtimeError('BUFFER_OVERFLOW', `write of ${bars.length} bar(s) refused: buffer at its cap of ${maxBufferedRows} rows`,
        { bars: bars.length, maxBufferedRows, overflowCount: counters.overflowCount });
    }
    if (lastWrite.refused) throw realtimeError('CLOSED', `the writer is ${lastWrite.refused}`);
    if (lastWrite.invalid.length > 0) {
      throw realtimeError('INVALID_MESSAGE', `${lastWrite.invalid.length} of ${bars.length} bar(s) rejected: ${lastWrite.invalid[0]!.problem}`,
        { invalid: lastWrite.invalid, accepted: lastWrite.accepted });
    }
  }

  /**
   * Sends the bars `writeRealtime` collected as one `writer.write` (one machine event per batch instead of per bar:
   * an XState event costs microseconds). It runs before any other call, when the inbox could fill the buffer, and at
   * the end of the current tick, so every trigger and every promise sees the machine with all accepted bars.
   */
  #drain(): void {
    if (this.#inbox.length > 0) {
      const bars = this.#inbox;
      this.#inbox = [];
      this.actor.send({ type: 'writer.write', bars });
      // The inbox only ever holds valid bars that fit under the cap, so the machine accepts them all.
    }
    this.#afterSend();
  }

  readonly #drainSoon = (): void => {
    this.#drainScheduled = false;
    this.#drain();
  };

  /** Recomputes how many bars the inbox may take before the cap or a full buffer needs the machine. */
  #afterSend(): WriterContext {
    const snapshot = this.actor.getSnapshot();
    const c = snapshot.context;
    const buffered = c.accepted - c.durable;
    this.#room = snapshot.status === 'active' && !snapshot.matches('closing') ? Math.max(0, c.maxBufferedRows - buffered) : 0;
    // Bars until the buffer is full (a flush starts); once it is full behind a running flush, batch by bufferSize.
    const waiting = buffered - c.inFlight;
    this.#inboxLimit = waiting >= c.bufferSize ? c.bufferSize : c.bufferSize - waiting;
    return c;
  }

  /** See `RealtimeWriter.flush`. */
  flush(): Promise<void> {
    this.#drain();
    const { context, status } = this.actor.getSnapshot();
    if (context.durable >= context.accepted) return Promise.resolve();
    if (status !== 'active') return Promise.reject(realtimeError('CLOSED', 'the writer is closed'));
    const done = new Promise<void>((resolve, reject) => this.#flushWaiters.add({ target: context.accepted, resolve, reject }));
    this.actor.send({ type: 'writer.flush' });
    return done;
  }

  /** See `RealtimeWriter.close`. */
  close(): Promise<void> {
    this.#drain();
    if (this.actor.getSnapshot().status === 'done') return Promise.resolve();
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#closeWaiter = { target: Infinity, resolve, reject };
      this.actor.send({ type: 'writer.close' });
      this.#afterSend();
    });
    return this.#closing;
  }

  /** See `RealtimeWriter.whenWritable`. */
  whenWritable(): Promise<void> {
    this.#drain();
    const { context, status } = this.actor.getSnapshot();
    if (!context.overflowed || status !== 'active') return Promise.resolve();
    return new Promise((resolve) => this.#writableWaiters.add(resolve));
  }

  /** See `RealtimeWriter.getStats`. */
  getStats(): RealtimeWriterStats {
    this.#drain();
    const { accepted, durable, counters: c } = this.actor.getSnapshot().context;
    return {
      totalWrites: accepted, bufferedWrites: accepted - durable, flushCount: c.flushCount, lastFlushTime: c.lastFlushTime,
      averageFlushTime: c.flushCount === 0 ? 0 : c.totalFlushMs / c.flushCount, errorCount: c.errorCount,
      rejectedInvalid: c.rejectedInvalid, overflowCount: c.overflowCount,
    };
  }

  /** See `RealtimeWriter.setFlushInterval`. */
  setFlushInterval(intervalMs: number): void {
    if (!Number.isInteger(intervalMs) || intervalMs < 0) {
      throw realtimeError('CONFIG_INVALID', `flush interval must be a non-negative integer (ms), got ${intervalMs}`, { fields: ['flush_interval_ms'] });
    }
    this.#drain();
    this.actor.send({ type: 'writer.configure', flushIntervalMs: intervalMs });
    this.#afterSend();
  }

  /** See `RealtimeWriter.setBufferSize`. */
  setBufferSize(size: number): void {
    const cap = this.actor.getSnapshot().context.maxBufferedRows;
    if (!Number.isInteger(size) || size < 1 || size > cap) {
      throw realtimeError('CONFIG_INVALID', `buffer size must be an integer in [1, ${cap}], got ${size}`, { fields: ['buffer_size'] });
    }
    this.#drain();
    this.actor.send({ type: 'writer.configure', bufferSize: size });
    this.#afterSend();
  }

  /** Listens to one kind of emitted fact (`writer.flushed`, `writer.flush.failed`, ...). */
  on<T extends WriterEmitted['type']>(type: T, listener: (event: Extract<WriterEmitted, { type: T }>) => void): Unlisten {
    const sub = this.actor.on(type, listener as (e: WriterEmitted) => void);
    return () => sub.unsubscribe();
  }

  /** See `RealtimeWriter.onError`. */
  onError(listener: (error: RealtimeError) => void): Unlisten {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  #report(error: RealtimeError): void {
    for (const listener of this.#errorListeners) listener(error);
  }

  #settleFlushes(durable: number): void {
    for (const w of this.#flushWaiters) {
      if (w.target <= durable) {
        this.#flushWaiters.delete(w);
        w.resolve();
      }
    }
  }

  #failFlushes(error: RealtimeError): void {
    this.#report(error);
    for (const w of this.#flushWaiters) w.reject(error);
    this.#flushWaiters.clear();
  }

  #wakeWritable(): void {
    for (const wake of this.#writableWaiters) wake();
    this.#writableWaiters.clear();
  }
}
