/**
 * Synthetic bar streams for benchmarks: `minutes × symbols` one-minute bars in arrival order (every symbol's bar
 * of a minute, then the next minute), with a share of re-deliveries (identical values) and corrections (new
 * values for a key already sent) of recent bars mixed in, as a reconnect replay or a late update produces them.
 */
import type { Bar } from '../../src/domain/bar.ts';

/** Options of {@link barStream}. */
export interface BarStreamOptions {
  readonly total: number;
  readonly symbols: number;
  /** Share of the stream that repeats a recent key (half identical, half corrected), e.g. 0.01. */
  readonly repeatShare: number;
  /** How far back (in bars) a repeat reaches. */
  readonly window?: number;
  readonly seed?: number;
}

/** The stream and how many distinct keys it holds. */
export interface BarStream {
  readonly bars: Bar[];
  readonly distinctKeys: number;
  readonly duplicates: number;
  readonly corrections: number;
}

// mulberry32: a small deterministic PRNG, so every run writes the same stream.
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Builds a deterministic stream of exactly `total` bars. */
export const barStream = ({ total, symbols, repeatShare, window = 5_000, seed = 42 }: BarStreamOptions): BarStream => {
  const random = prng(seed);
  const names = Array.from({ length: symbols }, (_, i) => `SYM${String(i).padStart(4, '0')}USDT`);
  const t0 = Date.UTC(2025, 0, 6);
  const bars: Bar[] = [];
  let fresh = 0;
  let duplicates = 0;
  let corrections = 0;
  while (bars.length < total) {
    if (bars.length > window && random() < repeatShare) {
      const old = bars[bars.length - 1 - Math.floor(random() * window)]!;
      if (random() < 0.5) {
        bars.push({ ...old, receivedAt: old.receivedAt + 1 });
        duplicates++;
      } else {
        const close = Math.min(old.high, Math.max(old.low, old.close + (random() - 0.5) * 0.01));
        bars.push({ ...old, close, volume: old.volume + 1, receivedAt: old.receivedAt + 1 });
        corrections++;
      }
      continue;
    }
    const s = fresh % symbols;
    const minute = Math.floor(fresh / symbols);
    const openTime = t0 + minute * 60_000;
    const base = 100 + s + Math.sin(minute / 10);
    const open = base;
    const close = base + (random() - 0.5);
    bars.push({
      provider: 'binance', symbol: names[s]!, interval: '1m', openTime, closeTime: openTime + 59_999,
      open, high: Math.max(open, close) + random(), low: Math.min(open, close) - random(), close,
      volume: 1 + random() * 100, vwap: (open + close) / 2, tradeCount: 1 + Math.floor(random() * 500),
      final: true, receivedAt: openTime + 60_000 + Math.floor(random() * 50),
    });
    fresh++;
  }
  return { bars, distinctKeys: fresh, duplicates, corrections };
};
