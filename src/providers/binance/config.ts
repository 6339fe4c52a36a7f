/**
 * Configuration of the Binance realtime provider, in the seed's snake_case YAML shape, with defaults.
 */
import * as Schema from 'effect/Schema';
import { decodeConfig, HttpUrl, NonNegativeInt, optional, PositiveInt, withDefault, WsUrl } from '../../schema/schema-tools.ts';

/** Schema of `realtime_provider_config` for `binance-realtime`. */
export const BinanceRealtimeConfigSchema = Schema.Struct({
  use_testnet: withDefault(Schema.Boolean, false, 'Use the Spot testnet endpoints'),
  ws_url: optional(WsUrl, 'Override the WebSocket base URL (e.g. a local simulator)'),
  rest_url: optional(HttpUrl, 'Override the REST base URL used for exchange info and backfill'),
  buffer_size: withDefault(PositiveInt, 100, 'Bars held per stream behind a gap being backfilled before a BUFFER_OVERFLOW warning (they are still held, never dropped)'),
  reconnect_attempts: withDefault(NonNegativeInt, 10, 'Consecutive failed reconnect attempts before giving up; 0 retries for ever'),
  reconnect_delay_ms: withDefault(PositiveInt, 500, 'First reconnect delay; doubles per attempt'),
  reconnect_max_delay_ms: withDefault(PositiveInt, 30_000, 'Cap of the reconnect delay'),
  healthy_after_ms: withDefault(PositiveInt, 30_000, 'An open connection this old resets the attempt counter'),
  stale_after_ms: withDefault(PositiveInt, 10_000, 'No frame for this long on a connection with streams: reconnect'),
  silent_stream_ms: withDefault(PositiveInt, 15_000, 'A confirmed stream with no frame for this long while others flow is checked (INVALID_SYMBOL or resubscribed)'),
  max_connection_age_ms: withDefault(NonNegativeInt, 23 * 3600_000 + 30 * 60_000, 'Rotate a connection proactively after this age (Binance cuts at 24 h); 0 never'),
  control_messages_per_second: withDefault(PositiveInt, 5, 'Outgoing control messages (and pongs) per second per connection'),
  streams_per_connection: withDefault(PositiveInt, 1024, 'Streams per connection before another is opened'),
  emit_updates: withDefault(Schema.Boolean, false, 'Also emit in-progress bar updates (final = false)'),
  backfill: withDefault(Schema.Boolean, true, 'Fetch missed closed bars from REST after a gap'),
  backfill_on_start_bars: withDefault(NonNegativeInt, 0, 'Closed bars to fetch per stream when it is first subscribed'),
  validate_symbols: withDefault(Schema.Boolean, true, 'Check symbols against exchangeInfo before subscribing'),
}).annotate({ title: 'binance-realtime', description: 'Binance Spot kline streams' });

/** Decoded Binance realtime configuration. */
export type BinanceRealtimeConfig = typeof BinanceRealtimeConfigSchema.Type;

/** Decodes raw config (YAML/JSON object); throws CONFIG_INVALID naming the field. */
export const decodeBinanceRealtimeConfig = (input: unknown): BinanceRealtimeConfig =>
  decodeConfig(BinanceRealtimeConfigSchema, input, 'binance-realtime config');
