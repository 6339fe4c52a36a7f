/**
 * Deterministic market data for the Polygon simulator. Every second of every symbol is a pure function of
 * (seed, symbol, second): trades (often none: Polygon sends no bar for a second or minute without trades),
 * prices in whole ticks, volumes in whole lots, so sums are exact. Some minutes are quiet (no trade at all).
 * Minute bars can be corrected: a correction made at time T adds late volume (and a higher high) to the minute,
 * and every view at or after T (REST, the ground truth, aggregates) shows the corrected values.
 */
import { bucketStart, type Interval } from '../../domain/interval.ts';
import { hash32, unit } from '../binance/random.ts';
import { venueNextBucketStart } from './calendar.ts';
import { DayLedger } from './day.ts';
import type { PolygonInstrument } from './instruments.ts';

/** Aggregate in integer units: ticks, lots; `q` sums (o + h + l + c) × v per second (4 × VWAP × volume, in ticks). */
export interface SimAgg {
  readonly n: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly q: number;
}

/** A bar as numbers, in the shape of a REST `results` row (index rows carry no v, vw or n, as on the venue). */
export interface SimRow {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v?: number;
  readonly vw?: number;
  readonly n?: number;
}

/** Market data settings. */
export interface MarketSettings {
  /** Fraction of minutes without any trade. */
  readonly quietMinuteRate: number;
  /** Fraction of minute bars corrected `correctionDelayMs` after their window ends. */
  readonly correctionRate: number;
  readonly correctionDelayMs: number;
}

const CH_TRADES = 11;
const CH_PRICE = 12;
const CH_QUIET = 13;
const CH_CORRECT = 14;
const MINUTE_MS = 60_000;

const round = (x: number): number => Math.floor(x + 0.5);

/** Adds the aggregate `a`, which follows `acc` in time. */
export const combine = (acc: SimAgg | undefined, a: SimAgg): SimAgg =>
  acc === undefined ? a : { n: acc.n + a.n, o: acc.o, h: Math.max(acc.h, a.h), l: Math.min(acc.l, a.l), c: a.c, v: acc.v + a.v, q: acc.q + a.q };

/** Converts an aggregate to numbers; markets without volume (indices) carry neither volume nor trade count. */
export const toRow = (inst: PolygonInstrument, t: number, a: SimAgg): SimRow => {
  const p = 10 ** inst.priceDecimals;
  const base = { t, o: a.o / p, h: a.h / p, l: a.l / p, c: a.c / p };
  if (!inst.hasVolume) return base;
  return { ...base, v: a.v / 10 ** inst.volumeDecimals, vw: a.q / (4 * a.v) / p, n: a.n };
};

/** The simulated market of a catalogue. */
export class PolygonMarket {
  readonly settings: MarketSettings;
  /** Day-to-date values (`av`, `op`, `a`) over this market. */
  readonly day: DayLedger = new DayLedger(this);
  private readonly minutes = new Map<number, SimAgg | null>();
  private readonly manual = new Map<string, number[]>();
  private readonly silences = new Map<number, [number, number][]>();
  private silenced = 0;

  constructor(settings: MarketSettings) {
    this.settings = settings;
  }

  /** The trades of one second (`sec` in Unix seconds), or undefined when there were none. */
  second(inst: PolygonInstrument, sec: number): SimAgg | undefined {
    if (this.quiet(inst, Math.floor(sec / 60))) return undefined;
    const a = hash32(inst.key, sec, CH_TRADES);
    const n = a % (inst.activity + 1);
    if (n === 0) return undefined;
    const b = hash32(inst.key, sec, CH_PRICE);
    let wave = 0;
    for (const w of inst.waves) wave += w.amplitude * Math.sin((2 * Math.PI * sec) / w.period + w.phase);
    const mid = inst.baseTicks * Math.exp(wave) * (1 + 0.0004 * ((b >>> 20) / 2048 - 1));
    let o = Math.max(1, round(mid));
    let c = o;
    let h = o;
    let l = o;
    if (n > 1) {
      o = Math.max(1, round(mid * (1 + 0.0001 * (((b >>> 10) & 0x3ff) / 512 - 1))));
      c = Math.max(1, round(mid * (1 + 0.0001 * ((b & 0x3ff) / 512 - 1))));
      h = Math.max(o, c) + ((a >>> 8) & 3);
      l = Math.max(1, Math.min(o, c) - ((a >>> 10) & 3));
    }
    const v = !inst.hasVolume ? 0 : inst.feed === 'forex' ? n : n * Math.max(1, round(inst.tradeLots * (0.3 + (1.4 * ((a >>> 16) & 0xff)) / 256)));
    return { n, o, h, l, c, v, q: (o + h + l + c) * v };
  }

  /** The minute opening at `openTime` as it stood at market time `at` (corrections made by then applied). */
  minute(inst: PolygonInstrument, openTime: number, at: number): SimAgg | undefined {
    const base = this.baseMinute(inst, openTime);
    if (!base) return undefined;
    const k = this.versions(inst, openTime, at);
    if (k === 0 || !inst.hasVolume) return k === 0 ? base : { ...base, n: base.n + k, h: base.h + k };
    const extra = k * Math.max(1, Math.floor(base.v / 10));
    const h = base.h + k;
    return { ...base, n: base.n + k, h, v: base.v + extra, q: base.q + extra * 4 * h };
  }

  /** The bar of any interval opening at `openTime` (a venue window start) as it stood at `at`: seconds for 1s, corrected minutes otherwise. */
  window(inst: PolygonInstrument, interval: Interval, openTime: number, at: number): SimAgg | undefined {
    if (interval === '1s') return this.second(inst, openTime / 1000);
    let acc: SimAgg | undefined;
    const end = venueNextBucketStart(inst.feed, interval, openTime);
    for (let t = openTime; t < end; t += MINUTE_MS) {
      const m = this.minute(inst, t, at);
      if (m) acc = combine(acc, m);
    }
    return acc;
  }

  /** Market time at which the scheduled correction of a minute is made, or undefined when it has none. */
  scheduledCorrection(inst: PolygonInstrument, openTime: number): number | undefined {
    const { correctionRate, correctionDelayMs } = this.settings;
    if (correctionRate <= 0 || unit(hash32(inst.key, openTime / MINUTE_MS, CH_CORRECT)) >= correctionRate) return undefined;
    return openTime + MINUTE_MS + correctionDelayMs;
  }

  /** Records a correction of a minute made at market time `at`. */
  addCorrection(inst: PolygonInstrument, openTime: number, at: number): void {
    const key = `${inst.index}:${openTime}`;
    this.manual.set(key, [...(this.manual.get(key) ?? []), at]);
  }

  /** Makes the minutes in [from, to) quiet (no trades); meant for windows not yet published. */
  silence(inst: PolygonInstrument, from: number, to: number): void {
    this.silenced++;
    this.silences.set(inst.index, [...(this.silences.get(inst.index) ?? []), [bucketStart('1m', from), to]]);
    for (let t = bucketStart('1m', from); t < to; t += MINUTE_MS) this.minutes.delete(this.cacheKey(inst, t));
  }

  /** Open times of the minutes of `inst` corrected by hand (`correct()`), in no order. */
  manualCorrections(inst: PolygonInstrument): number[] {
    const prefix = `${inst.index}:`;
    return [...this.manual.keys()].filter((k) => k.startsWith(prefix)).map((k) => Number(k.slice(prefix.length)));
  }

  /** Counts `silence()` calls: views built on base minutes are stale once it changes. */
  get revision(): number {
    return this.silenced;
  }

  private versions(inst: PolygonInstrument, openTime: number, at: number): number {
    const scheduled = this.scheduledCorrection(inst, openTime);
    const manual = this.manual.get(`${inst.index}:${openTime}`) ?? [];
    return (scheduled !== undefined && at >= scheduled ? 1 : 0) + manual.filter((t) => t <= at).length;
  }

  private quiet(inst: PolygonInstrument, minute: number): boolean {
    const t = minute * MINUTE_MS;
    if ((this.silences.get(inst.index) ?? []).some(([from, to]) => t >= from && t < to)) return true;
    return unit(hash32(inst.key, minute, CH_QUIET)) < this.settings.quietMinuteRate;
  }

  private cacheKey(inst: PolygonInstrument, openTime: number): number {
    return inst.index * 1e9 + openTime / MINUTE_MS;
  }

  /** The minute opening at `openTime` before any correction. */
  baseMinute(inst: PolygonInstrument, openTime: number): SimAgg | undefined {
    const key = this.cacheKey(inst, openTime);
    const hit = this.minutes.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let acc: SimAgg | undefined;
    const first = openTime / 1000;
    for (let s = first; s < first + 60; s++) {
      const sec = this.second(inst, s);
      if (sec) acc = combine(acc, sec);
    }
    if (this.minutes.size > 500_000) this.minutes.clear();
    this.minutes.set(key, acc ?? null);
    return acc;
  }
}
