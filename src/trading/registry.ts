/**
 * The trading provider registry: every venue the session can trade through, with metadata and a config schema
 * in the seed's snake_case YAML shape. Every listed venue has an implementation; one listed without it would be
 * marked unavailable and fail on creation instead of pretending.
 */
import * as Schema from 'effect/Schema';
import type { PaperBrokerSnapshot } from '../../machines/paper-broker.machine.ts';
import { decodeConfig, jsonSchemaOf, optional, withDefault } from '../schema/schema-tools.ts';
import { realtimeError } from '../errors.ts';
import { createBinanceTradingProvider } from './binance/binance-provider.ts';
import { BinanceLiveConfigSchema, BinancePaperConfigSchema, type BinanceVenue } from './binance/config.ts';
import { assertPracticeVenue } from './venue-guard.ts';
import { DEFAULT_PAPER_CONFIG } from './paper/account.ts';
import { IBKR_CONFIG_SCHEMAS, IBKR_FACTORIES } from './ibkr/index.ts';
import { createPaperTradingProvider } from './paper/paper-provider.ts';
import type { TradingProvider } from './trading-provider.ts';

/** Every trading provider name the registry knows. */
export const TRADING_PROVIDER_NAMES = ['paper', 'binance-paper', 'binance-live', 'ibkr-paper', 'ibkr-live'] as const;

/** One of {@link TRADING_PROVIDER_NAMES}. */
export type TradingProviderName = (typeof TRADING_PROVIDER_NAMES)[number];

/** What the registry tells about a provider (`providers` CLI, docs, config validation). */
export interface TradingProviderInfo {
  readonly name: TradingProviderName;
  readonly displayName: string;
  readonly description: string;
  readonly requiresAuth: boolean;
  /** False for a venue that is listed but cannot be created in this build (none at present). */
  readonly available: boolean;
  /** Schema of `trading_provider_config`. */
  readonly configSchema: Schema.Top;
}

/** Runtime dependencies that are not configuration. */
export interface TradingProviderDeps {
  /** Clock for order times (ms); defaults to `Date.now`. */
  readonly now?: () => number;
  /** For `paper`: the broker state to resume from (a persisted snapshot or one folded from the event log). */
  readonly paperSnapshot?: PaperBrokerSnapshot;
  /** The caller's explicit confirmation of live trading (the CLI's `--live`); `binance-live` refuses to start without it. */
  readonly liveConfirmed?: boolean;
}

const Finite = (...checks: Parameters<typeof Schema.Finite.check>) => Schema.Finite.check(...checks);

/** Schema of the `paper` provider's config. */
export const PaperTradingConfigSchema = Schema.Struct({
  initial_cash: withDefault(Finite(Schema.isGreaterThan(0)), DEFAULT_PAPER_CONFIG.initialCash, 'Cash at the start'),
  currency: withDefault(Schema.NonEmptyString, DEFAULT_PAPER_CONFIG.currency, 'Currency of cash and prices'),
  fee_rate: withDefault(Finite(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1)), DEFAULT_PAPER_CONFIG.feeRate, 'Fee per fill as a fraction of its notional (0.001 = 0.1 %)'),
  slippage_bps: withDefault(Finite(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(10_000)), DEFAULT_PAPER_CONFIG.slippageBps, 'Slippage of market and stop fills in basis points, against the trader'),
  fill_on: withDefault(Schema.Literals(['next_open', 'close']), DEFAULT_PAPER_CONFIG.fillOn, "Market orders fill at the next bar's open, or at the last close on placement"),
  allow_short: withDefault(Schema.Boolean, DEFAULT_PAPER_CONFIG.allowShort, 'Whether a sell may open or increase a short position'),
  short_margin_rate: withDefault(Finite(Schema.isGreaterThanOrEqualTo(0)), DEFAULT_PAPER_CONFIG.shortMarginRate, 'Equity required after a short-increasing sell, as a fraction of all short notional'),
  max_volume_share: optional(Finite(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1)), "At most this fraction of a bar's volume fills per order and bar (partial fills)"),
  order_id_prefix: withDefault(Schema.String, 'paper-', 'Prefix of generated order ids'),
}).annotate({ title: 'paper', description: 'Local simulated broker' });

/** Decoded `paper` config. */
export type PaperTradingConfig = typeof PaperTradingConfigSchema.Type;

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

const PROVIDERS: readonly TradingProviderInfo[] = [
  {
    name: 'paper', displayName: 'Paper broker', requiresAuth: false, available: true, configSchema: PaperTradingConfigSchema,
    description: 'Local simulated broker: fills against incoming bars with fees, slippage, shorts and P&L; state rebuilt from the event log.',
  },
  {
    name: 'binance-paper', displayName: 'Binance Spot testnet', requiresAuth: true, available: true,
    configSchema: BinancePaperConfigSchema,
    description: 'Orders on the Binance Spot testnet (testnet API keys).',
  },
  {
    name: 'binance-live', displayName: 'Binance Spot', requiresAuth: true, available: true,
    configSchema: BinanceLiveConfigSchema,
    description: 'Real orders on Binance Spot; needs `live: true` in its config and the CLI\'s --live.',
  },
  {
    name: 'ibkr-paper', displayName: 'Interactive Brokers (paper account)', requiresAuth: true, available: true,
    configSchema: IBKR_CONFIG_SCHEMAS['ibkr-paper'],
    description: 'Orders on an IBKR paper account through a logged-in TWS or IB Gateway.',
  },
  {
    name: 'ibkr-live', displayName: 'Interactive Brokers', requiresAuth: true, available: true,
    configSchema: IBKR_CONFIG_SCHEMAS['ibkr-live'],
    description: 'Real orders on an IBKR account through a logged-in TWS or IB Gateway; needs `live: true` in its config and the CLI\'s --live.',
  },
];

/** Every registered trading provider, available or not. */
export const listTradingProviders = (): readonly TradingProviderInfo[] => PROVIDERS;

/** The provider registered under `name`, or undefined. */
export const getTradingProviderInfo = (name: string): TradingProviderInfo | undefined => PROVIDERS.find((p) => p.name === name);

/** JSON Schema (draft 2020-12) of a provider's config, or undefined for an unknown name. */
export const tradingProviderConfigJsonSchema = (name: string): object | undefined => {
  const info = getTradingProviderInfo(name);
  return info ? jsonSchemaOf(info.configSchema) : undefined;
};

const requireInfo = (name: string): TradingProviderInfo => {
  const info = getTradingProviderInfo(name);
  if (!info) {
    throw realtimeError('CONFIG_INVALID', `unknown trading provider "${name}"; known: ${TRADING_PROVIDER_NAMES.join(', ')}`, { provider: name });
  }
  return info;
};

/** Decodes a provider's config with its defaults; throws CONFIG_INVALID naming the field. */
export const decodeTradingProviderConfig = (name: string, config: unknown): unknown => {
  const decoded = decodeConfig(requireInfo(name).configSchema, config, `${name} trading provider config`);
  assertPracticeVenue(name, decoded);
  return decoded;
};

/** Creates a provider by name; throws CONFIG_INVALID for an unknown or unavailable provider or a wrong config. */
export const createTradingProvider = (name: string, config: unknown, deps: TradingProviderDeps = {}): TradingProvider => {
  const info = requireInfo(name);
  const create = FACTORIES[info.name];
  if (!info.available || !create) {
    const ready = PROVIDERS.filter((p) => p.available).map((p) => p.name).join(', ');
    throw realtimeError('CONFIG_INVALID', `trading provider "${name}" is not available yet; available: ${ready}`, { provider: name });
  }
  // The factory decodes the config itself; decoding it here first also applies the practice-venue guard.
  decodeTradingProviderConfig(info.name, config);
  return create(config, deps);
};
