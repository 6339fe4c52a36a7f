/**
 * Repairs a recorder's bus gaps while it runs: bars the publisher refused while the bus was down and its hold was
 * full (known gaps) are fetched from the venue's REST history once the hold has drained, and published, so the
 * stream has no hole without waiting for the next start or takeover. Their message ids are the bar keys, so a
 * fetched bar the bus already has is acknowledged as a duplicate. A failed fetch puts the gap back and is retried
 * with backoff; bars refused again while the repair publishes become a new known gap, repaired in turn.
 */
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import { describe, realtimeError, type RealtimeError } from '../errors.ts';
import type { BusGap, BusPublisher } from './publisher.ts';

/** Fetches the closed bars of a stream opening in [from, to) from REST (a provider's `fetchClosedBars`). */
export type FetchClosedBars = (symbol: string, interval: Interval, from: number, to: number) => Promise<Bar[]>;

/** Repair figures for stats. */
export interface GapRepairStats {
  /** Gaps fetched and published again. */
  readonly gaps: number;
  /** Bars fetched for them. */
  readonly bars: number;
  /** Fetches that failed and were retried. */
  readonly failures: number;
}

/** Watches a publisher and repairs its known gaps once its hold is empty. */
export class BusGapRepair {
  private readonly publisher: BusPublisher;
  private readonly fetch: FetchClosedBars;
  private readonly onError: (e: RealtimeError) => void;
  private running: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private delay = 1_000;
  private stopped = false;
  private wakeStop: () => void = () => {};
  private readonly stopping = new Promise<void>((resolve) => { this.wakeStop = resolve; });
  private off: (() => void) | undefined;
  private counts = { gaps: 0, bars: 0, failures: 0 };

  constructor(publisher: BusPublisher, fetch: FetchClosedBars, onError: (e: RealtimeError) => void) {
    this.publisher = publisher;
    this.fetch = fetch;
    this.onError = onError;
  }

  /** Starts watching. */
  start(): void {
    this.off = this.publisher.onChange((s) => { if (s.held === 0 && s.gaps.length > 0) this.kick(); });
  }

  stats(): GapRepairStats {
    return { ...this.counts };
  }

  /** Stops watching; a repair in progress stops after its current piece was handed to the publisher. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeStop();
    this.off?.();
    if (this.retry) clearTimeout(this.retry);
    await this.running;
  }

  private kick(): void {
    if (this.running || this.retry || this.stopped) return;
    this.running = this.repair().finally(() => { this.running = undefined; });
  }

  private async repair(): Promise<void> {
    const gaps = this.publisher.takeGaps();
    for (let i = 0; i < gaps.length; i++) {
      const gap = gaps[i]!;
      let bars: Bar[];
      try {
        bars = (await this.fetch(gap.symbol, gap.interval, gap.fromOpenTime, gap.toOpenTime + 1))
          .filter((b) => b.final && b.openTime >= gap.fromOpenTime && b.openTime <= gap.toOpenTime);
      } catch (e) {
        for (const g of gaps.slice(i)) this.publisher.restoreGap(g);
        this.counts.failures++;
        this.onError(realtimeError('BACKFILL_FAILED', `bus gap ${describeGap(gap)}: REST fetch failed (${describe(e)}); retrying in ${this.delay} ms`, { source: 'bus', stream: `${gap.provider}|${gap.symbol}|${gap.interval}` }));
        this.retry = setTimeout(() => { this.retry = undefined; this.kick(); }, this.delay);
        this.retry.unref();
        this.delay = Math.min(this.delay * 2, 30_000);
        return;
      }
      this.delay = 1_000;
      await this.publishAll(bars);
      this.counts.gaps++;
      this.counts.bars += bars.length;
    }
  }

  /** Publishes in pieces that fit the hold, waiting for it to drain between them. */
  private async publishAll(bars: readonly Bar[]): Promise<void> {
    const piece = Math.max(1, Math.floor(this.publisher.capacity / 2));
    for (let at = 0; at < bars.length && !this.stopped; at += piece) {
      for (const b of bars.slice(at, at + piece)) this.publisher.publish(b);
      // Stopping does not wait for a bus that is down again: the publisher's close reports what it still holds.
      await Promise.race([this.publisher.flush(), this.stopping]);
    }
  }
}

const describeGap = (g: BusGap): string =>
  `${g.provider} ${g.symbol} ${g.interval} ${new Date(g.fromOpenTime).toISOString()}..${new Date(g.toOpenTime).toISOString()} (${g.bars} bars)`;
