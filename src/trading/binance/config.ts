/**
 * Configuration of the Binance trading providers (`binance-paper` = Spot testnet, `binance-live` = production) in
 * the seed's snake_case YAML shape, with defaults, and the rule that keeps `binance-live` from starting by accident.
 */
import * as Schema from 'effect/Schema';
import { PositiveInt, withDefault } from '../../schema/schema-tools.ts';
import { realtimeError } from '../../errors.ts';

/** REST base URLs of the two venues. */
export const BINANCE_TRADING_URLS = {
  'binance-paper': 'https://testnet.binance.vision',
  'binance-live': 'https://api.binance.com',
} as const;

/** `binance-paper` or `binance-live`. */
export type BinanceVenue = keyof typeof BINANCE_TRADING_URLS;

// A pattern (unlike the shared HttpUrl's custom filter) survives JSON Schema export, so the docs show the default URL.
const RestUrl = Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/, { description: 'an http:// or https:// URL' }));

const fields = (venue: BinanceVenue) => ({
  api_key: Schema.NonEmptyString.annotate({ description: 'API key (from the environment: ${BINANCE_API_KEY})' }),
  secret_key: Schema.NonEmptyString.annotate({ description: 'Secret key (from the environment)' }),
  rest_url: withDefault(RestUrl, BINANCE_TRADING_URLS[venue], 'REST base URL (a local simulator in tests)'),
  recv_window_ms: withDefault(PositiveInt.check(Schema.isLessThanOrEqualTo(60_000)), 5_000, 'Validity window of signed requests (at most 60000)'),
  poll_interval_ms: withDefault(PositiveInt, 1_000, 'How often working orders are polled for fills while connected'),
  quote_asset: withDefault(Schema.NonEmptyString, 'USDT', 'Asset counted as cash; positions are the base-asset holdings of traded symbols'),
  requests_per_second: withDefault(PositiveInt, 10, 'Outgoing REST requests per second at most'),
  request_timeout_ms: withDefault(PositiveInt, 10_000, 'A request without an answer after this long has an unknown outcome (orders are then looked up by client id)'),
});

/** Schema of the `binance-paper` config. */
export const BinancePaperConfigSchema = Schema.Struct(fields('binance-paper'))
  .annotate({ title: 'binance-paper', description: 'Binance Spot testnet' });

/** Schema of the `binance-live` config: the same keys plus `live`, which must be `true`. */
export const BinanceLiveConfigSchema = Schema.Struct({
  ...fields('binance-live'),
  live: withDefault(Schema.Boolean, false, 'Must be true to trade real money; the caller must also confirm (CLI --live)'),
}).annotate({ title: 'binance-live', description: 'Binance Spot (real money)' });

/** A decoded config of either venue (`live` only on binance-live). */
export type BinanceTradingConfig = typeof BinancePaperConfigSchema.Type & { readonly live?: boolean };

/** Throws CONFIG_INVALID unless both the config (`live: true`) and the caller (`--live`) ask for live trading. */
export const assertLiveAllowed = (config: BinanceTradingConfig, liveConfirmed: boolean | undefined): void => {
  if (config.live === true && liveConfirmed === true) return;
  const missing = [config.live === true ? undefined : 'the config does not say `live: true`', liveConfirmed === true ? undefined : 'the command was not given --live']
    .filter((x) => x !== undefined).join(' and ');
  throw realtimeError(
    'CONFIG_INVALID',
    `binance-live trades real money and needs both \`live: true\` in trading_provider_config and an explicit confirmation (--live): ${missing}`,
    { provider: 'binance-live', fields: ['live'] },
  );
};
