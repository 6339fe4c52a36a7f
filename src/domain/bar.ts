/**
 * The bar: one OHLCV candle of one symbol and interval from one provider (the seed's MarketData, plus the
 * fields a multi-provider, multi-interval store needs).
 */
import { isInterval, type Interval } from './interval.ts';

/** A candle. Times are Unix milliseconds, UTC. Prices and volumes are plain numbers (IEEE doubles). */
export interface Bar {
  /** Provider that produced it, e.g. `binance` or `polygon`. */
  readonly provider: string;
  /** Symbol in the provider's form, e.g. `BTCUSDT`, `AAPL`, `X:BTCUSD`. */
  readonly symbol: string;
  readonly interval: Interval;
  /** Bucket opening time. */
  readonly openTime: number;
  /** Last millisecond of the bucket (`openTime + interval − 1`). */
  readonly closeTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Base-asset volume. */
  readonly volume: number;
  /** Volume-weighted average price, when the provider gives it or it can be derived. */
  readonly vwap: number | null;
  readonly tradeCount: number | null;
  /** True once the bucket has closed; an update of a bar still forming is `false`. */
  readonly final: boolean;
  /** Local receive time. */
  readonly receivedAt: number;
  /** True when the bar came from REST gap backfill rather than the live stream. */
  readonly backfilled?: boolean;
  /**
   * True when the bar replaces values already delivered under the same key (Polygon re-sends corrected minute
   * bars for about 15 minutes, and aggregates containing them are recomputed). Storage upserts it; a strategy
   * sees it again with this flag and should not treat it as a new bar.
   */
  readonly correction?: boolean;
}

/** Identity of a bar in storage: one row per key; a later bar with the same key is a correction. */
export const barKey = (bar: Pick<Bar, 'provider' | 'symbol' | 'interval' | 'openTime'>): string =>
  `${bar.provider}|${bar.symbol}|${bar.interval}|${bar.openTime}`;

/** Identity of a stream (provider, symbol, interval). */
export const streamKey = (bar: Pick<Bar, 'provider' | 'symbol' | 'interval'>): string =>
  `${bar.provider}|${bar.symbol}|${bar.interval}`;

const MAX_TIME_MS = 8.64e15;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Why a bar is not acceptable, or undefined when it is: the one validation of a bar, run where it is decoded
 * (provider parsers, the bus decoder, the writer's public API). It includes the storage limits, so a bar that
 * passes can always be stored and every later stage trusts the `Bar` type.
 */
export const barProblem = (bar: Bar): string | undefined => {
  if (typeof bar !== 'object' || bar === null) return 'not a bar';
  if (typeof bar.provider !== 'string' || bar.provider === '') return 'provider is empty';
  if (typeof bar.symbol !== 'string') return 'symbol is not a string';
  if (!bar.symbol) return 'symbol is empty';
  if (!isInterval(bar.interval)) return `interval ${JSON.stringify(bar.interval)} is unknown`;
  const prices = [bar.open, bar.high, bar.low, bar.close] as const;
  if (!Number.isFinite(bar.openTime) || !Number.isFinite(bar.closeTime)) return 'times are not finite';
  if (bar.closeTime < bar.openTime) return 'closeTime precedes openTime';
  if (prices.some((p) => !Number.isFinite(p))) return 'a price is not a finite number';
  if (prices.some((p) => p < 0)) return 'a price is negative';
  if (!Number.isFinite(bar.volume) || bar.volume < 0) return 'volume is negative or not finite';
  if (bar.high < bar.low) return 'high is below low';
  // Open or close outside [low, high] is not refused: venues' own examples do it (Binance's documented kline
  // frame has open < low), and dropping a real bar is worse than storing it as the venue sent it.
  if (bar.vwap !== null && !Number.isFinite(bar.vwap)) return 'vwap is not finite';
  if (bar.tradeCount !== null && (!Number.isInteger(bar.tradeCount) || bar.tradeCount < 0)) {
    return 'tradeCount is not a non-negative integer';
  }
  // Storage limits: a row the table cannot take would fail every retry of its batch and stall the writer.
  if (!Number.isSafeInteger(bar.openTime) || Math.abs(bar.openTime) > MAX_TIME_MS) return 'openTime is not an integer Unix ms time';
  if (!Number.isFinite(bar.receivedAt) || Math.abs(bar.receivedAt) > MAX_TIME_MS) return 'receivedAt is not a finite Unix ms time';
  if (bar.tradeCount !== null && bar.tradeCount > INT32_MAX) return 'tradeCount exceeds the INTEGER column';
  return undefined;
};
