/** Symbols: normalisation and validation of the forms each provider uses. */

/** Binance spot symbol: upper-case letters and digits (`BTCUSDT`). */
export const BINANCE_SYMBOL = /^[A-Z0-9]{2,20}$/;

/**
 * Binance futures symbol: a perpetual (`BTCUSDT`, COIN-M `BTCUSD_PERP`) or a delivery contract with its
 * expiry (`BTCUSDT_250627`, `BTCUSD_250627`).
 */
export const BINANCE_FUTURES_SYMBOL = /^[A-Z0-9]{2,20}(_(PERP|\d{6}))?$/;

/** Normalises a Binance spot symbol as users write it (`btcusdt`, `BTC/USDT`, `btc-usdt`) to `BTCUSDT`. */
export const normaliseBinanceSymbol = (raw: string): string => raw.trim().replace(/[-/_]/g, '').toUpperCase();

/** Normalises a Binance futures symbol (`btcusd_perp`, `BTC/USDT`) keeping the contract suffix: `BTCUSD_PERP`, `BTCUSDT`. */
export const normaliseBinanceFuturesSymbol = (raw: string): string => raw.trim().replace(/[-/]/g, '').toUpperCase();

/** Binance stream name of a kline stream: `btcusdt@kline_1m`. */
export const binanceKlineStream = (symbol: string, interval: string): string =>
  `${symbol.toLowerCase()}@kline_${interval}`;

/** Splits a Binance kline stream name into symbol (upper case) and interval, or undefined. */
export const parseBinanceKlineStream = (stream: string): { symbol: string; interval: string } | undefined => {
  const m = /^([a-z0-9]+(?:_[a-z0-9]+)?)@kline_(\w+)$/.exec(stream);
  return m ? { symbol: m[1]!.toUpperCase(), interval: m[2]! } : undefined;
};
