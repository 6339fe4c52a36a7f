/**
 * Feeds closed bars to the strategy runner one at a time without ever blocking ingestion: bars wait in a bounded
 * queue; when it is full the OLDEST queued bar is dropped (a trading strategy is better served by the newest
 * data than by a backlog) and counted. Persistence never waits for the strategy: the writer gets every bar first.
 */
import type { Bar } from '../domain/bar.ts';
import type { StrategyRunner } from '../strategy/runtime.ts';

/** Told when a bar goes into the strategy's hands and when the strategy is done with it (or it was dropped). */
export interface FeedTurns {
  handed(): void;
  done(): void;
}

/** Bounded, drop-oldest queue in front of a strategy runner. */
export class StrategyFeed {
  private readonly queue: Bar[] = [];
  private readonly capacity: number;
  private readonly runner: Pick<StrategyRunner, 'processBar'>;
  private readonly onSkip: (bar: Bar, skipped: number) => void;
  private pumping: Promise<void> | undefined;
  private stopped = false;
  /** Bars dropped because the queue was full. */
  skipped = 0;
  /** Bars the strategy finished (ok or failed). */
  delivered = 0;

  private readonly turns: FeedTurns | undefined;

  constructor(runner: Pick<StrategyRunner, 'processBar'>, capacity: number, onSkip: (bar: Bar, skipped: number) => void, turns?: FeedTurns) {
    this.runner = runner;
    this.capacity = capacity;
    this.onSkip = onSkip;
    this.turns = turns;
  }

  /** Bars waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues a bar for the strategy. */
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

  /** Stops feeding: the bar in hand finishes, queued bars are dropped (they are persisted all the same). */
  async stop(): Promise<number> {
    this.stopped = true;
    const dropped = this.queue.length;
    this.queue.length = 0;
    await this.pumping;
    return dropped;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const bar = this.queue.shift()!;
        this.turns?.handed();
        await this.runner.processBar(bar);
        this.delivered++;
        this.turns?.done();
      }
    } finally {
      this.pumping = undefined;
    }
  }
}
