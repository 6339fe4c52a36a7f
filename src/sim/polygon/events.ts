/**
 * Wire events of the Polygon simulator: the aggregate events a subscription parameter produces over one market
 * step (bars of windows that ended in it, and the corrections made in it), status events, and garbage frames.
 * The day fields of `AM` (`av`, `op`, `a`) are not simulated.
 */
import type { PolygonAggregateEventType, PolygonFeed, PolygonStatusEvent } from '../../providers/polygon/messages.ts';
import { parseStreamParam } from '../../providers/polygon/symbols.ts';
import type { PolygonCatalogue, PolygonInstrument } from './instruments.ts';
import { toRow, type PolygonMarket, type SimAgg } from './market.ts';

const MINUTE_MS = 60_000;

/** The aggregate events each market carries. */
export const FEED_EVENTS: Readonly<Record<PolygonFeed, readonly PolygonAggregateEventType[]>> = {
  stocks: ['AM', 'A'], options: ['AM', 'A'], indices: ['AM', 'A'], crypto: ['XA'], forex: ['CA'],
};

/** A status event. */
export const statusEvent = (status: string, message: string): PolygonStatusEvent => ({ ev: 'status', status, message });

/** The wire event of one bar. */
export const aggregateEvent = (inst: PolygonInstrument, ev: PolygonAggregateEventType, openTime: number, a: SimAgg): Record<string, unknown> => {
  const row = toRow(inst, openTime, a);
  const e = openTime + (ev === 'A' ? 1_000 : MINUTE_MS);
  const volume = row.v === undefined ? {} : { v: row.v, vw: row.vw, z: Math.max(1, Math.round(row.v / a.n)) };
  switch (ev) {
    case 'XA':
      return { ev, pair: inst.symbol, ...volume, o: row.o, c: row.c, h: row.h, l: row.l, s: openTime, e };
    case 'CA':
      return { ev, pair: inst.symbol, o: row.o, c: row.c, h: row.h, l: row.l, v: row.v, s: openTime };
    default:
      return { ev, sym: inst.symbol, ...volume, o: row.o, c: row.c, h: row.h, l: row.l, s: openTime, e };
  }
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
  const size = sel.ev === 'A' ? 1_000 : MINUTE_MS;
  for (const inst of sel.instruments) {
    for (let end = Math.floor(from / size) * size + size; end <= to; end += size) {
      const t = end - size;
      const a = sel.ev === 'A' ? market.second(inst, t / 1000) : market.minute(inst, t, end);
      if (a) out.push(aggregateEvent(inst, sel.ev, t, a));
    }
    if (sel.ev === 'A') continue;
    const lag = MINUTE_MS + market.settings.correctionDelayMs;
    for (let t = Math.floor((from - lag) / MINUTE_MS) * MINUTE_MS + MINUTE_MS; t + lag <= to; t += MINUTE_MS) {
      const at = market.scheduledCorrection(inst, t);
      if (at === undefined || at <= from) continue;
      const a = market.minute(inst, t, at);
      if (!a) continue;
      out.push(aggregateEvent(inst, sel.ev, t, a));
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
