/**
 * The realtime writer as a pure XState machine: a buffer of accepted bars, the four flush triggers of the seed
 * (buffer full, timer, manual flush, close) as explicit transitions, retry with bounded exponential backoff, and
 * a hard cap that refuses writes (back-pressure) instead of dropping them. The flush itself is the `flushBatch`
 * actor and the final checkpoint the `closeStore` actor, both provided by the storage layer with `provide()`.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Bar } from '../src/domain/bar.ts';
import { describe, isRealtimeError, realtimeError, type RealtimeError } from '../src/errors.ts';
import { emptyQueue, queueAppend, queueDrop, queueLength, queueTake, type BarQueue } from './lib/bar-queue.ts';
import { splitInvalid, type InvalidBar } from './lib/write-validation.ts';

export { queueTake, type BarQueue } from './lib/bar-queue.ts';

/** Tunables the machine starts with (the storage config decodes them from snake_case YAML). */
export interface WriterSettings {
  readonly bufferSize: number;
  /** 0 disables the timer. */
  readonly flushIntervalMs: number;
  readonly maxBufferedRows: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Failed attempts `close` tolerates before it gives up (the writer then stays open with its rows). */
  readonly closeRetries: number;
  /**
   * Under a backlog (at least two full batches waiting), one flush may carry several full batches of `bufferSize`
   * rows, as many as fit in this many rows, for the storage to make durable in one transaction (fewer, larger
   * commits when the writer falls behind). 0 (the default), or less than two batches' worth: one batch per flush.
   * No batch ever exceeds `bufferSize`.
   */
  readonly maxFlushRows: number;
  /**
   * The first write of a writer that has never flushed (nor tried) is flushed at once (reason `first`) instead of
   * waiting for a trigger: a fresh recorder's first bar is durable in milliseconds, not a whole interval later.
   * Later writes buffer behind that flush as usual. Off by default (the seed's four triggers only).
   */
  readonly flushFirstAtOnce: boolean;
}

/** What triggered a flush. */
export type FlushReason = 'size' | 'timer' | 'manual' | 'close' | 'retry' | 'first';

/**
 * Input of the `flushBatch` actor: the oldest rows, as consecutive batches of at most `bufferSize` rows each. Usually
 * one batch; under a backlog several full ones (up to `maxFlushRows` rows), which the storage makes durable together.
 */
export interface FlushInput {
  /** Every row of the flush, oldest first (the batches, concatenated). */
  readonly rows: readonly Bar[];
  /** The same rows split into the machine's batches, each at most `bufferSize` rows. */
  readonly batches: readonly (readonly Bar[])[];
  readonly reason: FlushReason;
  /** 0 for a first attempt, n for the n-th retry of the same front rows. */
  readonly attempt: number;
}

/** Output of the `flushBatch` actor: timings measured by the implementation (the machine has no clock). */
export interface FlushOutput {
  readonly durationMs: number;
  /** Unix ms when the batch became durable. */
  readonly finishedAt: number;
}

/** Result of the last `writer.write`, read synchronously by the caller after `send`. */
export interface WriteOutcome {
  readonly accepted: number;
  readonly invalid: readonly InvalidBar[];
  readonly refused: 'overflow' | 'closing' | 'closed' | undefined;
}

/** Counters; `bufferedWrites` and `totalWrites` derive from `accepted` and `durable`. */
export interface WriterCounters {
  readonly flushCount: number;
  readonly lastFlushTime: number;
  readonly totalFlushMs: number;
  readonly errorCount: number;
  readonly rejectedInvalid: number;
  readonly overflowCount: number;
}

/** Machine context. */
export interface WriterContext extends WriterSettings {
  /** Accepted rows not yet durable, oldest first; the first `inFlight` are in the running flush. */
  readonly queue: BarQueue;
  readonly inFlight: number;
  readonly reason: FlushReason;
  /** Rows of the last flush attempt, for the emitted facts. */
  readonly lastBatchRows: number;
  /** Rows accepted so far: row `n` (1-based) is durable once `durable >= n`. */
  readonly accepted: number;
  readonly durable: number;
  /** A manual flush or close asks for every row up to this sequence number to become durable. */
  readonly flushTarget: number;
  readonly closeRequested: boolean;
  /** Consecutive failed attempts (reset by a success); `closeFailures` counts those since close began. */
  readonly attempt: number;
  readonly closeFailures: number;
  readonly overflowed: boolean;
  readonly counters: WriterCounters;
  readonly lastWrite: WriteOutcome;
  readonly lastError: RealtimeError | undefined;
}

/** Commands the writer accepts. */
export type WriterEvent =
  /** `trusted`: the bars were validated where they were decoded (a provider, the bus), so they are not checked again. */
  | { readonly type: 'writer.write'; readonly bars: readonly Bar[]; readonly trusted?: boolean }
  | { readonly type: 'writer.flush' }
  | { readonly type: 'writer.close' }
  | { readonly type: 'writer.configure'; readonly bufferSize?: number; readonly flushIntervalMs?: number };

/** Facts the writer emits (listen with `actor.on(type, ...)`). */
export type WriterEmitted =
  | { readonly type: 'writer.flushed'; readonly rows: number; readonly durable: number; readonly durationMs: number; readonly reason: FlushReason }
  | { readonly type: 'writer.flush.failed'; readonly error: RealtimeError; readonly rows: number; readonly attempt: number }
  | { readonly type: 'writer.rejected'; readonly error: RealtimeError }
  | { readonly type: 'writer.overflowed'; readonly error: RealtimeError }
  | { readonly type: 'writer.drained'; readonly buffered: number }
  | { readonly type: 'writer.closed'; readonly error: RealtimeError | undefined }
  | { readonly type: 'writer.close.failed'; readonly error: RealtimeError; readonly unflushed: number };

/** Defaults of the seed (`buffer_size` 100, `flush_interval_ms` 1000) plus the cap and retry policy. */
export const DEFAULT_WRITER_SETTINGS: WriterSettings = {
  bufferSize: 100, flushIntervalMs: 1000, maxBufferedRows: 100_000, retryBaseMs: 100, retryMaxMs: 5_000, closeRetries: 3,
  maxFlushRows: 0, flushFirstAtOnce: false,
};

/** Backoff before retry `attempt` (1-based): `min(retryMaxMs, retryBaseMs · 2^(attempt−1))`. */
export const retryDelay = (c: Pick<WriterSettings, 'retryBaseMs' | 'retryMaxMs'>, attempt: number): number =>
  Math.min(c.retryMaxMs, c.retryBaseMs * 2 ** Math.max(0, attempt - 1));

const pending = (c: WriterContext): number => queueLength(c.queue);

/**
 * Rows the next flush takes: one batch (at most `bufferSize` rows), or, when at least two full batches wait and
 * `maxFlushRows` holds at least two, as many full batches as wait and fit in `maxFlushRows`.
 */
export const flushRows = (c: Pick<WriterContext, 'queue' | 'bufferSize' | 'maxFlushRows'>): number => {
  const waiting = queueLength(c.queue);
  const full = Math.min(Math.floor(waiting / c.bufferSize), Math.floor(c.maxFlushRows / c.bufferSize));
  return full >= 2 ? full * c.bufferSize : Math.min(c.bufferSize, waiting);
};

/** Splits a flush's rows into consecutive batches of at most `size` rows. */
export const splitBatches = (rows: readonly Bar[], size: number): (readonly Bar[])[] => {
  if (rows.length <= size) return [rows];
  const batches: Bar[][] = [];
  for (let i = 0; i < rows.length; i += size) batches.push(rows.slice(i, i + size));
  return batches;
};
const toWriteFailed = (e: unknown, rows: number): RealtimeError =>
  isRealtimeError(e) && e.code === 'WRITE_FAILED' ? e
    : realtimeError('WRITE_FAILED', `flush of ${rows} rows failed (kept for retry): ${describe(e)}`, { rows });
const noWrite: WriteOutcome = { accepted: 0, invalid: [], refused: undefined };

const acceptedOne: WriteOutcome = { accepted: 1, invalid: [], refused: undefined };

/** Applies a `writer.write` to the context: validates (unless trusted), enforces the cap, appends. Pure. */
export const applyWrite = (c: WriterContext, bars: readonly Bar[], refuse?: 'closing', trusted = false): WriterContext => {
  if (refuse) return { ...c, lastWrite: { accepted: 0, invalid: [], refused: refuse } };
  const { valid, invalid } = trusted ? { valid: bars, invalid: undefined } : splitInvalid(bars);
  // The cap is checked before anything is counted, so a refused call can be retried unchanged.
  if (pending(c) + valid.length > c.maxBufferedRows) {
    return { ...c, overflowed: true, counters: { ...c.counters, overflowCount: c.counters.overflowCount + 1 },
      lastWrite: { accepted: 0, invalid: [], refused: 'overflow' } };
  }
  return {
    ...c,
    queue: valid.length > 0 ? queueAppend(c.queue, valid) : c.queue,
    accepted: c.accepted + valid.length,
    counters: invalid ? { ...c.counters, rejectedInvalid: c.counters.rejectedInvalid + invalid.length } : c.counters,
    lastWrite: !invalid && valid.length === 1 ? acceptedOne : { accepted: valid.length, invalid: invalid ?? [], refused: undefined },
  };
};

/** Builds the initial context from settings. */
export const initialWriterContext = (s: Partial<WriterSettings> = {}): WriterContext => ({
  ...DEFAULT_WRITER_SETTINGS, ...s,
  queue: emptyQueue(), inFlight: 0, reason: 'size', lastBatchRows: 0, accepted: 0, durable: 0, flushTarget: 0,
  closeRequested: false, attempt: 0, closeFailures: 0, overflowed: false, lastWrite: noWrite, lastError: undefined,
  counters: { flushCount: 0, lastFlushTime: 0, totalFlushMs: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 },
});

const notProvided = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is not provided: use writerMachine.provide({ actors: { ${name} } })`);
};
const flushInput = ({ context }: { context: WriterContext }): FlushInput => {
  const rows = queueTake(context.queue, context.inFlight);
  return { rows, batches: splitBatches(rows, context.bufferSize), reason: context.reason, attempt: context.attempt };
};
const because = (reason: FlushReason) => ({ type: 'because', params: { reason } }) as const;

/** The writer machine; provide `flushBatch` and `closeStore` before running it. */
export const writerMachine = setup({
  types: {
    context: {} as WriterContext,
    events: {} as WriterEvent,
    emitted: {} as WriterEmitted,
    input: {} as Partial<WriterSettings> | undefined,
  },
  actors: {
    flushBatch: fromPromise<FlushOutput, FlushInput>(notProvided('flushBatch')),
    closeStore: fromPromise<void, void>(notProvided('closeStore')),
  },
  delays: {
    flushInterval: ({ context }) => context.flushIntervalMs,
    retryBackoff: ({ context }) => retryDelay(context, context.attempt),
  },
  guards: {
    timerEnabled: ({ context }) => context.flushIntervalMs > 0,
    // Asked for, and nothing was ever flushed nor tried: the first row becomes durable at once instead of a whole interval later.
    neverFlushed: ({ context }) => context.flushFirstAtOnce && context.counters.flushCount === 0 && context.counters.errorCount === 0,
    hasPending: ({ context }) => pending(context) > 0,
    isFull: ({ context }) => pending(context) - context.inFlight >= context.bufferSize,
    closeWanted: ({ context }) => context.closeRequested,
    flushWanted: ({ context }) => context.durable < context.flushTarget,
    // Checked before the failure is counted: this failure is the one past the tolerated number.
    lastCloseAttempt: ({ context }) => context.closeFailures >= context.closeRetries,
  },
  actions: {
    write: enqueueActions(({ context, event, enqueue }, params: { refuse?: 'closing' }) => {
      if (event.type !== 'writer.write') return;
      const next = applyWrite(context, event.bars, params.refuse, event.trusted === true);
      enqueue.assign(next);
      const w = next.lastWrite;
      if (w.invalid.length > 0) {
        enqueue.emit({ type: 'writer.rejected', error: realtimeError('INVALID_MESSAGE',
          `${w.invalid.length} invalid bar(s) rejected: ${w.invalid[0]!.problem}`, { invalid: w.invalid }) });
      }
      if (w.refused === 'overflow' && !context.overflowed) {
        enqueue.emit({ type: 'writer.overflowed', error: realtimeError('BUFFER_OVERFLOW',
          `buffer holds ${pending(next)} rows (cap ${next.maxBufferedRows}): writes are refused until a flush drains it`,
          { buffered: pending(next), maxBufferedRows: next.maxBufferedRows }) });
      }
    }),
    configure: assign(({ context, event }) => event.type !== 'writer.configure' ? {} : {
      bufferSize: event.bufferSize ?? context.bufferSize,
      flushIntervalMs: event.flushIntervalMs ?? context.flushIntervalMs,
    }),
    requestFlush: assign(({ context }) => ({ flushTarget: context.accepted })),
    requestClose: assign(({ context }) => ({ closeRequested: true, flushTarget: context.accepted })),
    startClose: assign(({ context }) => ({ closeRequested: true, flushTarget: context.accepted, closeFailures: 0 })),
    startBatch: assign(({ context }) => ({ inFlight: flushRows(context) })),
    because: assign((_, params: { reason: FlushReason }) => ({ reason: params.reason })),
    succeed: enqueueActions(({ context, enqueue }, out: FlushOutput) => {
      const rows = context.inFlight;
      const durable = context.durable + rows;
      enqueue.assign({
        queue: queueDrop(context.queue, rows), durable, inFlight: 0, lastBatchRows: rows, attempt: 0, overflowed: false,
        counters: { ...context.counters, flushCount: context.counters.flushCount + 1, lastFlushTime: out.finishedAt,
          totalFlushMs: context.counters.totalFlushMs + out.durationMs },
      });
      enqueue.emit({ type: 'writer.flushed', rows, durable, durationMs: out.durationMs, reason: context.reason });
      if (context.overflowed) enqueue.emit({ type: 'writer.drained', buffered: pending(context) - rows });
    }),
    fail: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      const rows = context.inFlight;
      const error = toWriteFailed(params.error, rows);
      const attempt = context.attempt + 1;
      enqueue.assign({
        lastError: error, lastBatchRows: rows, inFlight: 0, attempt,
        closeFailures: context.closeRequested ? context.closeFailures + 1 : context.closeFailures,
        counters: { ...context.counters, errorCount: context.counters.errorCount + 1 },
      });
      enqueue.emit({ type: 'writer.flush.failed', error, rows, attempt });
    }),
    giveUpClose: enqueueActions(({ context, enqueue }) => {
      const unflushed = pending(context);
      enqueue.emit({ type: 'writer.close.failed', unflushed, error: realtimeError('WRITE_FAILED',
        `close gave up after ${context.closeFailures} failed flushes; ${unflushed} rows are still buffered and retried`,
        { unflushed, cause: context.lastError?.message }) });
      enqueue.assign({ closeRequested: false, flushTarget: context.durable });
    }),
    closed: enqueueActions(({ enqueue }, params: { error: unknown }) => {
      enqueue.emit({ type: 'writer.closed', error: params.error === undefined ? undefined
        : realtimeError('CHECKPOINT_FAILED', `final checkpoint failed (flushed rows are in the WAL): ${describe(params.error)}`) });
    }),
  },
}).createMachine({
  id: 'writer',
  context: ({ input }) => initialWriterContext(input),
  initial: 'idle',
  on: { 'writer.configure': { actions: 'configure' } },
  states: {
    idle: {
      on: {
        'writer.write': [
          { guard: 'neverFlushed', target: 'first', actions: { type: 'write', params: {} } },
          { target: 'deciding', actions: { type: 'write', params: {} } },
        ],
        'writer.close': { target: 'closing', actions: 'startClose' },
      },
    },
    buffering: {
      // Writes stay inside this state so they never reset the timer; `always` notices a full buffer.
      always: { guard: 'isFull', target: 'flushing', actions: because('size') },
      initial: 'arming',
      states: {
        arming: { always: [{ guard: 'timerEnabled', target: 'timed' }, { target: 'untimed' }] },
        timed: { after: { flushInterval: { target: '#writer.flushing', actions: because('timer') } } },
        untimed: {},
      },
      on: {
        'writer.write': { actions: { type: 'write', params: {} } },
        'writer.flush': { target: 'flushing', actions: ['requestFlush', because('manual')] },
        'writer.close': { target: 'closing', actions: 'startClose' },
        // Leaving and re-entering re-arms the timer with the new interval and re-checks a smaller buffer size.
        'writer.configure': { target: 'deciding', actions: 'configure' },
      },
    },
    // The first write of a fresh writer: flush what it accepted now (later writes buffer behind that flush).
    first: {
      always: [{ guard: 'hasPending', target: 'flushing', actions: because('first') }, { target: 'idle' }],
    },
    deciding: {
      always: [
        { guard: 'isFull', target: 'flushing', actions: because('size') },
        { guard: 'flushWanted', target: 'flushing', actions: because('manual') },
        { guard: 'hasPending', target: 'buffering' },
        { target: 'idle' },
      ],
    },
    flushing: {
      entry: 'startBatch',
      invoke: {
        id: 'flushBatch',
        src: 'flushBatch',
        input: flushInput,
        onDone: { target: 'settled', actions: { type: 'succeed', params: ({ event }) => event.output } },
        onError: { target: 'retrying', actions: { type: 'fail', params: ({ event }) => ({ error: event.error }) } },
      },
      on: {
        // Bars written now go into the next batch; the running flush is never interrupted.
        'writer.write': { actions: { type: 'write', params: {} } },
        'writer.flush': { actions: 'requestFlush' },
        'writer.close': { actions: 'requestClose' },
      },
    },
    settled: {
      always: [{ guard: 'closeWanted', target: 'closing' }, { target: 'deciding' }],
    },
    retrying: {
      after: { retryBackoff: { target: 'flushing', actions: because('retry') } },
      on: {
        'writer.write': { actions: { type: 'write', params: {} } },
        'writer.flush': { target: 'flushing', actions: ['requestFlush', because('manual')] },
        'writer.close': { target: 'closing', actions: 'startClose' },
      },
    },
    closing: {
      initial: 'draining',
      on: { 'writer.write': { actions: { type: 'write', params: { refuse: 'closing' } } } },
      states: {
        draining: {
          always: [{ guard: 'hasPending', target: 'flushing', actions: because('close') }, { target: 'finalizing' }],
        },
        flushing: {
          entry: 'startBatch',
          invoke: {
            id: 'flushBatch',
            src: 'flushBatch',
            input: flushInput,
            onDone: { target: 'draining', actions: { type: 'succeed', params: ({ event }) => event.output } },
            onError: [
              { guard: 'lastCloseAttempt', target: '#writer.retrying',
                actions: [{ type: 'fail', params: ({ event }) => ({ error: event.error }) }, 'giveUpClose'] },
              { target: 'retrying', actions: { type: 'fail', params: ({ event }) => ({ error: event.error }) } },
            ],
          },
        },
        retrying: { after: { retryBackoff: { target: 'flushing', actions: because('close') } } },
        finalizing: {
          invoke: {
            id: 'closeStore',
            src: 'closeStore',
            onDone: { target: '#writer.closed', actions: { type: 'closed', params: { error: undefined } } },
            onError: { target: '#writer.closed', actions: { type: 'closed', params: ({ event }) => ({ error: event.error }) } },
          },
        },
      },
    },
    closed: { type: 'final' },
  },
});

/** The writer machine's type, for `provide()` and actor refs. */
export type WriterMachine = typeof writerMachine;
