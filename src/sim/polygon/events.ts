/**
 * Wire events of the Massive (formerly Polygon) simulator: the aggregate events a subscription parameter produces
 * over one market step (bars of windows that ended in it, and the corrections made in it), status events, and
 * garbage frames. Fields and their order follow the spec's examples: stock and option `AM` / `A` carry the day's
 * `av`, `op` and `a` (day.ts); index `AM` / `A` carry `op` and no volume, and their `s` and `e` are one instant
 * inside the window (`s == e`); `XA` / `XAS` carry `v`, `vw`, `z`; `CA` / `CAS` carry `v` and no end time.
 * Source: `.massive/websocket.json` in massive-com/client-python (test/fixtures/massive/ws_aggregates.json).
 */
import type { PolygonAggregateEventType, PolygonFeed, PolygonStatusEvent } from '../../providers/polygon/messages.ts';
import { parseStreamParam } from '../../providers/polygon/symbols.ts';
import type { PolygonCatalogue, PolygonInstrument } from './instruments.ts';
import { toRow, type PolygonMarket, type SimAgg } from './market.ts';

const MINUTE_MS = 60_000;

/** The aggregate events each market carries. */
export const FEED_EVENTS: Readonly<Record<PolygonFeed, readonly PolygonAggregateEventType[]>> = {
  stocks: ['AM', 'A'], options: ['AM', 'A'], indices: ['AM', 'A'], crypto: ['XA', 'XAS'], forex: ['CA', 'CAS'],
};

const SECOND_EVENTS: ReadonlySet<PolygonAggregateEventType> = new Set(['A', 'XAS', 'CAS']);

/** Window size of an event type. */
export const eventWindowMs = (ev: PolygonAggregateEventType): number => (SECOND_EVENTS.has(ev) ? 1_000 : MINUTE_MS);

/** A status event. */
export const statusEvent = (status: string, message: string): PolygonStatusEvent => ({ ev: 'status', status, message });

/** The wire event of one bar, with the day's values as they stood at `at` (the window end, or a correction's time). */
export const aggregateEvent = (market: PolygonMarket, inst: PolygonInstrument, ev: PolygonAggregateEventType, openTime: number, a: SimAgg, at: number): Record<string, unknown> => {
  const row = toRow(inst, openTime, a);
  const size = eventWindowMs(ev);
  const e = openTime + size;
  const ohlc = { o: row.o, c: row.c, h: row.h, l: row.l };
  switch (ev) {
    case 'XA':
    case 'XAS':
      return { ev, pair: inst.symbol, v: row.v, vw: row.vw, z: Math.max(1, Math.round(row.v! / a.n)), ...ohlc, s: openTime, e };
    case 'CA':
    case 'CAS':
      return { ev, pair: inst.symbol, ...ohlc, v: row.v, s: openTime };
  }
  const p = 10 ** inst.priceDecimals;
  const day = market.day.totals(inst, e, at);
  const op = day ? day.open / p : row.o;
  if (!inst.hasVolume) {
    // An index event is stamped with one instant inside its window, not with the window's bounds.
    const instant = e - 1 - ((openTime / 1_000) % Math.min(1_000, size));
    return { ev, sym: inst.symbol, op, ...ohlc, s: instant, e: instant };
  }
  const dayVolume = day ? day.v / 10 ** inst.volumeDecimals : row.v!;
  const dayVwap = day && day.v > 0 ? day.q / (4 * day.v) / p : row.vw!;
  return {
    ev, sym: inst.symbol, v: row.v, av: dayVolume, op, vw: row.vw, ...ohlc, a: dayVwap,
    z: Math.max(1, Math.round(row.v! / a.n)), s: openTime, e,
  };
};

/** Instruments and event type a subscription parameter selects (wildcard `AM.*` included); empty when none. */
export const selectInstruments = (catalogue: PolygonCatalogue, feed: PolygonFeed, param: string): { ev: PolygonAggregateEventType; instruments: PolygonInstrument[] } | undefined => {
  const p = parseStreamParam(param);
  const ev = p?.event as PolygonAggregateEventType | undefined;
  if (!p || !ev || !FEED_EVENTS[feed].includes(ev)) return undefined;
  const all = catalogue.byFeed.get(feed) ?? [];
  return { ev, instruments: p.symbol === '*' ? [...all] : all.filter((i) => i.symbol === p.symbol) };
};

/** The events of one parameter over one step, and how many of them are corrections. */
export interface StepEvents {
  readonly events: readonly Record<string, unknown>[];
  readonly corrections: number;
}

/** Events of a parameter for the market step (from, to]: bars whose window ended in it, then corrections made in it. */
export const stepEvents = (market: PolygonMarket, catalogue: PolygonCatalogue, feed: PolygonFeed, param: string, from: number, to: number): StepEvents => {
  const sel = selectInstruments(catalogue, feed, param);
  if (!sel) return { events: [], corrections: 0 };
  const out: Record<string, unknown>[] = [];
  let corrections = 0;
  const size = eventWindowMs(sel.ev);
  const seconds = size === 1_000;
  for (const inst of sel.instruments) {
    for (let end = Math.floor(from / size) * size + size; end <= to; end += size) {
      const t = end - size;
      const a = seconds ? market.second(inst, t / 1000) : market.minute(inst, t, end);
      if (a) out.push(aggregateEvent(market, inst, sel.ev, t, a, end));
    }
    if (seconds) continue;
    const lag = MINUTE_MS + market.settings.correctionDelayMs;
    for (let t = Math.floor((from - lag) / MINUTE_MS) * MINUTE_MS + MINUTE_MS; t + lag <= to; t += MINUTE_MS) {
      const at = market.scheduledCorrection(inst, t);
      if (at === undefined || at <= from) continue;
      const a = market.minute(inst, t, at);
      if (!a) continue;
      out.push(aggregateEvent(market, inst, sel.ev, t, a, at));
      corrections++;
    }
  }
  return { events: out, corrections };
};

const GARBAGE = [
  '{"ev":"AM","sym":"AAPL","o":',
  '{"ev":"status","status":"success","message":"not an array"}',
  '[{"ev":"AM","sym":"AAPL","o":null,"c":1,"h":1,"l":1,"s":0,"e":60000}]',
  '[{"ev":"XA","pair":"BTC-USD","o":1,"c":1,"h":0.5,"l":2,"v":1,"s":0,"e":60000}]',
  '<html><head><title>502 Bad Gateway</title></head></html>',
  '[{"ev":7}]',
];

/** One garbage frame; `pick` in [0, 1) chooses which. */
export const garbageFrame = (pick: number): string => GARBAGE[Math.floor(pick * GARBAGE.length)] ?? GARBAGE[0]!;
