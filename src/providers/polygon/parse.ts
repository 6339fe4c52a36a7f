/**
 * Pure decoding of Massive (formerly Polygon) frames. A frame is a JSON array of events, status and data mixed;
 * each element is decoded on its own, so one bad element never hides the good ones beside it. Aggregate events
 * (`AM`, `A`, `XA`, `XAS`, `CA`, `CAS`) become closed bars; REST aggregate rows become closed, backfilled bars.
 * The event type gives the window size; `s` may be an instant inside the window rather than its start (index
 * events carry `s == e`, e.g. the spec's `I:SPX` example), so the bar opens at the window containing `s`.
 * Source: `.massive/websocket.json` in massive-com/client-python.
 */
import type { Bar } from '../../domain/bar.ts';
import { barProblem } from '../../domain/bar.ts';
import { bucketStart, intervalMs } from '../../domain/interval.ts';
import { POLYGON_AGGREGATE_EVENTS, type PolygonAggregateEventType } from './messages.ts';
import type { PushedInterval } from './symbols.ts';

/** What one element of a frame turned out to be. */
export type PolygonMessage =
  | { readonly kind: 'status'; readonly status: string; readonly message: string }
  | { readonly kind: 'bar'; readonly event: PolygonAggregateEventType; readonly stream: string; readonly bar: Bar }
  /** A well-formed event of a type the provider does not turn into bars (trades, quotes...). */
  | { readonly kind: 'other'; readonly event: string }
  | { readonly kind: 'malformed'; readonly reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const optNum = (v: unknown): number | null | string =>
  v === undefined || v === null ? null : typeof v === 'number' && Number.isFinite(v) ? v : 'not a number';

const INTERVAL_OF: Record<PolygonAggregateEventType, PushedInterval> = { AM: '1m', A: '1s', XA: '1m', XAS: '1s', CA: '1m', CAS: '1s' };
const BY_PAIR: ReadonlySet<string> = new Set(['XA', 'XAS', 'CA', 'CAS']);

const isAggregateEvent = (ev: unknown): ev is PolygonAggregateEventType => (POLYGON_AGGREGATE_EVENTS as readonly unknown[]).includes(ev);

/** Builds a bar from an aggregate event object, or returns why it cannot. */
export const aggregateToBar = (ev: Record<string, unknown>, receivedAt: number): { event: PolygonAggregateEventType; bar: Bar } | string => {
  const type = ev.ev;
  if (!isAggregateEvent(type)) return `not an aggregate event: ${JSON.stringify(type)}`;
  const interval = INTERVAL_OF[type];
  const byPair = BY_PAIR.has(type);
  const symbol = byPair ? ev.pair : ev.sym;
  if (typeof symbol !== 'string' || symbol.length === 0) return `${type} without ${byPair ? 'pair' : 'sym'}`;
  const s = ev.s;
  if (typeof s !== 'number' || !Number.isInteger(s)) return `${type} ${symbol}: window start is not an integer`;
  const size = intervalMs(interval);
  const openTime = bucketStart(interval, s);
  // Either a whole window (s its start, e its end) or one instant inside it (s == e, as index events carry).
  const whole = s === openTime && (ev.e === undefined || ev.e === s + size);
  if (!whole && ev.e !== s) {
    return `${type} ${symbol}: window ${s}..${JSON.stringify(ev.e)} is neither one ${interval} window nor an instant in one`;
  }
  const volume = optNum(ev.v);
  const vwap = optNum(ev.vw);
  if (typeof volume === 'string' || typeof vwap === 'string') return `${type} ${symbol}: volume or vwap is not a number`;
  const bar: Bar = {
    provider: 'polygon', symbol, interval, openTime, closeTime: openTime + size - 1,
    open: num(ev.o), high: num(ev.h), low: num(ev.l), close: num(ev.c), volume: volume ?? 0,
    // A window VWAP of 0 with no volume says nothing; the wire carries no trade count (z is the average size).
    vwap: vwap !== null && (volume ?? 0) > 0 ? vwap : null,
    tradeCount: null, final: true, receivedAt,
  };
  const problem = barProblem(bar);
  return problem ? `${type} ${symbol}: ${problem}` : { event: type, bar };
};

/** Decodes one element of a frame. */
export const parsePolygonEvent = (el: unknown, receivedAt: number): PolygonMessage => {
  if (!isObject(el)) return { kind: 'malformed', reason: 'frame element is not an object' };
  const ev = el.ev;
  if (ev === 'status') {
    if (typeof el.status !== 'string') return { kind: 'malformed', reason: 'status event without status' };
    return { kind: 'status', status: el.status, message: typeof el.message === 'string' ? el.message : '' };
  }
  if (isAggregateEvent(ev)) {
    const decoded = aggregateToBar(el, receivedAt);
    if (typeof decoded === 'string') return { kind: 'malformed', reason: decoded };
    return { kind: 'bar', event: decoded.event, stream: `${decoded.event}.${decoded.bar.symbol}`, bar: decoded.bar };
  }
  if (typeof ev === 'string' && /^[A-Z]{1,4}$/.test(ev)) return { kind: 'other', event: ev };
  return { kind: 'malformed', reason: `unknown event type ${JSON.stringify(ev)}` };
};

/** Decodes one text frame into its events, in order. Never throws. */
export const parsePolygonFrame = (text: string, receivedAt: number): PolygonMessage[] => {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return [{ kind: 'malformed', reason: 'not JSON' }];
  }
  if (!Array.isArray(msg)) return [{ kind: 'malformed', reason: 'frame is not a JSON array' }];
  return msg.map((el) => parsePolygonEvent(el, receivedAt));
};

/** The values of a REST aggregate row; `v`, `vw` and `n` are null where the row has none (index rows). */
export interface AggRowValues {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number | null;
  readonly vw: number | null;
  readonly n: number | null;
}

/** Reads the values of a REST aggregate row, or returns why it cannot. */
export const aggRowValues = (row: unknown): AggRowValues | string => {
  if (!isObject(row)) return 'result row is not an object';
  const t = row.t;
  if (typeof t !== 'number' || !Number.isInteger(t)) return `result time ${JSON.stringify(t)} is not an integer`;
  const v = optNum(row.v);
  const vw = optNum(row.vw);
  const n = optNum(row.n);
  if (typeof v === 'string' || typeof vw === 'string' || typeof n === 'string') return 'volume, vwap or count is not a number';
  return { t, o: num(row.o), h: num(row.h), l: num(row.l), c: num(row.c), v, vw, n };
};

/** Converts a REST aggregate row into a closed, backfilled bar of `symbol`, or returns why it cannot (a row without `n` has no trade count). */
export const aggRowToBar = (row: unknown, symbol: string, interval: PushedInterval, receivedAt: number): Bar | string => {
  const r = aggRowValues(row);
  if (typeof r === 'string') return r;
  if (bucketStart(interval, r.t) !== r.t) return `result time ${r.t} is not a ${interval} window start`;
  const bar: Bar = {
    provider: 'polygon', symbol, interval, openTime: r.t, closeTime: r.t + intervalMs(interval) - 1,
    open: r.o, high: r.h, low: r.l, close: r.c, volume: r.v ?? 0,
    vwap: r.vw !== null && (r.v ?? 0) > 0 ? r.vw : null, tradeCount: r.n,
    final: true, receivedAt, backfilled: true,
  };
  return barProblem(bar) ?? bar;
};
