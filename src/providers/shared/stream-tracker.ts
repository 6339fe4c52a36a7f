/**
 * Per-stream ordering, de-duplication and gap repair between the socket and the consumer. Each stream keeps the
 * open time of the next closed bar it expects. A closed bar older than that is a duplicate and is dropped; a bar
 * newer than that reveals a gap (a reconnect, a lost frame): bars are held, a short grace lets a merely late frame
 * arrive, then the missing closed bars are fetched (REST backfill) and emitted in order before the held ones. So
 * the consumer sees every closed bar of a stream exactly once, in order, whatever the socket did.
 */
import type { Bar } from '../../domain/bar.ts';
import { bucketStart, intervalMs, nextBucketStart, type Interval } from '../../domain/interval.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import type { Clock, TimerHandle } from '../../clock.ts';

/** Fetches the closed bars of a stream with open time in [from, to), in order. */
export type BackfillFn = (symbol: string, interval: Interval, from: number, to: number) => Promise<Bar[]>;

/** Tracker options. */
export interface StreamTrackerOptions {
  readonly clock: Clock;
  /** Deliver in-progress updates too (they never advance the stream). */
  readonly emitUpdates: boolean;
  /** Gap repair; without it a gap is reported and skipped. */
  readonly backfill?: BackfillFn;
  /** How long a gap may stay open before backfill starts (a late frame may still fill it). */
  readonly gapGraceMs: number;
  /** Closed bars to fetch when a stream's first bar arrives (0: none). */
  readonly backfillOnStartBars: number;
  /** Bars held behind one gap before a BUFFER_OVERFLOW warning (they are still held: order beats memory). */
  readonly maxHeld?: number;
  readonly emit: (bar: Bar) => void;
  readonly onError: (error: RealtimeError) => void;
}

interface StreamState {
  expectedNext: number | undefined;
  /** Newest in-progress update delivered: bucket and event order. */
  lastUpdateOpen: number;
  lastUpdateSeq: number;
  /** Bars behind a gap, ordered by open time. */
  held: { bar: Bar; seq: number }[];
  gapTimer: TimerHandle | undefined;
  backfilling: boolean;
  /** A new socket replaced a dropped one: the next gap is repaired without the grace period. */
  expedite: boolean;
  /** Resumed stream: the first gap is fetched back at most this far before its first live bar. */
  maxGapMs?: number;
}

/** Counters. */
export interface StreamTrackerStats {
  emitted: number;
  backfilled: number;
  duplicates: number;
  gapsRepaired: number;
  gapsUnrepaired: number;
}

/**
 * Stream states by interval, then symbol: a lookup per frame without building a `symbol|interval` key string
 * (the concatenation and its hashing were a visible share of the per-frame cost at 1,000 symbols).
 */
class StreamStates {
  private readonly byInterval = new Map<string, Map<string, StreamState>>();

  get(symbol: string, interval: string): StreamState | undefined {
    return this.byInterval.get(interval)?.get(symbol);
  }

  set(symbol: string, interval: string, st: StreamState): void {
    let bySymbol = this.byInterval.get(interval);
    if (!bySymbol) this.byInterval.set(interval, (bySymbol = new Map()));
    bySymbol.set(symbol, st);
  }

  delete(symbol: string, interval: string): void {
    this.byInterval.get(interval)?.delete(symbol);
  }

  *values(): IterableIterator<StreamState> {
    for (const bySymbol of this.byInterval.values()) yield* bySymbol.values();
  }
}

/** Orders, de-duplicates and repairs the bars of many streams. */
export class StreamTracker {
  private readonly streams = new StreamStates();
  private readonly opts: StreamTrackerOptions;
  private closed = false;
  readonly stats: StreamTrackerStats = { emitted: 0, backfilled: 0, duplicates: 0, gapsRepaired: 0, gapsUnrepaired: 0 };

  constructor(opts: StreamTrackerOptions) {
    this.opts = opts;
  }

  /** Takes one decoded bar from the socket. `seq` orders in-progress updates (the venue's event time). */
  accept(bar: Bar, seq: number = bar.receivedAt): void {
    if (this.closed) return;
    let st = this.streams.get(bar.symbol, bar.interval);
    if (!st) {
      st = { expectedNext: undefined, lastUpdateOpen: -1, lastUpdateSeq: -1, held: [], gapTimer: undefined, backfilling: false, expedite: false };
      this.streams.set(bar.symbol, bar.interval, st);
      if (this.opts.backfillOnStartBars > 0 && this.opts.backfill) {
        st.expectedNext = bucketStart(bar.interval, bar.openTime - this.opts.backfillOnStartBars * intervalMs(bar.interval));
      }
    }
    if (st.held.length > 0 || st.backfilling) {
      this.hold(st, bar, seq);
      // A late frame may have closed the gap during the grace period: no backfill needed then.
      if (!st.backfilling && st.expectedNext !== undefined && st.held[0]!.bar.openTime <= st.expectedNext) {
        st.gapTimer?.cancel();
        st.gapTimer = undefined;
        this.drain(st);
      }
      return;
    }
    this.process(st, bar, seq);
  }

  /**
   * Declares the last closed bar the consumer already has (a resumed session): the stream's first live bar then
   * reveals the gap since, and the missing bars are backfilled before it.
   */
  resumeAfter(symbol: string, interval: Interval, lastOpenTime: number, maxGapMs?: number): void {
    if (this.streams.get(symbol, interval)) return;
    this.streams.set(symbol, interval, {
      expectedNext: nextBucketStart(interval, lastOpenTime), lastUpdateOpen: -1, lastUpdateSeq: -1, held: [], gapTimer: undefined, backfilling: false, expedite: false,
      ...(maxGapMs !== undefined ? { maxGapMs } : {}),
    });
  }

  /**
   * Tells the tracker a dropped socket was replaced. No late frame of the old socket can arrive any more, so the
   * next gap each stream shows is backfilled at once instead of after the grace meant for reordered frames.
   */
  expedite(): void {
    for (const st of this.streams.values()) st.expedite = true;
  }

  /** Forgets a stream (after unsubscribe); a later subscription starts afresh. */
  forget(symbol: string, interval: Interval): void {
    const st = this.streams.get(symbol, interval);
    st?.gapTimer?.cancel();
    this.streams.delete(symbol, interval);
  }

  /** Stops all timers; later input is ignored. */
  close(): void {
    this.closed = true;
    for (const st of this.streams.values()) st.gapTimer?.cancel();
  }

  /** Streams currently waiting for a gap to be repaired. */
  get pendingGaps(): number {
    let n = 0;
    for (const st of this.streams.values()) if (st.held.length > 0) n++;
    return n;
  }

  private hold(st: StreamState, bar: Bar, seq: number): void {
    // Held bars are kept ordered by open time, closed bars before updates of the same bucket.
    let i = st.held.length;
    while (i > 0 && st.held[i - 1]!.bar.openTime > bar.openTime) i--;
    st.held.splice(i, 0, { bar, seq });
    if (this.opts.maxHeld !== undefined && st.held.length === this.opts.maxHeld + 1) {
      this.opts.onError(realtimeError('BUFFER_OVERFLOW', `${bar.symbol} ${bar.interval}: more than ${this.opts.maxHeld} bars held while a gap is repaired; still holding them in order`, { symbol: bar.symbol, interval: bar.interval, held: st.held.length }));
    }
  }

  /** Applies a bar that is not behind a gap; a bar that reveals a gap is held. */
  private process(st: StreamState, bar: Bar, seq: number): void {
    if (st.expectedNext === undefined) st.expectedNext = bar.openTime;
    if (bar.openTime < st.expectedNext) {
      this.stats.duplicates++;
      return;
    }
    if (bar.openTime > st.expectedNext) {
      this.hold(st, bar, seq);
      this.armGap(st, bar);
      st.expedite = false;
      return;
    }
    st.expedite = false;
    if (bar.final) {
      st.expectedNext = nextBucketStart(bar.interval, bar.openTime);
      this.deliver(bar);
    } else if (this.opts.emitUpdates && (bar.openTime > st.lastUpdateOpen || seq > st.lastUpdateSeq)) {
      st.lastUpdateOpen = bar.openTime;
      st.lastUpdateSeq = seq;
      this.deliver(bar);
    }
  }

  private deliver(bar: Bar): void {
    this.stats.emitted++;
    if (bar.backfilled) this.stats.backfilled++;
    this.opts.emit(bar);
  }

  /** Re-applies held bars in order until the next one reveals a gap again. */
  private drain(st: StreamState): void {
    while (st.held.length > 0 && !this.closed) {
      const next = st.held[0]!;
      if (st.expectedNext !== undefined && next.bar.openTime > st.expectedNext) {
        this.armGap(st, next.bar);
        return;
      }
      st.held.shift();
      this.process(st, next.bar, next.seq);
    }
  }

  private armGap(st: StreamState, bar: Bar): void {
    if (st.gapTimer || st.backfilling) return;
    st.gapTimer = this.opts.clock.setTimeout(() => {
      st.gapTimer = undefined;
      void this.repair(st, bar.symbol, bar.interval);
    }, st.expedite ? 0 : this.opts.gapGraceMs);
  }

  private async repair(st: StreamState, symbol: string, interval: Interval): Promise<void> {
    const head = st.held[0]?.bar;
    if (this.closed || !head || st.expectedNext === undefined) return;
    if (head.openTime <= st.expectedNext) return this.drain(st);
    const to = head.openTime;
    if (st.maxGapMs !== undefined) {
      // A resumed stream's gap is measured against the venue's own time (its first live bar), not the local clock.
      const bound = bucketStart(interval, to - st.maxGapMs);
      st.maxGapMs = undefined;
      if (st.expectedNext < bound) {
        this.opts.onError(realtimeError('GAP_UNCOVERED', `${symbol} ${interval}: bars from ${new Date(st.expectedNext).toISOString()} to ${new Date(bound).toISOString()} are older than the resume lookback; not fetched`, { symbol, interval, from: st.expectedNext, to: bound }));
        st.expectedNext = bound;
      }
    }
    const from = st.expectedNext;
    st.backfilling = true;
    let bars: Bar[] = [];
    let failure: RealtimeError | undefined;
    if (this.opts.backfill) {
      try {
        bars = await this.opts.backfill(symbol, interval, from, to);
      } catch (e) {
        failure = e as RealtimeError;
      }
    }
    st.backfilling = false;
    if (this.closed) return;
    for (const bar of bars) if (bar.final && bar.openTime >= (st.expectedNext ?? 0) && bar.openTime < to) this.process(st, bar, bar.receivedAt);
    if (st.expectedNext !== undefined && st.expectedNext < to) {
      this.stats.gapsUnrepaired++;
      this.opts.onError(realtimeError('BACKFILL_FAILED', `${symbol} ${interval}: bars from ${new Date(st.expectedNext).toISOString()} to ${new Date(to).toISOString()} could not be recovered${failure ? `: ${failure.message}` : ''}`, { symbol, interval, from: st.expectedNext, to }));
      st.expectedNext = to;
    } else {
      this.stats.gapsRepaired++;
    }
    this.drain(st);
  }
}
