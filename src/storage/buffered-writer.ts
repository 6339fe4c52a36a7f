/**
 * Runs the writer machine over a storage backend: turns the seed's calls into `writer.*` events, reads each write's
 * outcome synchronously from the snapshot, and settles `flush()` / `close()` promises from the emitted facts, by
 * sequence number (row n is durable once `durable >= n`), so a promise never resolves before its rows are stored.
 */
import { createActor, fromPromise, type Actor, type ActorOptions, type SnapshotFrom } from 'xstate';
import type { Bar } from '../domain/bar.ts';
import { realtimeError, type RealtimeError } from '../errors.ts';
import {
  writerMachine, type FlushInput, type FlushOutput, type WriterEmitted, type WriterMachine, type WriterSettings,
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
    });
    this.actor.on('writer.closed', (e) => {
      if (e.error) this.#report(e.error);
      this.#closeWaiter?.resolve();
      this.#closeWaiter = undefined;
      this.#wakeWritable();
    });
    this.actor.subscribe({ error: (e) => this.#report(realtimeError('INTERNAL_ERROR', `writer actor failed: ${String(e)}`)) });
    this.actor.start();
  }

  /** The machine snapshot (state value, context). */
  get snapshot(): SnapshotFrom<WriterMachine> {
    return this.actor.getSnapshot();
  }

  /** See `RealtimeWriter.writeRealtime`: the bar is validated (a library user's bar), then queued by the machine. */
  writeRealtime(bar: Bar): void {
    this.#write([bar], false);
  }

  /** See `RealtimeWriter.writeBatch`. */
  writeBatch(bars: readonly Bar[]): void {
    this.#write(bars, false);
  }

  /**
   * Queues bars that were validated where they were decoded (`barProblem` in a provider's parser or the bus
   * decoder): the session's path, which never checks a bar twice. Throws BUFFER_OVERFLOW at the cap.
   */
  append(bars: readonly Bar[]): void {
    this.#write(bars, true);
  }

  #write(bars: readonly Bar[], trusted: boolean): void {
    const before = this.actor.getSnapshot();
    if (before.status !== 'active') throw realtimeError('CLOSED', 'the writer is closed');
    if (bars.length > before.context.maxBufferedRows) {
      // It could never fit, and waiting for room would wait forever: the caller must split it.
      throw realtimeError('BATCH_TOO_LARGE', `a batch of ${bars.length} bars exceeds max_buffered_rows (${before.context.maxBufferedRows}): split it`,
        { bars: bars.length, maxBufferedRows: before.context.maxBufferedRows });
    }
    this.actor.send(trusted ? { type: 'writer.write', bars, trusted } : { type: 'writer.write', bars });
    const { lastWrite, counters, maxBufferedRows } = this.actor.getSnapshot().context;
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

  /** See `RealtimeWriter.flush`. */
  flush(): Promise<void> {
    const { context, status } = this.actor.getSnapshot();
    if (context.durable >= context.accepted) return Promise.resolve();
    if (status !== 'active') return Promise.reject(realtimeError('CLOSED', 'the writer is closed'));
    const done = new Promise<void>((resolve, reject) => this.#flushWaiters.add({ target: context.accepted, resolve, reject }));
    this.actor.send({ type: 'writer.flush' });
    return done;
  }

  /** See `RealtimeWriter.close`. */
  close(): Promise<void> {
    if (this.actor.getSnapshot().status === 'done') return Promise.resolve();
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#closeWaiter = { target: Infinity, resolve, reject };
      this.actor.send({ type: 'writer.close' });
    });
    return this.#closing;
  }

  /** See `RealtimeWriter.whenWritable`. */
  whenWritable(): Promise<void> {
    const { context, status } = this.actor.getSnapshot();
    if (!context.overflowed || status !== 'active') return Promise.resolve();
    return new Promise((resolve) => this.#writableWaiters.add(resolve));
  }

  /** See `RealtimeWriter.getStats`. */
  getStats(): RealtimeWriterStats {
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
    this.actor.send({ type: 'writer.configure', flushIntervalMs: intervalMs });
  }

  /** See `RealtimeWriter.setBufferSize`. */
  setBufferSize(size: number): void {
    const cap = this.actor.getSnapshot().context.maxBufferedRows;
    if (!Number.isInteger(size) || size < 1 || size > cap) {
      throw realtimeError('CONFIG_INVALID', `buffer size must be an integer in [1, ${cap}], got ${size}`, { fields: ['buffer_size'] });
    }
    this.actor.send({ type: 'writer.configure', bufferSize: size });
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
