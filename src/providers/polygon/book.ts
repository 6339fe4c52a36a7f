/**
 * The Polygon bar book: between the socket and the consumer, per pushed stream (`AM.AAPL`, `A.AAPL`, ...).
 * Polygon streams are sparse (no bar for a window without trades) and corrected (a minute bar may be re-sent
 * with new values for about 15 minutes), so the shared stream tracker, which treats a missing bucket as a gap
 * and a repeated one as a duplicate, does not fit. Here:
 *
 * - A gap is an outage, not a missing bucket. When the connection goes down every stream needs a catch-up; once
 *   the stream is confirmed on the new socket, live bars are held, the REST aggregates from the last delivered
 *   bar (and back over the correction window, to catch corrections sent while away) up to the current window
 *   are applied, then the held bars.
 * - A bar for a window already delivered is a duplicate when its values are equal (dropped) and a correction
 *   otherwise: it is emitted again under the same key with `correction: true` (the writer upserts by key), and
 *   every aggregate containing it is recomputed and, if closed, emitted again with `correction: true`.
 * - Each stream has a watermark: every sub-bar opening before it is known. It moves with each delivered bar
 *   (a minute bar proves its own window complete), with a catch-up, and with the market clock minus a grace
 *   while the stream is live. Aggregated windows close when the watermark reaches their end.
 */
import type { Clock, TimerHandle } from '../../clock.ts';
import type { Bar } from '../../domain/bar.ts';
import { bucketStart, intervalMs, nextBucketStart, type Interval } from '../../domain/interval.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import { sameBarValues, WindowAggregator } from './aggregate.ts';
import type { PushedInterval } from './symbols.ts';

/** A bar as the Polygon provider emits it: `correction` marks a key emitted before (or a window passed as empty). */
export type PolygonBar = Bar;

/** Fetches the bars of a pushed stream opening in [from, to), in order. */
export type PolygonBackfill = (symbol: string, interval: PushedInterval, from: number, to: number) => Promise<Bar[]>;

/** Book options. */
export interface PolygonBookOptions {
  readonly clock: Clock;
  /** Market time (ms): the wall clock live, the simulator's clock in accelerated tests. */
  readonly marketTime: () => number;
  readonly backfill?: PolygonBackfill;
  readonly correctionWindowMs: number;
  /** Bars before the last delivered one re-read by a catch-up after a reconnect (the venue may still correct them). */
  readonly lookbackBars?: number;
  readonly closeGraceMs: number;
  /** Live bars held per stream during a catch-up before they are delivered anyway. */
  readonly bufferSize: number;
  readonly emit: (bar: PolygonBar) => void;
  readonly onError: (error: RealtimeError) => void;
}

/** Counters. */
export interface PolygonBookStats {
  emitted: number;
  backfilled: number;
  duplicates: number;
  corrections: number;
  catchUps: number;
  gapsUnrepaired: number;
  closedByData: number;
  closedByClock: number;
}

interface Output {
  readonly interval: Interval;
  readonly emitFrom: number;
  readonly aggregator: WindowAggregator | undefined;
}

interface Source {
  readonly stream: string;
  readonly symbol: string;
  readonly interval: PushedInterval;
  readonly outputs: Map<Interval, Output>;
  readonly bars: Map<number, Bar>;
  /** First window the consumer is owed (subscription or resume point). */
  readonly coveredFrom: number;
  last: number | undefined;
  watermark: number;
  /** Confirmed on the current, connected socket. */
  ready: boolean;
  catchUp: 'needed' | 'running' | 'none';
  downSince: number | undefined;
  outages: number;
  held: Bar[];
  overflowed: boolean;
  prunedAt: number;
  /** A live bar far older than the subscription was reported (once per stream). */
  staleReported: boolean;
}

const SLACK_MS = 5 * 60_000;

/** Orders, de-duplicates, corrects, repairs and aggregates the bars of every Polygon stream. */
export class PolygonBook {
  private readonly opts: PolygonBookOptions;
  private readonly sources = new Map<string, Source>();
  private closed = false;
  readonly stats: PolygonBookStats = { emitted: 0, backfilled: 0, duplicates: 0, corrections: 0, catchUps: 0, gapsUnrepaired: 0, closedByData: 0, closedByClock: 0 };

  constructor(opts: PolygonBookOptions) {
    this.opts = opts;
  }

  /** Adds an output interval to a stream (creating it); `resumeFrom` is the first window the consumer lacks. */
  addOutput(stream: string, symbol: string, pushed: PushedInterval, interval: Interval, resumeFrom?: number): void {
    const now = this.opts.marketTime();
    let src = this.sources.get(stream);
    const fresh = !src;
    if (!src) {
      const coveredFrom = Math.min(bucketStart(pushed, now), resumeFrom ?? Number.POSITIVE_INFINITY);
      src = {
        stream, symbol, interval: pushed, outputs: new Map(), bars: new Map(), coveredFrom, last: undefined, watermark: coveredFrom,
        ready: false, catchUp: 'needed', downSince: undefined, outages: 0, held: [], overflowed: false, prunedAt: coveredFrom, staleReported: false,
      };
      this.sources.set(stream, src);
    }
    if (src.outputs.has(interval)) return;
    const start = bucketStart(interval, now);
    // A new aggregated interval starts with its first whole window, unless resuming a stream not yet running.
    const emitFrom = fresh && resumeFrom !== undefined ? resumeFrom : interval === pushed ? start : start === now ? start : nextBucketStart(interval, start);
    src.outputs.set(interval, { interval, emitFrom, aggregator: interval === pushed ? undefined : new WindowAggregator(interval, emitFrom) });
  }

  /** Forgets a stream (after unsubscribe). */
  forget(stream: string): void {
    this.sources.delete(stream);
  }

  /** The streams with at least one output. */
  streams(): string[] {
    return [...this.sources.keys()];
  }

  /** The connection went down: every stream needs a catch-up once it is confirmed again. */
  connectionDown(): void {
    const now = this.opts.marketTime();
    for (const src of this.sources.values()) {
      src.ready = false;
      src.outages++;
      src.downSince ??= now;
      if (src.catchUp === 'none') src.catchUp = 'needed';
    }
  }

  /** The stream is confirmed on the current, connected socket: catch up if needed. */
  streamReady(stream: string): void {
    const src = this.sources.get(stream);
    if (!src || this.closed) return;
    src.ready = true;
    if (src.catchUp === 'needed') void this.catchUp(src);
  }

  /** Takes one bar from the socket. */
  accept(stream: string, bar: Bar): void {
    const src = this.sources.get(stream);
    if (!src || this.closed) return;
    if (src.catchUp === 'none' || src.overflowed) return this.apply(src, bar);
    src.held.push(bar);
    if (src.catchUp === 'running' && src.held.length > this.opts.bufferSize) {
      // Holding for ever would stall the stream behind a slow REST call: deliver, and let the backfill land as corrections.
      src.overflowed = true;
      this.opts.onError(realtimeError('BUFFER_OVERFLOW', `${src.stream}: backfill still running after ${src.held.length} live bars; delivering them, backfilled bars will arrive as corrections`, { stream: src.stream }));
      this.drainHeld(src);
    }
  }

  /** Advances the watermark of live minute streams with the market clock (closes windows whose last minutes had no trades). */
  tick(): void {
    if (this.closed) return;
    const mark = bucketStart('1m', this.opts.marketTime() - this.opts.closeGraceMs);
    for (const src of this.sources.values()) {
      if (src.interval === '1m' && src.ready && src.catchUp === 'none') this.advance(src, mark, 'clock');
    }
  }

  /** Stops; later input is ignored. */
  close(): void {
    this.closed = true;
  }

  private async catchUp(src: Source): Promise<void> {
    src.catchUp = 'running';
    const outages = src.outages;
    const since = src.downSince;
    src.downSince = undefined;
    const to = bucketStart(src.interval, this.opts.marketTime());
    let from = src.last !== undefined ? nextBucketStart(src.interval, src.last) : src.coveredFrom;
    // Corrections sent while the socket was down are only in REST: look back from the last delivered bar (data time,
    // not the local clock, which may be far from the venue's) over the lookback bars and, for minutes, the correction window.
    if (since !== undefined && src.last !== undefined) {
      const back = Math.max((this.opts.lookbackBars ?? 0) * intervalMs(src.interval), src.interval === '1m' ? this.opts.correctionWindowMs : 0);
      from = Math.min(from, bucketStart(src.interval, nextBucketStart(src.interval, src.last) - back));
    }
    from = Math.max(from, src.coveredFrom);
    let bars: Bar[] = [];
    if (from < to && this.opts.backfill) {
      this.stats.catchUps++;
      try {
        bars = await this.opts.backfill(src.symbol, src.interval, from, to);
      } catch (e) {
        this.stats.gapsUnrepaired++;
        this.opts.onError(realtimeError('BACKFILL_FAILED', `${src.stream}: bars from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} could not be recovered: ${(e as Error).message}`, { stream: src.stream, from, to }));
      }
    } else if (from < to && since !== undefined) {
      this.stats.gapsUnrepaired++;
      this.opts.onError(realtimeError('GAP_UNCOVERED', `${src.stream}: backfill is off; bars from ${new Date(from).toISOString()} to ${new Date(to).toISOString()} may be missing`, { stream: src.stream, from, to }));
    }
    if (this.closed || this.sources.get(src.stream) !== src) return;
    for (const bar of bars) this.apply(src, bar);
    this.advance(src, to, 'data');
    src.catchUp = src.outages === outages ? 'none' : 'needed';
    src.overflowed = false;
    this.drainHeld(src);
    if (src.catchUp === 'needed' && src.ready) void this.catchUp(src);
  }

  private drainHeld(src: Source): void {
    const held = src.held.sort((a, b) => a.openTime - b.openTime);
    src.held = [];
    for (const bar of held) this.apply(src, bar);
  }

  /** Applies one bar in order: new, duplicate or correction. */
  private apply(src: Source, bar: Bar): void {
    if (bar.openTime < src.coveredFrom) {
      if (!bar.backfilled && !src.staleReported && bar.openTime < src.coveredFrom - this.opts.correctionWindowMs - SLACK_MS) {
        // Otherwise a feed whose clock is far behind ours (a simulator started in the past) records nothing, silently.
        src.staleReported = true;
        const behindMin = Math.round((src.coveredFrom - bar.openTime) / 60_000);
        this.opts.onError(realtimeError('CLOCK_SKEW', `${src.stream}: bars open ${behindMin} min before the subscription (${new Date(bar.openTime).toISOString()} against ${new Date(src.coveredFrom).toISOString()} on this machine's clock): the feed's clock is behind, so its bars are not recorded`, { stream: src.stream, openTime: bar.openTime, subscribedAt: src.coveredFrom }));
      }
      return;
    }
    const prev = src.bars.get(bar.openTime);
    const past = prev !== undefined || (src.last !== undefined && bar.openTime <= src.last);
    if (past && prev && sameBarValues(prev, bar)) {
      this.stats.duplicates++;
      return;
    }
    src.bars.set(bar.openTime, bar);
    if (past) this.stats.corrections++;
    else {
      src.last = bar.openTime;
      if (bar.backfilled) this.stats.backfilled++;
    }
    const now = this.opts.clock.now();
    for (const out of src.outputs.values()) {
      if (!out.aggregator) {
        if (bar.openTime >= out.emitFrom) this.emit(past ? { ...bar, correction: true } : bar);
        continue;
      }
      const result = out.aggregator.put(bar, now);
      for (const agg of result.bars) this.emit({ ...agg, correction: true });
      if (result.forgotten) {
        this.opts.onError(realtimeError('INVALID_MESSAGE', `${src.stream}: correction of ${new Date(bar.openTime).toISOString()} came after its ${out.interval} window was forgotten; that aggregate was not recomputed`, { stream: src.stream, openTime: bar.openTime, interval: out.interval }));
      }
    }
    if (!past) this.advance(src, nextBucketStart(src.interval, bar.openTime), 'data');
  }

  /** Moves the watermark and closes the aggregated windows it passes. */
  private advance(src: Source, mark: number, by: 'data' | 'clock'): void {
    if (mark <= src.watermark) return;
    src.watermark = mark;
    const now = this.opts.clock.now();
    for (const out of src.outputs.values()) {
      if (!out.aggregator) continue;
      for (const agg of out.aggregator.closeThrough(mark, now)) {
        if (by === 'clock') this.stats.closedByClock++;
        else this.stats.closedByData++;
        this.emit(agg);
      }
      out.aggregator.prune(mark - this.opts.correctionWindowMs - SLACK_MS);
    }
    // Bars are kept over the correction window (to tell corrections from duplicates); pruned once a minute.
    const keepFrom = mark - this.opts.correctionWindowMs - SLACK_MS;
    if (keepFrom - src.prunedAt < 60_000) return;
    src.prunedAt = keepFrom;
    for (const t of src.bars.keys()) if (t < keepFrom) src.bars.delete(t);
  }

  private emit(bar: PolygonBar): void {
    this.stats.emitted++;
    this.opts.emit(bar);
  }
}

/** A repeating timer on a clock, for the book's clock-driven closing. */
export const every = (clock: Clock, ms: number, fn: () => void): TimerHandle => {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const arm = (): void => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      fn();
      arm();
    }, ms);
  };
  arm();
  return { cancel: () => { stopped = true; handle?.cancel(); } };
};
