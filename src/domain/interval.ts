/**
 * Bar intervals: the Binance set (`1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M`), parsing,
 * durations and UTC bucket alignment. Weeks open on Monday 00:00 UTC and months on the 1st, as on Binance.
 */

/** Every interval the project knows, finest first. */
export const INTERVALS = [
  '1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M',
] as const;

/** One of {@link INTERVALS}. */
export type Interval = (typeof INTERVALS)[number];

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// 1970-01-01 was a Thursday; Binance weeks open on Monday, four days later.
const WEEK_OFFSET = 4 * DAY;

const FIXED_MS: Record<Exclude<Interval, '1M'>, number> = {
  '1s': SECOND, '1m': MINUTE, '3m': 3 * MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE,
  '1h': HOUR, '2h': 2 * HOUR, '4h': 4 * HOUR, '6h': 6 * HOUR, '8h': 8 * HOUR, '12h': 12 * HOUR,
  '1d': DAY, '3d': 3 * DAY, '1w': 7 * DAY,
};

/** True when `value` is a known interval (case-sensitive: `1m` is a minute, `1M` a month). */
export const isInterval = (value: unknown): value is Interval =>
  typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);

/** Parses an interval string, or returns undefined when it is not one of {@link INTERVALS}. */
export const parseInterval = (value: string): Interval | undefined => (isInterval(value) ? value : undefined);

/** Nominal duration in ms; a month counts 30 days (use {@link bucketEnd} for exact month ends). */
export const intervalMs = (interval: Interval): number => (interval === '1M' ? 30 * DAY : FIXED_MS[interval]);

/** Opening time (ms, UTC) of the bucket of `interval` that contains `t`. */
export const bucketStart = (interval: Interval, t: number): number => {
  if (interval === '1M') {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const size = FIXED_MS[interval];
  const offset = interval === '1w' ? WEEK_OFFSET : 0;
  return Math.floor((t - offset) / size) * size + offset;
};

/** Opening time of the bucket after the one that opens at `start` (exclusive end of that bucket). */
export const nextBucketStart = (interval: Interval, start: number): number => {
  if (interval === '1M') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + FIXED_MS[interval];
};

/** Close time as Binance reports it: the last millisecond of the bucket (`T = t + interval − 1`). */
export const bucketEnd = (interval: Interval, start: number): number => nextBucketStart(interval, start) - 1;

/** True when every bucket of `coarse` is an exact union of buckets of `fine` (so `fine` can be aggregated). */
export const divides = (fine: Interval, coarse: Interval): boolean => {
  if (fine === coarse) return true;
  if (coarse === '1M') return intervalMs(fine) <= DAY;
  if (fine === '1M') return false;
  if (coarse === '1w') return intervalMs(fine) <= DAY;
  return FIXED_MS[coarse] % FIXED_MS[fine] === 0 && FIXED_MS[coarse] > FIXED_MS[fine];
};
