/**
 * The simulated exchange's instrument catalogue: for each symbol its assets, reference price, tick and lot
 * precision, typical trade size and the per-symbol constants that shape its price path. Futures contracts
 * (`BTCUSDT_260626`, COIN-M `BTCUSD_PERP`) follow their underlying pair's price; COIN-M trades whole contracts.
 */
import type { BinanceFeed } from '../../providers/binance/urls.ts';
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
  /** Futures: `PERPETUAL` or `CURRENT_QUARTER`; absent on Spot. */
  readonly contractType?: string;
  /** COIN-M: USD per contract (quantities then count contracts). */
  readonly contractSize?: number;
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

/** USDⓈ-M contracts served when none are configured: perpetuals and one quarterly delivery contract. */
export const DEFAULT_USDM_SYMBOLS: readonly string[] = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'BTCUSDT_260626'];

/** COIN-M contracts served when none are configured. */
export const DEFAULT_COINM_SYMBOLS: readonly string[] = ['BTCUSD_PERP', 'ETHUSD_PERP', 'SOLUSD_PERP', 'BTCUSD_260626'];

/** The default symbols of a feed. */
export const defaultSymbols = (feed: BinanceFeed): readonly string[] =>
  feed === 'usdm' ? DEFAULT_USDM_SYMBOLS : feed === 'coinm' ? DEFAULT_COINM_SYMBOLS : DEFAULT_SYMBOLS;

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

const makeInstrument = (symbol: string, index: number, seed: number, feed: BinanceFeed): Instrument => {
  const key = hash32(seed, stringHash(symbol));
  const r = (channel: number): number => unit(hash32(key, channel));
  const [pair = symbol, suffix] = symbol.split('_');
  // A COIN-M pair is quoted in USD: price it like the USDT pair.
  const reference = feed === 'coinm' && pair.endsWith('USD') ? `${pair}T` : pair;
  // Unknown symbols get a log-uniform price between 0.05 and 5000.
  const basePrice = KNOWN_PRICES[reference] ?? Number((0.05 * 10 ** (5 * r(1))).toPrecision(3));
  const magnitude = Math.floor(Math.log10(basePrice));
  const contractSize = feed === 'coinm' ? (pair.startsWith('BTC') ? 100 : 10) : undefined;
  const qtyDecimals = contractSize !== undefined ? 0 : clamp(magnitude + 1, 0, 8);
  // Typical trade notional 200..2000 quote units, expressed in lots (COIN-M: in contracts).
  const notional = 200 + 1800 * r(2);
  const futures = feed === 'spot' ? {} : { contractType: suffix === undefined || suffix === 'PERP' ? 'PERPETUAL' : 'CURRENT_QUARTER' };
  const assets = feed === 'coinm' ? { baseAsset: pair.slice(0, -3), quoteAsset: 'USD' } : splitAssets(pair);
  return {
    symbol,
    index,
    ...assets,
    ...futures,
    ...(contractSize !== undefined ? { contractSize } : {}),
    basePrice,
    priceDecimals: clamp(5 - magnitude, 2, 8),
    qtyDecimals,
    tradeLots: contractSize !== undefined
      ? Math.max(1, Math.round(notional / contractSize))
      : Math.max(1, Math.round(notional / (basePrice * 10 ** -qtyDecimals))),
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
export const createInstruments = (symbols: readonly string[], seed: number, feed: BinanceFeed = 'spot'): ReadonlyMap<string, Instrument> => {
  const map = new Map<string, Instrument>();
  for (const raw of symbols) {
    const symbol = raw.toUpperCase();
    if (!map.has(symbol)) map.set(symbol, makeInstrument(symbol, map.size, seed, feed));
  }
  return map;
};
