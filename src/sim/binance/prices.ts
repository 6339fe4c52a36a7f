/**
 * Deterministic market data: every second of every symbol is a pure function of (seed, symbol, second), and
 * a bar of any interval is the exact aggregate of its seconds, so a 1h bar equals the aggregate of its 1m
 * bars. A second costs well under a microsecond; minute, hour and day aggregates are cached, so a monthly bar
 * is a few dozen lookups once its days have been seen.
 *
 * The price is a trend (three sine waves per symbol, evaluated at minute knots and interpolated) times a
 * little per-second noise; trades, volumes and wicks come from hashes.
 * Prices are whole ticks and quantities whole lots (exact sums); quote volumes are ticks × lots.
 */
import type { Instrument } from './instruments.ts';
import { hash32 } from './random.ts';

/** Aggregate of a run of seconds; `n = 0` means no trades, and then the other fields are meaningless. */
export interface Aggregate {
  readonly n: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly V: number;
  readonly q: number;
  readonly Q: number;
  /** First and last trade id. */
  readonly f: number;
  readonly L: number;
}

/** On-demand market data of a catalogue of instruments. */
export interface MarketData {
  /** First second with trades (the simulated listing time, a UTC day boundary, in seconds). */
  readonly listedAtSec: number;
  /** Aggregate of the seconds in [fromSec, toSec). */
  aggregate(instrument: Instrument, fromSec: number, toSec: number): Aggregate;
  /** Close (ticks) of the last second with trades before `sec`: the price a bar without trades shows. */
  lastPriceBefore(instrument: Instrument, sec: number): number;
}

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
const KEY_STRIDE = 4_294_967_296;

// Math.round is several times slower than floor in V8's optimised code; values here are positive.
const round = (x: number): number => Math.floor(x + 0.5);

// Hash channels, so that each use of randomness is independent of the others.
const CH_TRADES = 1;
const CH_PRICE = 2;
const CH_KNOT = 3;

class Accumulator {
  n = 0; o = 0; h = 0; l = 0; c = 0; v = 0; V = 0; q = 0; Q = 0; f = -1; L = -1;

  add(a: Aggregate): void {
    if (a.n > 0) this.addTrades(a.n, a.o, a.h, a.l, a.c, a.v, a.V, a.q, a.Q, a.f, a.L);
  }

  addTrades(
    n: number, o: number, h: number, l: number, c: number, v: number, V: number, q: number, Q: number,
    f: number, L: number,
  ): void {
    if (this.n === 0) {
      this.o = o; this.h = h; this.l = l; this.f = f;
    } else {
      if (h > this.h) this.h = h;
      if (l < this.l) this.l = l;
    }
    this.n += n; this.c = c; this.v += v; this.V += V; this.q += q; this.Q += Q; this.L = L;
  }

  snapshot(): Aggregate {
    const { n, o, h, l, c, v, V, q, Q, f, L } = this;
    return { n, o, h, l, c, v, V, q, Q, f, L };
  }
}

class BoundedCache {
  readonly #map = new Map<number, Aggregate>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  get(key: number): Aggregate | undefined {
    return this.#map.get(key);
  }
  set(key: number, value: Aggregate): void {
    if (this.#map.size >= this.#max) {
      // Evict the oldest quarter: cheap, and recent buckets (the ones streams need) survive.
      let drop = this.#max >> 2;
      for (const k of this.#map.keys()) {
        if (drop-- <= 0) break;
        this.#map.delete(k);
      }
    }
    this.#map.set(key, value);
  }
}

/** Creates the market data of a catalogue; `listedAt` (ms) is floored to a UTC day. */
export const createMarketData = (listedAt: number): MarketData => {
  const listedAtSec = Math.floor(listedAt / 1000 / DAY) * DAY;
  const minutes = new BoundedCache(200_000);
  const hours = new BoundedCache(50_000);
  const days = new BoundedCache(20_000);

  // Each second draws on two hashes: `a` (trade count, volume, wicks, taker share) and `b` (price noise,
  // open and close offsets). Two hashes and no transcendental function per second keep a month of seconds
  // cheap to aggregate.
  const rawG = (inst: Instrument, s: number): number =>
    (hash32(inst.key, s, CH_TRADES) & 0xff) % (inst.activity + 1);

  // The first second of every minute has trades, so any bucket of 1m or more opens with a trade and its
  // partial updates keep the final's open. (Two empty seconds in a row are impossible by construction.)
  const g = (inst: Instrument, s: number): number => {
    const raw = rawG(inst, s);
    return raw === 0 && s % MINUTE === 0 && rawG(inst, s - 1) === inst.activity ? 1 : raw;
  };

  // Trades are numbered so that second s holds ids [A·s + g(s−1), A·(s+1) + g(s) − 1]: contiguous ids,
  // n = A + g(s) − g(s−1), zero when g(s) = 0 and g(s−1) = A.
  const trades = (inst: Instrument, s: number): number =>
    s < listedAtSec ? 0 : inst.activity + g(inst, s) - g(inst, s - 1);

  const logTrend = (inst: Instrument, minute: number): number => {
    const t = minute * MINUTE;
    let x = 0.0008 * (2 * (hash32(inst.key, minute, CH_KNOT) / KEY_STRIDE) - 1);
    for (const w of inst.waves) x += w.amplitude * Math.sin((2 * Math.PI * t) / w.period + w.phase);
    return x;
  };

  /** Trend price (ticks) at the start of a minute. */
  const knot = (inst: Instrument, minute: number): number =>
    inst.basePrice * 10 ** inst.priceDecimals * Math.exp(logTrend(inst, minute));

  const EMPTY: Aggregate = { n: 0, o: 0, h: 0, l: 0, c: 0, v: 0, V: 0, q: 0, Q: 0, f: -1, L: -1 };

  /** Adds the seconds [from, to), which lie in one minute, to the accumulator. */
  const secondsInto = (inst: Instrument, acc: Accumulator, from: number, to: number): void => {
    if (from >= to) return;
    const m = Math.floor(from / MINUTE);
    const p0 = knot(inst, m);
    const slope = knot(inst, m + 1) - p0;
    const { activity, key, tradeLots } = inst;
    let gPrev = g(inst, from - 1);
    for (let s = from; s < to; s++) {
      const a = hash32(key, s, CH_TRADES);
      let gNow = (a & 0xff) % (activity + 1);
      if (gNow === 0 && gPrev === activity && s % MINUTE === 0) gNow = 1;
      const n = s < listedAtSec ? 0 : activity + gNow - gPrev;
      if (n > 0) {
        const b = hash32(key, s, CH_PRICE);
        const mid = (p0 + (slope * (s - m * MINUTE)) / MINUTE) * (1 + 0.0003 * ((b >>> 20) / 2048 - 1));
        let o: number, c: number, h: number, l: number;
        if (n === 1) {
          o = c = h = l = Math.max(1, round(mid));
        } else {
          o = Math.max(1, round(mid * (1 + 0.0001 * (((b >>> 10) & 0x3ff) / 512 - 1))));
          c = Math.max(1, round(mid * (1 + 0.0001 * ((b & 0x3ff) / 512 - 1))));
          h = round(Math.max(o, c) * (1 + 0.00008 * (((a >>> 8) & 0xf) / 16)));
          l = Math.max(1, round(Math.min(o, c) * (1 - 0.00008 * (((a >>> 12) & 0xf) / 16))));
        }
        const v = Math.max(n, round(n * tradeLots * (0.3 + (1.4 * ((a >>> 16) & 0xff)) / 256)));
        const V = round((v * (a >>> 24)) / 256);
        const vwap = (o + h + l + c) / 4;
        const f = activity * s + gPrev;
        acc.addTrades(n, o, h, l, c, v, V, vwap * v, vwap * V, f, f + n - 1);
      }
      gPrev = gNow;
    }
  };

  const cached = (cache: BoundedCache, inst: Instrument, index: number, build: (acc: Accumulator) => void): Aggregate => {
    const key = inst.index * KEY_STRIDE + index;
    const hit = cache.get(key);
    if (hit) return hit;
    const acc = new Accumulator();
    build(acc);
    const value = acc.n === 0 ? EMPTY : acc.snapshot();
    cache.set(key, value);
    return value;
  };

  const minute = (inst: Instrument, m: number): Aggregate =>
    cached(minutes, inst, m, (acc) => secondsInto(inst, acc, m * MINUTE, (m + 1) * MINUTE));
  const hour = (inst: Instrument, h: number): Aggregate =>
    cached(hours, inst, h, (acc) => {
      for (let m = h * 60; m < (h + 1) * 60; m++) acc.add(minute(inst, m));
    });
  const day = (inst: Instrument, d: number): Aggregate =>
    cached(days, inst, d, (acc) => {
      for (let h = d * 24; h < (d + 1) * 24; h++) acc.add(hour(inst, h));
    });

  // Every stream of a symbol asks, step after step, for a longer prefix of the same minute: extend the last
  // one instead of starting over. The prefix is always summed on its own and then added as a unit, so the
  // result (floating-point sums included) is the same whether or not the cache was hit.
  const prefixes = new Map<number, { readonly from: number; readonly to: number; readonly value: Aggregate }>();
  const partOfMinute = (inst: Instrument, from: number, to: number): Aggregate => {
    const acc = new Accumulator();
    const prefix = from % MINUTE === 0 ? prefixes.get(inst.index) : undefined;
    if (prefix && prefix.from === from && prefix.to <= to) {
      acc.add(prefix.value);
      secondsInto(inst, acc, prefix.to, to);
    } else {
      secondsInto(inst, acc, from, to);
    }
    const value = acc.n === 0 ? EMPTY : acc.snapshot();
    if (from % MINUTE === 0) prefixes.set(inst.index, { from, to, value });
    return value;
  };

  const aggregate = (inst: Instrument, fromSec: number, toSec: number): Aggregate => {
    const acc = new Accumulator();
    let s = Math.max(fromSec, listedAtSec);
    while (s < toSec) {
      if (s % DAY === 0 && s + DAY <= toSec) {
        acc.add(day(inst, s / DAY));
        s += DAY;
      } else if (s % HOUR === 0 && s + HOUR <= toSec) {
        acc.add(hour(inst, s / HOUR));
        s += HOUR;
      } else if (s % MINUTE === 0 && s + MINUTE <= toSec) {
        acc.add(minute(inst, s / MINUTE));
        s += MINUTE;
      } else {
        const end = Math.min(toSec, (Math.floor(s / MINUTE) + 1) * MINUTE);
        acc.add(partOfMinute(inst, s, end));
        s = end;
      }
    }
    return acc.n === 0 ? EMPTY : acc.snapshot();
  };

  const lastPriceBefore = (inst: Instrument, sec: number): number => {
    for (let s = sec - 1; s >= listedAtSec; s--) {
      if (trades(inst, s) > 0) {
        const acc = new Accumulator();
        secondsInto(inst, acc, s, s + 1);
        return acc.c;
      }
    }
    return Math.max(1, Math.round(knot(inst, listedAtSec / MINUTE)));
  };

  return { listedAtSec, aggregate, lastPriceBefore };
};
