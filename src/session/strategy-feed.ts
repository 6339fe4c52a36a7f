/**
 * Feeds closed bars to the strategy runner in batches without ever blocking ingestion: bars wait in a bounded
 * queue; when it is full the OLDEST queued bar is dropped (a trading strategy is better served by the newest
 * data than by a backlog) and counted. Every bar pushed in one event-loop turn (one socket read), plus those
 * queued while the strategy was busy, goes to the strategy as one batch: one message to its worker instead of
 * one per bar and a round trip between them, so a burst does not queue behind per-bar hand-offs (issue #15).
 * The accounting stays per bar. Persistence never waits for the strategy: the writer gets every bar first.
 */
import type { Bar } from '../domain/bar.ts';
import type { StrategyRunner } from '../strategy/runtime.ts';

/** Told when a bar goes into the strategy's hands and when the strategy is done with it (or it was dropped). */
export interface FeedTurns {
  handed(): void;
  done(): void;
}

/**
 * Most bars in one batch. A batch is one structured clone on the host's main thread and one `bars` message, and a
 * stop waits for the batch in hand: bounded so neither grows with the queue (10,000 bars by default).
 */
export const MAX_BATCH_BARS = 256;

/** Bounded, drop-oldest queue in front of a strategy runner, emptied one batch at a time. */
export class StrategyFeed {
  private readonly queue: Bar[] = [];
  private readonly capacity: number;
  private readonly runner: Pick<StrategyRunner, 'processBars'>;
  private readonly onSkip: (bar: Bar, skipped: number) => void;
  private pumping: Promise<void> | undefined;
  private stopped = false;
  /** Bars of the batch in hand not finished yet. */
  private inHand = 0;
  /** `skipped` when the batch in hand was taken: the bars dropped before it, all older than it. */
  private skippedBefore = 0;
  /** Bars dropped because the queue was full. */
  skipped = 0;
  /** Bars the strategy finished (ok or failed). */
  delivered = 0;

  private readonly turns: FeedTurns | undefined;
  private readonly maxBatch: number;

  constructor(runner: Pick<StrategyRunner, 'processBars'>, capacity: number, onSkip: (bar: Bar, skipped: number) => void, turns?: FeedTurns, maxBatch = MAX_BATCH_BARS) {
    this.maxBatch = Math.max(1, maxBatch);
    this.runner = runner;
    this.capacity = capacity;
    this.onSkip = onSkip;
    this.turns = turns;
  }

  /** Bars waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Bars taken care of in arrival order, a prefix: finished by the strategy or dropped, with none before them
   * still in its hands. A bar dropped while a batch is in hand is newer than that batch, so it counts only once
   * the batch is done (a bus checkpoint of this many bars never covers a bar the strategy has not finished).
   */
  get settled(): number {
    return this.delivered + (this.inHand > 0 ? this.skippedBefore : this.skipped);
  }

  /** Queues a bar for the strategy; it goes with the other bars of this event-loop turn. */
  push(bar: Bar): void {
    if (this.stopped) return;
    if (this.queue.length >= this.capacity) {
      const dropped = this.queue.shift()!;
      this.skipped++;
      this.onSkip(dropped, this.skipped);
      if (!this.pumping) this.turns?.done();
    }
    this.queue.push(bar);
    this.pumping ??= this.pump();
  }

  /** Resolves when the queue is empty and no bar is in hand. */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Stops feeding: the batch in hand finishes, queued bars are dropped (they are persisted all the same). */
  async stop(): Promise<number> {
    this.stopped = true;
    const dropped = this.queue.length;
    this.queue.length = 0;
    await this.pumping;
    return dropped;
  }

  private async pump(): Promise<void> {
    try {
      // One microtask: the bars the rest of this turn pushes (the same socket read) join the first batch.
      await Promise.resolve();
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.inHand = batch.length;
        this.skippedBefore = this.skipped;
        this.turns?.handed();
        // Called synchronously from the worker's answer, so the next bar counts as handed before anything it sends is seen.
        await this.runner.processBars(batch, () => {
          this.delivered++;
          this.inHand--;
          this.turns?.done();
          if (this.inHand > 0) this.turns?.handed();
        });
      }
    } finally {
      this.inHand = 0;
      this.pumping = undefined;
    }
  }
}
