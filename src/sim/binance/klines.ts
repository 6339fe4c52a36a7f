/**
 * Klines from the deterministic market data: the final bar of a bucket, the partial bar of the bucket in
 * progress at a market time, the kline frames a stream emits over one market step, and REST rows. COIN-M klines
 * count contracts in `v` / `V` and give base-asset volumes in `q` / `Q`, as the venue does.
 */
import { bucketEnd, bucketStart, nextBucketStart, type Interval } from '../../domain/interval.ts';
import type { BinanceKline, BinanceKlineRow } from '../../providers/binance/messages.ts';
import type { Instrument } from './instruments.ts';
import type { MarketData } from './prices.ts';

/** Binance prints every price and quantity with eight decimals. */
const WIRE_DECIMALS = 8;

/** Formats an integer count of 10^−decimals units as a decimal string with eight decimals, exactly. */
export const formatUnits = (units: number, decimals: number): string => {
  const digits = String(Math.abs(units)).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).padEnd(WIRE_DECIMALS, '0');
  return `${units < 0 ? '-' : ''}${whole}.${fraction}`;
};

const formatQuote = (tickLots: number, inst: Instrument): string =>
  (tickLots / 10 ** (inst.priceDecimals + inst.qtyDecimals)).toFixed(WIRE_DECIMALS);

/**
 * COIN-M base-asset volume of `contracts` traded for `tickContracts` (Σ price ticks × contracts): contracts × size
 * at the volume-weighted price, so that `v × size / q` is the bar's VWAP.
 */
const formatBase = (contracts: number, tickContracts: number, inst: Instrument): string =>
  (tickContracts > 0 ? (contracts * contracts * inst.contractSize! * 10 ** inst.priceDecimals) / tickContracts : 0).toFixed(WIRE_DECIMALS);

const quoteOf = (lots: number, tickLots: number, inst: Instrument): string =>
  inst.contractSize !== undefined ? formatBase(lots, tickLots, inst) : formatQuote(tickLots, inst);

/** The kline of the bucket opening at `openTime`, covering its trades up to second `toSec` (exclusive). */
const klineOf = (
  market: MarketData, inst: Instrument, interval: Interval, openTime: number, toSec: number, closed: boolean,
): BinanceKline => {
  const fromSec = openTime / 1000;
  const a = market.aggregate(inst, fromSec, toSec);
  const p = (ticks: number): string => formatUnits(ticks, inst.priceDecimals);
  const qty = (lots: number): string => formatUnits(lots, inst.qtyDecimals);
  const base = { t: openTime, T: bucketEnd(interval, openTime), s: inst.symbol, i: interval };
  if (a.n === 0) {
    const last = p(market.lastPriceBefore(inst, fromSec));
    return {
      ...base, f: -1, L: -1, o: last, c: last, h: last, l: last, v: qty(0), n: 0, x: closed,
      q: quoteOf(0, 0, inst), V: qty(0), Q: quoteOf(0, 0, inst), B: '0',
    };
  }
  return {
    ...base, f: a.f, L: a.L, o: p(a.o), c: p(a.c), h: p(a.h), l: p(a.l), v: qty(a.v), n: a.n, x: closed,
    q: quoteOf(a.v, a.q, inst), V: qty(a.V), Q: quoteOf(a.V, a.Q, inst), B: '0',
  };
};

/** The final kline (x = true) of the bucket opening at `openTime`. */
export const finalKline = (market: MarketData, inst: Instrument, interval: Interval, openTime: number): BinanceKline =>
  klineOf(market, inst, interval, openTime, nextBucketStart(interval, openTime) / 1000, true);

/**
 * The kline of the bucket containing market time `now`, as seen at `now`: the trades of every second that has
 * begun (the second containing `now` included), x = false.
 */
export const partialKline = (market: MarketData, inst: Instrument, interval: Interval, now: number): BinanceKline => {
  const openTime = bucketStart(interval, now);
  const toSec = Math.min(Math.floor(now / 1000) + 1, nextBucketStart(interval, openTime) / 1000);
  return klineOf(market, inst, interval, openTime, toSec, false);
};

/** The kline of the bucket at `openTime` as REST shows it at `now`: final if ended, otherwise partial. */
export const klineAsOf = (
  market: MarketData, inst: Instrument, interval: Interval, openTime: number, now: number,
): BinanceKline =>
  nextBucketStart(interval, openTime) <= now
    ? finalKline(market, inst, interval, openTime)
    : partialKline(market, inst, interval, now);

/**
 * Frames a kline stream emits for the market step (from, to]: the final kline of every bucket that ended in
 * it, then one update of the bucket in progress at `to`.
 */
export const stepKlines = (
  market: MarketData, inst: Instrument, interval: Interval, from: number, to: number,
): BinanceKline[] => {
  const out: BinanceKline[] = [];
  for (let t = bucketStart(interval, from); nextBucketStart(interval, t) <= to; t = nextBucketStart(interval, t)) {
    if (nextBucketStart(interval, t) > from) out.push(finalKline(market, inst, interval, t));
  }
  out.push(partialKline(market, inst, interval, to));
  return out;
};

/** First bucket served for a symbol: the one containing the listing time. */
export const firstBucket = (market: MarketData, interval: Interval): number =>
  bucketStart(interval, market.listedAtSec * 1000);

/** A REST `/api/v3/klines` row of a kline. */
export const klineRow = (k: BinanceKline): BinanceKlineRow =>
  [k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, '0'];
