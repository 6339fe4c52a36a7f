/**
 * The JSON Schema (draft 2020-12) of a whole configuration file, for editors (`argo-realtime schema`), built
 * from the same effect schemas the loader decodes with: the file schema, with each provider's config schema
 * attached under an `if realtime_provider / trading_provider is X` condition, the writer schema under
 * `storage_config`, and unknown keys refused (as the decoder refuses them).
 */
import { realtimeProviderInfo } from '../providers/registry.ts';
import { listTradingProviders } from '../trading/registry.ts';
import { realtimeConfigJsonSchema, riskSectionJsonSchema, sessionSectionJsonSchema, storageConfigJsonSchema, strategySectionJsonSchema, tradingConfigJsonSchema } from './provider-schemas.ts';
import { strictJsonSchema } from './json-schema-strict.ts';
import { jsonSchemaOf } from './schema-tools.ts';
import { ConfigFileSchema } from './session-config.ts';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sets `additionalProperties: false` on every object schema that lists its properties (the decoder's rule). */
export const closeObjects = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isObject(schema)) return schema;
  const out: JsonObject = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, closeObjects(v)]));
  if (out.type === 'object' && isObject(out.properties)) out.additionalProperties = false;
  return out;
};

/** A schema without its document-level keys, to nest inside another. */
const embeddable = (schema: object): JsonObject => {
  const { $schema: _s, $defs, ...rest } = schema as JsonObject;
  return isObject($defs) && Object.keys($defs).length > 0 ? { ...rest, $defs } : rest;
};

// The provider's config schema applies when the provider is chosen, or when the key is absent and the provider
// is its default: a bare `properties` condition would hold whenever the key is absent, for every provider.
const when = (key: 'realtime_provider' | 'trading_provider', name: string, isDefault: boolean, configKey: string, config: object): JsonObject => ({
  if: { required: ['session'], properties: { session: { properties: { [key]: { const: name } }, ...(isDefault ? {} : { required: [key] }) } } },
  then: { properties: { session: { properties: { [configKey]: embeddable(closeObjects(config) as object) } } } },
});

/** JSON Schema of the configuration file, with provider-specific sections. */
export const configFileJsonSchema = (): JsonObject => {
  const file = jsonSchemaOf(ConfigFileSchema) as JsonObject & { properties: Record<string, object> };
  file.properties = { ...file.properties, session: sessionSectionJsonSchema(), strategy: strategySectionJsonSchema(), risk: riskSectionJsonSchema() };
  const base = closeObjects(file) as JsonObject;
  const realtime = realtimeProviderInfo();
  const trading = listTradingProviders();
  const properties = base.properties as { session: { properties: Record<string, JsonObject> } };
  const session = properties.session.properties;
  session.realtime_provider = { ...session.realtime_provider, enum: realtime.map((p) => p.name) };
  session.trading_provider = { ...session.trading_provider, enum: trading.map((p) => p.name) };
  session.storage_config = { ...embeddable(closeObjects(storageConfigJsonSchema()) as object), description: session.storage_config?.description };
  const conditions = [
    ...realtime.flatMap((p) => {
      const schema = realtimeConfigJsonSchema(p.name);
      return schema ? [when('realtime_provider', p.name, session.realtime_provider?.default === p.name, 'realtime_provider_config', schema)] : [];
    }),
    ...trading.map((p) => when('trading_provider', p.name, session.trading_provider?.default === p.name, 'trading_provider_config', tradingConfigJsonSchema(p.name)!)),
  ];
  return strictJsonSchema({
    $schema: base.$schema,
    title: 'argo-realtime session configuration',
    description: 'A session: market data provider, trading provider, storage, symbols, interval, and an optional strategy. Values may reference environment variables as ${VAR} or ${VAR:-default}; secrets (api_key, secret_key) must.',
    ...Object.fromEntries(Object.entries(base).filter(([k]) => k !== '$schema' && k !== '$defs')),
    allOf: conditions,
    ...(isObject(base.$defs) && Object.keys(base.$defs).length > 0 ? { $defs: base.$defs } : {}),
  });
};
