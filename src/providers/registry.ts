/**
 * The realtime provider registry (the seed's `realtimeProviderRegistry`): metadata, config schema (as JSON Schema)
 * and a factory per provider. A provider that is not built yet is listed as unavailable, never faked.
 */
import { jsonSchemaOf } from '../schema/schema-tools.ts';
import { realtimeError } from '../errors.ts';
import { BinanceRealtimeProvider, type BinanceProviderDeps } from './binance/index.ts';
import { BinanceRealtimeConfigSchema, decodeBinanceRealtimeConfig } from './binance/config.ts';
import { BINANCE_BAR_PROVIDER } from './binance/parse.ts';
import { BINANCE_FEEDS } from './binance/urls.ts';
import { PolygonRealtimeProvider, type PolygonProviderDeps } from './polygon/index.ts';
import { PolygonRealtimeConfigSchema } from './polygon/config.ts';
import type { RealtimeProvider } from './realtime-provider.ts';

/** Names of realtime providers. */
export type RealtimeProviderName = 'binance-realtime' | 'polygon-realtime';

/** What the registry knows about a provider. */
export interface RealtimeProviderInfo {
  readonly name: RealtimeProviderName;
  readonly displayName: string;
  readonly description: string;
  readonly requiresAuth: boolean;
  readonly supportedFeeds: readonly string[];
  /** False for a provider that is listed but cannot be created in this build (none at present). */
  readonly available: boolean;
  /** JSON Schema of `realtime_provider_config`, or null while unavailable. */
  readonly configSchema: object | null;
}

/** Collaborators any provider may take. */
export type RealtimeProviderDeps = BinanceProviderDeps & PolygonProviderDeps;

interface Entry {
  readonly info: RealtimeProviderInfo;
  readonly create?: (config: unknown, deps: RealtimeProviderDeps) => RealtimeProvider;
}

const registry: Record<RealtimeProviderName, Entry> = {
  'binance-realtime': {
    info: {
      name: 'binance-realtime',
      displayName: 'Binance Realtime',
      description: 'Realtime cryptocurrency klines via Binance WebSocket: Spot, USDⓈ-M futures (usdm) and COIN-M futures (coinm), set by realtime_provider_config.feed',
      requiresAuth: false,
      supportedFeeds: BINANCE_FEEDS,
      available: true,
      configSchema: jsonSchemaOf(BinanceRealtimeConfigSchema),
    },
    create: (config, deps) => new BinanceRealtimeProvider(config, deps),
  },
  'polygon-realtime': {
    info: {
      name: 'polygon-realtime',
      displayName: 'Massive (formerly Polygon.io) Realtime',
      description: 'Realtime stocks, options, forex, crypto and indices aggregates via Massive (formerly Polygon.io) WebSocket',
      requiresAuth: true,
      supportedFeeds: ['stocks', 'options', 'forex', 'crypto', 'indices'],
      available: true,
      configSchema: jsonSchemaOf(PolygonRealtimeConfigSchema),
    },
    create: (config, deps) => new PolygonRealtimeProvider(config, deps),
  },
};

/** Names of every listed realtime provider. */
export const getSupportedRealtimeProviders = (): RealtimeProviderName[] => Object.keys(registry) as RealtimeProviderName[];

/** Metadata of every listed realtime provider. */
export const realtimeProviderInfo = (): RealtimeProviderInfo[] => Object.values(registry).map((e) => e.info);

/** Creates a provider from its name and raw config; throws CONFIG_INVALID naming the field or the provider. */
export const createRealtimeProvider = (name: string, config: unknown, deps: RealtimeProviderDeps = {}): RealtimeProvider => {
  const entry = (registry as Record<string, Entry | undefined>)[name];
  if (!entry) {
    throw realtimeError('CONFIG_INVALID', `realtime_provider: unknown provider ${JSON.stringify(name)}; expected one of ${getSupportedRealtimeProviders().join(', ')}`, { field: 'realtime_provider', value: name });
  }
  if (!entry.create) {
    throw realtimeError('CONFIG_INVALID', `realtime_provider: ${name} is listed but not available yet`, { field: 'realtime_provider', value: name });
  }
  return entry.create(config, deps);
};

/**
 * The `provider` column of the bars a configured provider emits (what `barProviderOf` reads from a built one),
 * from its name and config alone: a bus consumer names the recorder's subjects with it and holds no venue key.
 */
export const barProviderFor = (name: string, config: unknown): string =>
  name === 'binance-realtime' ? BINANCE_BAR_PROVIDER[decodeBinanceRealtimeConfig(config).feed] : name.replace(/-realtime$/, '');
