/**
 * JSON Schemas of every config section, from the registries and the writer, with the descriptions the JSON
 * Schema export loses filled back in (see `withFieldDescriptions`). The `providers` and `schema` commands and
 * docs/configuration.md all read them from here.
 */
import { BinanceRealtimeConfigSchema } from '../providers/binance/config.ts';
import { PolygonRealtimeConfigSchema } from '../providers/polygon/config.ts';
import { realtimeProviderInfo } from '../providers/registry.ts';
import { writerConfigSchema } from '../storage/config.ts';
import { getTradingProviderInfo } from '../trading/provider-info.ts';
import { jsonSchemaOf } from './schema-tools.ts';
import { withFieldDescriptions } from './schema-table.ts';
import { SessionSectionSchema, StrategySectionSchema } from './session-config.ts';
import { RiskSectionSchema } from '../risk/config.ts';

// The effect schemas behind the registry's JSON Schemas, where the registry does not expose them.
const REALTIME_STRUCTS: Readonly<Record<string, unknown>> = {
  'binance-realtime': BinanceRealtimeConfigSchema,
  'polygon-realtime': PolygonRealtimeConfigSchema,
};

/** `realtime_provider_config` of a realtime provider, or null when it has none (not available yet). */
export const realtimeConfigJsonSchema = (name: string): object | null => {
  const schema = realtimeProviderInfo().find((p) => p.name === name)?.configSchema ?? null;
  return schema && withFieldDescriptions(schema, REALTIME_STRUCTS[name]);
};

/** `trading_provider_config` of a trading provider, or null for an unknown name. */
export const tradingConfigJsonSchema = (name: string): object | null => {
  const info = getTradingProviderInfo(name);
  return info ? withFieldDescriptions(jsonSchemaOf(info.configSchema), info.configSchema) : null;
};

/** `session.storage_config`. */
export const storageConfigJsonSchema = (): object => withFieldDescriptions(jsonSchemaOf(writerConfigSchema), writerConfigSchema);

/** The `session:` section (provider and storage configs as plain objects). */
export const sessionSectionJsonSchema = (): object => withFieldDescriptions(jsonSchemaOf(SessionSectionSchema), SessionSectionSchema);

/** The `strategy:` section. */
export const strategySectionJsonSchema = (): object => withFieldDescriptions(jsonSchemaOf(StrategySectionSchema), StrategySectionSchema);

/** The `risk:` section. */
export const riskSectionJsonSchema = (): object => withFieldDescriptions(jsonSchemaOf(RiskSectionSchema), RiskSectionSchema);
