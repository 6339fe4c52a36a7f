/**
 * The simulated exchange's instrument catalogue: for each symbol its assets, reference price, tick and lot
 * precision, typical trade size and the per-symbol constants that shape its price path.
 */
import { hash32, stringHash, unit } from './random.ts';

/** One tradable symbol and the constants its deterministic market data is built from. */
export interface Instrument {
  readonly symbol: string;
  /** Position in the catalogue; part of cache keys. */
  readonly index: number;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  /** Reference price around which the path oscillates. */
  readonly basePrice: number;
  /** Decimals of the tick size (prices are whole ticks). */
  readonly priceDecimals: number;
  /** Decimals of the lot size (quantities are whole lots). */
  readonly qtyDecimals: number;
  /** Typical size of one trade, in lots. */
  readonly tradeLots: number;
  /** Mean trades per second (2 to 4); a second has 0 to 2 × activity trades. */
  readonly activity: number;
  /** Hash key of this symbol under the simulator's seed. */
  readonly key: number;
  /** Periods (seconds), amplitudes (log-price) and phases of the three trend waves. */
  readonly waves: readonly { readonly period: number; readonly amplitude: number; readonly phase: number }[];
}

/** Symbols served when none are configured. */
export const DEFAULT_SYMBOLS: readonly string[] = [
  'BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'LTCUSDT',
];

const KNOWN_PRICES: Readonly<Record<string, number>> = {
  BTCUSDT: 95_000, ETHUSDT: 3_300, BNBUSDT: 700, SOLUSDT: 190, XRPUSDT: 2.2, ADAUSDT: 0.9, DOGEUSDT: 0.32,
  LTCUSDT: 105,
};

const QUOTE_ASSETS = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'TUSD', 'EUR', 'TRY', 'BTC', 'ETH', 'BNB'];

/** Synthetic symbols for load tests: `SYM0001USDT`, `SYM0002USDT`, ... */
export const syntheticSymbols = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `SYM${String(i + 1).padStart(4, '0')}USDT`);

const splitAssets = (symbol: string): { baseAsset: string; quoteAsset: string } => {
  const quote = QUOTE_ASSETS.find((q) => symbol.endsWith(q) && symbol.length > q.length);
  return quote
    ? { baseAsset: symbol.slice(0, -quote.length), quoteAsset: quote }
    : { baseAsset: symbol.slice(0, -3) || symbol, quoteAsset: symbol.slice(-3) };
};

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

const makeInstrument = (symbol: string, index: number, seed: number): Instrument => {
  const key = hash32(seed, stringHash(symbol));
  const r = (channel: number): number => unit(hash32(key, channel));
  // Unknown symbols get a log-uniform price between 0.05 and 5000.
  const basePrice = KNOWN_PRICES[symbol] ?? Number((0.05 * 10 ** (5 * r(1))).toPrecision(3));
  const magnitude = Math.floor(Math.log10(basePrice));
  const qtyDecimals = clamp(magnitude + 1, 0, 8);
  // Typical trade notional 200..2000 quote units, expressed in lots.
  const notional = 200 + 1800 * r(2);
  return {
    symbol,
    index,
    ...splitAssets(symbol),
    basePrice,
    priceDecimals: clamp(5 - magnitude, 2, 8),
    qtyDecimals,
    tradeLots: Math.max(1, Math.round(notional / (basePrice * 10 ** -qtyDecimals))),
    activity: 2 + (hash32(key, 3) % 3),
    key,
    // A ~45-minute wave gives moving-average crossovers every few dozen 1m bars; the slower waves give
    // hourly and daily trends.
    waves: [
      { period: 2_700 * (0.8 + 0.45 * r(4)), amplitude: 0.004, phase: 2 * Math.PI * r(5) },
      { period: 21_600 * (0.8 + 0.45 * r(6)), amplitude: 0.01, phase: 2 * Math.PI * r(7) },
      { period: 345_600 * (0.8 + 0.45 * r(8)), amplitude: 0.03, phase: 2 * Math.PI * r(9) },
    ],
  };
};

/** Builds the catalogue, keyed by upper-case symbol, in the order given (duplicates ignored). */
export const createInstruments = (symbols: readonly string[], seed: number): ReadonlyMap<string, Instrument> => {
  const map = new Map<string, Instrument>();
  for (const raw of symbols) {
    const symbol = raw.toUpperCase();
    if (!map.has(symbol)) map.set(symbol, makeInstrument(symbol, map.size, seed));
  }
  return map;
};
