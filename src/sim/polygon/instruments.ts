/**
 * The Polygon simulator's instruments, per market: symbol in the WebSocket form, REST ticker, reference price,
 * tick and lot precision, whether the market reports volume (indices do not), and the per-symbol constants of
 * its deterministic price path.
 */
import type { PolygonFeed } from '../../providers/polygon/messages.ts';
import { restTicker } from '../../providers/polygon/symbols.ts';
import { hash32, stringHash, unit } from '../binance/random.ts';

/** One simulated symbol. */
export interface PolygonInstrument {
  readonly symbol: string;
  readonly feed: PolygonFeed;
  readonly ticker: string;
  /** Position in the catalogue; part of cache keys. */
  readonly index: number;
  readonly key: number;
  /** Price in ticks around which the path oscillates. */
  readonly baseTicks: number;
  readonly priceDecimals: number;
  readonly volumeDecimals: number;
  /** Lots per trade on average (forex: 1, its volume counts ticks). */
  readonly tradeLots: number;
  /** False for indices: values, no volume. */
  readonly hasVolume: boolean;
  /** Most trades in one second; a second has 0 to `activity` trades. */
  readonly activity: number;
  readonly waves: readonly { readonly period: number; readonly amplitude: number; readonly phase: number }[];
}

/** Symbols served per market when none are configured. */
export const DEFAULT_POLYGON_SYMBOLS: Readonly<Record<PolygonFeed, readonly string[]>> = {
  stocks: ['AAPL', 'MSFT', 'GOOGL'],
  options: ['O:SPY251219C00650000'],
  indices: ['I:SPX'],
  crypto: ['BTC-USD', 'ETH-USD'],
  forex: ['USD/EUR', 'EUR/USD'],
};

const KNOWN: Readonly<Record<string, number>> = {
  AAPL: 190, MSFT: 420, GOOGL: 175, 'O:SPY251219C00650000': 12.5, 'I:SPX': 5900, 'BTC-USD': 95_000, 'ETH-USD': 3_300,
  'USD/EUR': 0.92, 'EUR/USD': 1.087,
};

const PRECISION: Record<PolygonFeed, { price: number; volume: number; lots: number; activity: number }> = {
  stocks: { price: 2, volume: 0, lots: 100, activity: 3 },
  options: { price: 2, volume: 0, lots: 2, activity: 1 },
  indices: { price: 2, volume: 0, lots: 0, activity: 1 },
  crypto: { price: 2, volume: 4, lots: 500, activity: 3 },
  forex: { price: 5, volume: 0, lots: 1, activity: 4 },
};

const makeInstrument = (feed: PolygonFeed, symbol: string, index: number, seed: number): PolygonInstrument => {
  const key = hash32(seed, stringHash(symbol));
  const r = (channel: number): number => unit(hash32(key, channel));
  const p = PRECISION[feed];
  const price = KNOWN[symbol] ?? Number((1 + 500 * r(1)).toPrecision(3));
  return {
    symbol, feed, ticker: restTicker(feed, symbol), index, key,
    baseTicks: Math.round(price * 10 ** p.price), priceDecimals: p.price, volumeDecimals: p.volume,
    tradeLots: p.lots, hasVolume: feed !== 'indices', activity: p.activity,
    waves: [
      { period: 3_600 * (1 + 3 * r(2)), amplitude: 0.004 + 0.004 * r(3), phase: 2 * Math.PI * r(4) },
      { period: 600 * (1 + 2 * r(5)), amplitude: 0.001 + 0.002 * r(6), phase: 2 * Math.PI * r(7) },
    ],
  };
};

/** The catalogue: every market's instruments, by symbol and by REST ticker. */
export interface PolygonCatalogue {
  readonly byFeed: ReadonlyMap<PolygonFeed, readonly PolygonInstrument[]>;
  readonly bySymbol: ReadonlyMap<string, PolygonInstrument>;
  readonly byTicker: ReadonlyMap<string, PolygonInstrument>;
}

/** Builds the catalogue from per-market symbol lists. */
export const createCatalogue = (symbols: Readonly<Record<PolygonFeed, readonly string[]>>, seed: number): PolygonCatalogue => {
  const byFeed = new Map<PolygonFeed, PolygonInstrument[]>();
  const bySymbol = new Map<string, PolygonInstrument>();
  const byTicker = new Map<string, PolygonInstrument>();
  let index = 0;
  for (const [feed, list] of Object.entries(symbols) as [PolygonFeed, readonly string[]][]) {
    const instruments = list.map((s) => makeInstrument(feed, s, index++, seed));
    byFeed.set(feed, instruments);
    for (const i of instruments) {
      bySymbol.set(i.symbol, i);
      byTicker.set(i.ticker, i);
    }
  }
  return { byFeed, bySymbol, byTicker };
};
