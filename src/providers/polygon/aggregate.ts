/**
 * Local aggregation of pushed minute bars into coarser intervals (Polygon pushes only 1 s and 1 m bars). Windows
 * are aligned with the project's buckets (`bucketStart`: UTC, weeks from Monday, months from the 1st). A window
 * closes when the stream's watermark (the time before which every sub-bar is known) reaches its end: at once
 * when its last minute arrives, when a later minute arrives, or when the provider's clock passes the end plus a
 * grace (a window whose last minutes had no trades gets no later bar to close it). A window without any sub-bar
 * has no bar, as on Polygon. A sub-bar that lands in a closed window (a correction or a late bar) recomputes it,
 * and the new aggregate is returned to be emitted again under the same key.
 */
import type { Bar } from '../../domain/bar.ts';
import { bucketStart, nextBucketStart, type Interval } from '../../domain/interval.ts';

/** True when two bars carry the same values (trade counts compared only when both are known). */
export const sameBarValues = (a: Bar, b: Bar): boolean =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume &&
  a.vwap === b.vwap && (a.tradeCount === null || b.tradeCount === null || a.tradeCount === b.tradeCount);

/** Combines sub-bars, in open-time order, into the bar of `interval` that opens at `start`. */
export const combineBars = (subs: readonly Bar[], interval: Interval, start: number, receivedAt: number): Bar => {
  const first = subs[0]!;
  let high = first.high;
  let low = first.low;
  let volume = 0;
  let weighted = 0;
  let vwapKnown = true;
  let trades: number | null = 0;
  for (const s of subs) {
    if (s.high > high) high = s.high;
    if (s.low < low) low = s.low;
    volume += s.volume;
    if (s.vwap === null) vwapKnown = s.volume === 0 && vwapKnown;
    else weighted += s.vwap * s.volume;
    trades = trades === null || s.tradeCount === null ? null : trades + s.tradeCount;
  }
  return {
    provider: first.provider, symbol: first.symbol, interval, openTime: start, closeTime: nextBucketStart(interval, start) - 1,
    open: first.open, high, low, close: subs.at(-1)!.close, volume,
    vwap: vwapKnown && volume > 0 ? weighted / volume : null, tradeCount: trades, final: true, receivedAt,
    ...(subs.every((s) => s.backfilled) ? { backfilled: true } : {}),
  };
};

interface Window {
  readonly start: number;
  readonly end: number;
  readonly subs: Map<number, Bar>;
  emitted: Bar | undefined;
}

/** What putting a sub-bar produced. */
export interface PutResult {
  /** The window's recomputed bar, when the window was closed already and its values changed. */
  readonly bars: readonly Bar[];
  /** True when the window was closed and forgotten already: it could not be recomputed. */
  readonly forgotten: boolean;
}

/** Aggregates the sub-bars of one symbol into windows of one interval. */
export class WindowAggregator {
  readonly interval: Interval;
  /** Windows opening before this are not produced (the consumer has them, or they began before the subscription). */
  readonly emitFrom: number;
  private readonly windows = new Map<number, Window>();
  /** Every window ending at or before this is closed. */
  private closedThrough = Number.NEGATIVE_INFINITY;
  /** Closed windows ending before this were forgotten. */
  private forgottenBefore = Number.NEGATIVE_INFINITY;
  /** Windows closed so far. */
  closedCount = 0;

  constructor(interval: Interval, emitFrom: number) {
    this.interval = interval;
    this.emitFrom = emitFrom;
  }

  /** Adds or replaces a sub-bar; a closed window it lands in is recomputed. */
  put(sub: Bar, now: number): PutResult {
    const start = bucketStart(this.interval, sub.openTime);
    if (start < this.emitFrom) return { bars: [], forgotten: false };
    const end = nextBucketStart(this.interval, start);
    if (end <= this.closedThrough && end < this.forgottenBefore && !this.windows.has(start)) return { bars: [], forgotten: true };
    let w = this.windows.get(start);
    if (!w) {
      w = { start, end, subs: new Map(), emitted: undefined };
      this.windows.set(start, w);
    }
    w.subs.set(sub.openTime, sub);
    if (end > this.closedThrough) return { bars: [], forgotten: false };
    const bar = this.combine(w, now);
    if (w.emitted && sameBarValues(w.emitted, bar)) return { bars: [], forgotten: false };
    w.emitted = bar;
    return { bars: [bar], forgotten: false };
  }

  /** Closes every window ending at or before `watermark`; returns the bars of those with sub-bars, in order. */
  closeThrough(watermark: number, now: number): Bar[] {
    if (watermark <= this.closedThrough) return [];
    const previous = this.closedThrough;
    this.closedThrough = watermark;
    const out: Bar[] = [];
    const due = [...this.windows.values()].filter((w) => w.end <= watermark && w.end > previous).sort((a, b) => a.start - b.start);
    for (const w of due) {
      this.closedCount++;
      w.emitted = this.combine(w, now);
      out.push(w.emitted);
    }
    return out;
  }

  /** Forgets closed windows ending before `before` (a later sub-bar for them is reported as forgotten). */
  prune(before: number): void {
    const limit = Math.min(before, this.closedThrough);
    if (limit <= this.forgottenBefore) return;
    this.forgottenBefore = limit;
    for (const [start, w] of this.windows) if (w.end < limit) this.windows.delete(start);
  }

  /** Open (not yet closed) windows, for tests and stats. */
  get openWindows(): number {
    let n = 0;
    for (const w of this.windows.values()) if (w.end > this.closedThrough) n++;
    return n;
  }

  private combine(w: Window, now: number): Bar {
    const subs = [...w.subs.values()].sort((a, b) => a.openTime - b.openTime);
    return combineBars(subs, this.interval, w.start, now);
  }
}
