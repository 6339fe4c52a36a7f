/**
 * What the trading provider registry knows without loading any venue: the names, each venue's metadata and config
 * schema, and the config decoding. Config files are decoded with this module alone, so a session that does not
 * trade (`record`) loads no trading code; the factories are in `registry.ts`, imported when a session connects.
 */
import * as Schema from 'effect/Schema';
import { DEFAULT_PAPER_CONFIG } from '../../machines/lib/paper-defaults.ts';
import { decodeConfig, jsonSchemaOf, optional, withDefault } from '../schema/schema-tools.ts';
import { realtimeError } from '../errors.ts';
import { BinanceLiveConfigSchema, BinancePaperConfigSchema } from './binance/config.ts';
import { IBKR_CONFIG_SCHEMAS } from './ibkr/config.ts';
import { assertPracticeVenue } from './venue-guard.ts';

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

/** The provider registered under `name`; throws CONFIG_INVALID naming the known ones. */
export const requireInfo = (name: string): TradingProviderInfo => {
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

