/**
 * Public surface of the Interactive Brokers trading providers, `ibkr-paper` and `ibkr-live`, for the trading
 * provider registry:
 *
 *   'ibkr-paper': (config, deps) => createIbkrTradingProvider('ibkr-paper', config, deps)
 *   'ibkr-live':  (config, deps) => createIbkrTradingProvider('ibkr-live', config, deps)   // needs deps.liveConfirmed
 *
 * with `IBKR_CONFIG_SCHEMAS[name]` as each entry's `configSchema`.
 */
import { assertLiveAllowed, decodeIbkrTradingConfig, type IbkrProviderName } from './config.ts';
import { IbkrProvider, type IbkrTradingDeps, type IbkrTradingProvider } from './provider.ts';

export {
  IBKR_CONFIG_SCHEMAS, IBKR_PORTS, IBKR_PROVIDER_NAMES, IbkrLiveTradingConfigSchema, IbkrPaperTradingConfigSchema,
  decodeIbkrTradingConfig, type IbkrProviderName, type IbkrTradingConfig,
} from './config.ts';
export type { IbkrTradingDeps, IbkrTradingProvider } from './provider.ts';

/**
 * Creates an IBKR provider for a registry name (the name picks the default port and whether the live guard
 * applies); throws CONFIG_INVALID for a wrong config, and for `ibkr-live` without `live: true` and `liveConfirmed`.
 */
export const createIbkrTradingProvider = (name: IbkrProviderName, config: unknown, deps: IbkrTradingDeps = {}): IbkrTradingProvider => {
  const decoded = decodeIbkrTradingConfig(name, config);
  assertLiveAllowed(decoded, deps.liveConfirmed);
  return new IbkrProvider(name, decoded, deps);
};

/** Ready-made registry factories, one per name: `(config, deps) => TradingProvider`. */
export const IBKR_FACTORIES: Readonly<Record<IbkrProviderName, (config: unknown, deps?: IbkrTradingDeps) => IbkrTradingProvider>> = {
  'ibkr-paper': (config, deps) => createIbkrTradingProvider('ibkr-paper', config, deps),
  'ibkr-live': (config, deps) => createIbkrTradingProvider('ibkr-live', config, deps),
};
