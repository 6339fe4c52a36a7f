/**
 * The session's writer feed: a closed bar → the resume match (a re-read duplicate is skipped, a changed one is a
 * correction) → the durability guard → the writer's one buffer. The bars written in one turn of the event loop
 * (one socket read's frames arrive in one turn) reach the guard and the writer machine as one batch, one machine
 * event: an event per bar cost half the writer's throughput (docs/benchmarks.md, issue #15). The event log
 * follows the writer's own flush clock: after every bar flush, the events whose bars that flush made durable are
 * flushed (bars first, then the log, so a logged reference always resolves); an event logged while every bar is
 * durable is flushed at once, after the bars of its turn are handed to the writer. Each event waits only for the
 * bars accepted up to the end of its turn: waiting for every bar accepted so far would, under a
 * steady flow (a bar arrives during every flush), never flush the log until the session stops, and then flush
 * all of it in one long synchronous append.
 */
import type { Clock } from '../clock.ts';
import type { Bar } from '../domain/bar.ts';
import { realtimeError, type RealtimeError } from '../errors.ts';
import type { DuckDBRealtimeWriter } from '../storage/duckdb-writer.ts';
import type { DurabilityGuard } from './durability.ts';
import type { SessionEventLog } from './event-log.ts';
import type { StoredBars } from './resume.ts';

/** What the feed writes through and reports to. */
export interface WriterFeedOptions {
  readonly writer: DuckDBRealtimeWriter;
  readonly log: SessionEventLog;
  readonly guard: DurabilityGuard;
  /** The last stored bar of each stream when the session opened (resume). */
  readonly stored: StoredBars;
  /** Before a log flush: logs what a bus source may checkpoint and returns the acknowledgement to run after the flush. */
  readonly checkpoint: () => (() => void) | undefined;
  readonly report: (error: RealtimeError) => void;
  /** Runs after each bar flush (the status line refreshes trading on this cadence). */
  readonly onFlushed?: () => void;
  /** A batch the writer refused for another reason than its cap (it is closed): the session fails. */
  readonly fail: (error: unknown) => void;
  /** Time of the retry pause below. */
  readonly clock: Clock;
  /** After a failed log flush, no new attempt for this long (the writer's flush interval): a failed commit on a full disk costs space. */
  readonly retryAfterFailureMs: number;
}

/** Feeds closed bars to the writer and flushes the event log behind them; see the module comment. */
export class WriterFeed {
  readonly #o: WriterFeedOptions;
  readonly #off: () => void;
  /** Events waiting for bars: the last sequence number logged while the writer had accepted `target` bars. */
  readonly #waiting: { seq: number; target: number }[] = [];
  /** Events up to this sequence number may be flushed (their bars are durable). */
  #through = 0;
  #flushing: Promise<void> | undefined;
  #again = false;
  /** Bars written in this turn, not yet handed to the guard. */
  #batch: Bar[] = [];
  /** The last event logged in this turn (0: none): it waits for the turn's bars, decided at the turn's end. */
  #turnSeq = 0;
  #scheduled = false;
  #closed = false;
  #pausedUntil = 0;

  constructor(options: WriterFeedOptions) {
    this.#o = options;
    this.#off = options.writer.on('writer.flushed', (e) => {
      options.onFlushed?.();
      let ready = 0;
      while (ready < this.#waiting.length && this.#waiting[ready]!.target <= e.durable) ready += 1;
      if (ready > 0) this.#through = Math.max(this.#through, this.#waiting.splice(0, ready).at(-1)!.seq);
      if (options.log.pendingCount > 0 && this.#through > options.log.durableSeq) this.#flushLog();
    });
  }

  /** Takes a closed bar as received: the bar to deliver (a correction flagged as such), or undefined for a duplicate. */
  accept(received: Bar): Bar | undefined {
    const { stored, guard } = this.#o;
    // A bar re-read after a restart: equal to the stored row it is skipped, different it is a correction.
    const match = stored.match(received);
    if (match === 'duplicate') { guard.duplicate(); return undefined; }
    const bar = match === 'correction' && !received.correction ? { ...received, correction: true } : received;
    if (bar.correction) guard.correction(bar);
    guard.observe(bar);
    return bar;
  }

  /** Writes an accepted bar: with the others of this turn, as one batch (at the writer's cap, a gap; see DurabilityGuard.write). */
  write(bar: Bar): void {
    this.#batch.push(bar);
    this.#schedule();
  }

  /** Notes an appended event: it is flushed after the bars accepted so far (this turn's included), at once when they are all durable. */
  logged(): void {
    this.#turnSeq = this.#o.log.lastSeq;
    this.#schedule();
  }

  /** Hands the bars written so far in this turn to the guard now (before a checkpoint counts what the writer accepted). */
  drain(): void {
    if (this.#batch.length === 0) return;
    const bars = this.#batch;
    this.#batch = [];
    this.#o.guard.write(bars);
  }

  /** Makes every bar accepted and every event logged so far durable: bars first, then the log. */
  async flushAll(): Promise<void> {
    this.drain();
    if (this.#o.guard.fatalError) throw this.#o.guard.fatalError;
    await this.#flushing;
    const ack = this.#o.checkpoint();
    await this.#o.writer.flush();
    await this.#o.log.flush();
    ack?.();
  }

  /** Stops flushing on the writer's events; waits for a log flush in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#off();
    await this.#flushing;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    // One hand-over and one log decision for everything written and logged in this turn of the event loop.
    this.#scheduled = true;
    queueMicrotask(() => this.#endTurn());
  }

  #endTurn(): void {
    this.#scheduled = false;
    try {
      this.drain();
    } catch (e) {
      this.#o.fail(e);
      return;
    }
    const seq = this.#turnSeq;
    if (seq === 0) return;
    this.#turnSeq = 0;
    const { accepted, durable } = this.#o.writer.buffer.snapshot.context;
    if (durable < accepted) {
      const last = this.#waiting.at(-1);
      if (last?.target === accepted) last.seq = seq;
      else this.#waiting.push({ seq, target: accepted });
      return;
    }
    // Every bar is durable: so are those of the events still waiting.
    this.#waiting.length = 0;
    this.#through = seq;
    if (!this.#closed) this.#flushLog();
  }

  #flushLog(): void {
    // While bar flushes fail the log waits too (the guard reports; a failed commit on a full disk can invalidate
    // the database): the first bar flush that succeeds again flushes it.
    if (this.#closed || this.#o.guard.fatalError || this.#o.guard.writeFailing) return;
    if (this.#o.clock.now() < this.#pausedUntil) return;
    if (this.#flushing) { this.#again = true; return; }
    this.#flushing = (async () => {
      do {
        this.#again = false;
        // A bus source acknowledges what this flush made durable (the session checks the bars are durable too);
        // a checkpoint logged just now is part of this flush, as the bars it covers are.
        const before = this.#o.log.lastSeq;
        const ack = this.#o.checkpoint();
        if (this.#o.log.lastSeq > before && this.#through >= before) this.#through = this.#o.log.lastSeq;
        await this.#o.log.flush(this.#through);
        ack?.();
      } while (this.#again && !this.#closed);
    })().catch((e: unknown) => {
      this.#pausedUntil = this.#o.clock.now() + this.#o.retryAfterFailureMs;
      this.#o.report(realtimeError('WRITE_FAILED', `event log flush failed: ${(e as Error).message}`));
    }).finally(() => { this.#flushing = undefined; });
  }
}
