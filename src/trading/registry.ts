/**
 * The trading provider registry: every venue the session can trade through, with metadata and a config schema
 * in the seed's snake_case YAML shape (provider-info.ts, re-exported here). Every listed venue has an
 * implementation; one listed without it would be marked unavailable and fail on creation instead of pretending.
 */
import type { PaperBrokerSnapshot } from '../../machines/paper-broker.machine.ts';
import { decodeConfig } from '../schema/schema-tools.ts';
import { realtimeError } from '../errors.ts';
import { createBinanceTradingProvider } from './binance/binance-provider.ts';
import { BinanceLiveConfigSchema, BinancePaperConfigSchema, type BinanceVenue } from './binance/config.ts';
import { IBKR_FACTORIES } from './ibkr/index.ts';
import { createPaperTradingProvider } from './paper/paper-provider.ts';
import { decodeTradingProviderConfig, listTradingProviders, PaperTradingConfigSchema, requireInfo, type TradingProviderName } from './provider-info.ts';
import type { TradingProvider } from './trading-provider.ts';

export {
  decodeTradingProviderConfig, getTradingProviderInfo, listTradingProviders, PaperTradingConfigSchema, TRADING_PROVIDER_NAMES,
  tradingProviderConfigJsonSchema, type PaperTradingConfig, type TradingProviderInfo, type TradingProviderName,
} from './provider-info.ts';

/** Runtime dependencies that are not configuration. */
export interface TradingProviderDeps {
  /** Clock for order times (ms); defaults to `Date.now`. */
  readonly now?: () => number;
  /** For `paper`: the broker state to resume from (a persisted snapshot or one folded from the event log). */
  readonly paperSnapshot?: PaperBrokerSnapshot;
  /** The caller's explicit confirmation of live trading (the CLI's `--live`); `binance-live` refuses to start without it. */
  readonly liveConfirmed?: boolean;
}

const createPaper = (config: unknown, deps: TradingProviderDeps): TradingProvider => {
  const decoded = decodeConfig(PaperTradingConfigSchema, config, 'paper trading provider config');
  return createPaperTradingProvider({
    config: {
      initialCash: decoded.initial_cash,
      currency: decoded.currency,
      feeRate: decoded.fee_rate,
      slippageBps: decoded.slippage_bps,
      fillOn: decoded.fill_on,
      allowShort: decoded.allow_short,
      shortMarginRate: decoded.short_margin_rate,
      maxVolumeShare: decoded.max_volume_share ?? null,
    },
    orderIdPrefix: decoded.order_id_prefix,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.paperSnapshot ? { snapshot: deps.paperSnapshot } : {}),
  });
};

const createBinance = (venue: BinanceVenue) => (config: unknown, deps: TradingProviderDeps): TradingProvider => {
  const schema = venue === 'binance-live' ? BinanceLiveConfigSchema : BinancePaperConfigSchema;
  const decoded = decodeConfig(schema, config, `${venue} trading provider config`);
  return createBinanceTradingProvider({
    venue, config: decoded, ...(deps.liveConfirmed !== undefined ? { liveConfirmed: deps.liveConfirmed } : {}), ...(deps.now ? { now: deps.now } : {}),
  });
};

// A listed provider without a factory here must be `available: false`.
const FACTORIES: Partial<Record<TradingProviderName, (config: unknown, deps: TradingProviderDeps) => TradingProvider>> = {
  paper: createPaper,
  'binance-paper': createBinance('binance-paper'),
  'binance-live': createBinance('binance-live'),
  'ibkr-paper': IBKR_FACTORIES['ibkr-paper'],
  'ibkr-live': IBKR_FACTORIES['ibkr-live'],
};

/** Creates a provider by name; throws CONFIG_INVALID for an unknown or unavailable provider or a wrong config. */
export const createTradingProvider = (name: string, config: unknown, deps: TradingProviderDeps = {}): TradingProvider => {
  const info = requireInfo(name);
  const create = FACTORIES[info.name];
  if (!info.available || !create) {
    const ready = listTradingProviders().filter((p) => p.available).map((p) => p.name).join(', ');
    throw realtimeError('CONFIG_INVALID', `trading provider "${name}" is not available yet; available: ${ready}`, { provider: name });
  }
  // The factory decodes the config itself; decoding it here first also applies the practice-venue guard.
  decodeTradingProviderConfig(info.name, config);
  return create(config, deps);
};
