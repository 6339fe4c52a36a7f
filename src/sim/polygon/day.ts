/**
 * Day-to-date values of the simulator's stock, option and index aggregates: `av` (the day's volume so far), `op`
 * (the day's opening price: the first trade since the exchange-local midnight) and `a` (the day's VWAP so far),
 * as the venue sends them on every `AM` / `A` event (indices carry `op` only). A day opens at New York midnight
 * (calendar.ts). Whole minutes are summed from prefix sums of the uncorrected minutes, plus the corrections made
 * by the time asked, so each value costs a handful of lookups rather than a day of seconds.
 * Source: StockMinuteAggregateEvent in `.massive/websocket.json` (massive-com/client-python).
 */
import { bucketStart } from '../../domain/interval.ts';
import { newYorkDayStart } from './calendar.ts';
import type { PolygonInstrument } from './instruments.ts';
import type { PolygonMarket, SimAgg } from './market.ts';

const MINUTE_MS = 60_000;

/** Day-to-date totals in integer units: lots, ticks (`q` as in {@link SimAgg}), the day's first open. */
export interface DayTotals {
  readonly v: number;
  readonly q: number;
  readonly open: number;
}

interface Prefix {
  readonly dayStart: number;
  /** v[k], q[k]: sums over the first k minutes of the day. */
  readonly v: number[];
  readonly q: number[];
  /** Open of the day's first minute with trades, and that minute's index, once known. */
  open: number | undefined;
  firstIndex: number;
  /** Minutes of the day with a scheduled correction, and when it is made. */
  readonly scheduled: readonly (readonly [number, number])[];
}

/** Day-to-date totals over a simulated market. */
export class DayLedger {
  private readonly market: PolygonMarket;
  private readonly prefixes = new Map<string, Prefix>();
  private revision = -1;

  constructor(market: PolygonMarket) {
    this.market = market;
  }

  /** Totals of the day containing `end − 1`, over trades before `end`, as they stood at `at`; undefined before the day's first trade. */
  totals(inst: PolygonInstrument, end: number, at: number): DayTotals | undefined {
    const p = this.prefix(inst, newYorkDayStart(end - 1));
    const wholeEnd = bucketStart('1m', end);
    const k = (wholeEnd - p.dayStart) / MINUTE_MS;
    this.extend(inst, p, k);
    let v = p.v[k]!;
    let q = p.q[k]!;
    let open = p.firstIndex < k ? p.open : undefined;
    for (const t of this.corrected(inst, p, wholeEnd, at)) {
      const base = this.market.baseMinute(inst, t);
      const now = this.market.minute(inst, t, at);
      if (!base || !now) continue;
      v += now.v - base.v;
      q += now.q - base.q;
    }
    for (let s = wholeEnd / 1000; s < end / 1000; s++) {
      const sec = this.market.second(inst, s);
      if (!sec) continue;
      open ??= sec.o;
      v += sec.v;
      q += sec.q;
    }
    return open === undefined ? undefined : { v, q, open };
  }

  private prefix(inst: PolygonInstrument, dayStart: number): Prefix {
    if (this.revision !== this.market.revision) {
      this.prefixes.clear();
      this.revision = this.market.revision;
    }
    const key = `${inst.index}:${dayStart}`;
    let p = this.prefixes.get(key);
    if (!p) {
      const scheduled: [number, number][] = [];
      for (let t = dayStart; t < dayStart + 25 * 60 * MINUTE_MS; t += MINUTE_MS) {
        const at = this.market.scheduledCorrection(inst, t);
        if (at !== undefined) scheduled.push([t, at]);
      }
      p = { dayStart, v: [0], q: [0], open: undefined, firstIndex: Number.POSITIVE_INFINITY, scheduled };
      if (this.prefixes.size > 256) this.prefixes.clear();
      this.prefixes.set(key, p);
    }
    return p;
  }

  private extend(inst: PolygonInstrument, p: Prefix, k: number): void {
    for (let i = p.v.length - 1; i < k; i++) {
      const m: SimAgg | undefined = this.market.baseMinute(inst, p.dayStart + i * MINUTE_MS);
      p.v.push(p.v[i]! + (m?.v ?? 0));
      p.q.push(p.q[i]! + (m?.q ?? 0));
      if (m && p.open === undefined) {
        p.open = m.o;
        p.firstIndex = i;
      }
    }
  }

  /** Whole minutes of the day before `wholeEnd` that carry a correction made by `at`. */
  private corrected(inst: PolygonInstrument, p: Prefix, wholeEnd: number, at: number): Set<number> {
    const out = new Set<number>();
    for (const [t, when] of p.scheduled) if (t < wholeEnd && when <= at) out.add(t);
    for (const t of this.market.manualCorrections(inst)) if (t >= p.dayStart && t < wholeEnd) out.add(t);
    return out;
  }
}
