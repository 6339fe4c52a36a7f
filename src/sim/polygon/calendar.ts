/**
 * The venue's window boundaries for the Massive (formerly Polygon) simulator. US markets (stocks, options,
 * indices) open day bars at exchange-local midnight, America/New_York (05:00 UTC in winter, 04:00 in summer), as
 * the REST spec's day-bar examples show (AAPL `t` 1577941200000 = 2020-01-02T05:00Z; an option's 1632369600000 =
 * 2021-09-23T04:00Z); crypto and forex day bars, and every other interval, open on the project's UTC buckets.
 * Source: `.massive/rest.json` in massive-com/client-python (test/fixtures/massive/rest_aggs.json).
 */
import { bucketStart, nextBucketStart, type Interval } from '../../domain/interval.ts';
import type { PolygonFeed } from '../../providers/polygon/messages.ts';

const HOUR_MS = 3_600_000;
const ZONE = 'America/New_York';
const dateParts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: 'numeric', day: 'numeric' });
const offsetName = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, timeZoneName: 'shortOffset' });
const dayStarts = new Map<number, number>();

/** Minutes east of UTC in New York at `t` (−300 in winter, −240 in summer). */
const offsetMinutes = (t: number): number => {
  const name = offsetName.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT-5';
  const m = /GMT([+-])(\d{1,2})(?::(\d{2}))?/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
};

/** The UTC instant of midnight in New York on the New York date that contains `t`. */
export const newYorkDayStart = (t: number): number => {
  const parts = Object.fromEntries(dateParts.formatToParts(t).map((p) => [p.type, p.value]));
  const utcMidnight = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day));
  let start = dayStarts.get(utcMidnight);
  if (start === undefined) {
    // DST changes at 02:00 local, so the offset an hour or so after midnight is midnight's own.
    start = utcMidnight - offsetMinutes(utcMidnight + 5 * HOUR_MS) * 60_000;
    if (dayStarts.size > 10_000) dayStarts.clear();
    dayStarts.set(utcMidnight, start);
  }
  return start;
};

/** True when the market's day bars open at New York midnight. */
export const usesExchangeDay = (feed: PolygonFeed): boolean => feed === 'stocks' || feed === 'options' || feed === 'indices';

/** Opening time of the venue's window of `interval` that contains `t` on a market. */
export const venueBucketStart = (feed: PolygonFeed, interval: Interval, t: number): number =>
  interval === '1d' && usesExchangeDay(feed) ? newYorkDayStart(t) : bucketStart(interval, t);

/** Opening time of the venue's window after the one opening at `start` (days of 23 or 25 hours at DST changes). */
export const venueNextBucketStart = (feed: PolygonFeed, interval: Interval, start: number): number =>
  interval === '1d' && usesExchangeDay(feed) ? newYorkDayStart(start + 26 * HOUR_MS) : nextBucketStart(interval, start);

/** Starts of the venue's windows of `interval` opening in [from, to] that have ended by `now`. */
export const venueWindowStarts = (feed: PolygonFeed, interval: Interval, from: number, to: number, now: number): number[] => {
  const out: number[] = [];
  let t = venueBucketStart(feed, interval, from);
  if (t < from) t = venueNextBucketStart(feed, interval, t);
  for (; t <= to; t = venueNextBucketStart(feed, interval, t)) {
    if (venueNextBucketStart(feed, interval, t) > now) break;
    out.push(t);
  }
  return out;
};
