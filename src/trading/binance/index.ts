/**
 * Public surface of the Binance trading providers (`binance-paper`, `binance-live`): the factory, the config
 * schemas, and the pure helpers (signing, filter rounding) that tests and tools use.
 */
export { createBinanceTradingProvider, type BinanceTradingProvider, type BinanceTradingProviderOptions } from './binance-provider.ts';
export {
  assertLiveAllowed, BINANCE_TRADING_URLS, BinanceLiveConfigSchema, BinancePaperConfigSchema,
  type BinanceTradingConfig, type BinanceVenue,
} from './config.ts';
export { prepareOrder, roundToStep, symbolRules, type PreparedOrder, type SymbolRules } from './filters.ts';
export { signParams, signPayload } from './signing.ts';
