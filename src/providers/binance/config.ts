/**
 * Configuration of the Binance realtime provider, in the seed's snake_case YAML shape, with defaults. `feed` picks
 * the market (Spot, USDⓈ-M or COIN-M futures); the limits left unset follow that market's documented values.
 */
import * as Schema from 'effect/Schema';
import type { ConnectionInput } from '../../../machines/connection.machine.ts';
import { decodeConfig, HttpUrl, NonNegativeInt, optional, PositiveInt, withDefault, WsUrl } from '../../schema/schema-tools.ts';
import { BINANCE_FEED_LIMITS } from './messages.ts';
import { BINANCE_FEEDS } from './urls.ts';

/** Schema of `realtime_provider_config` for `binance-realtime`. */
export const BinanceRealtimeConfigSchema = Schema.Struct({
  feed: withDefault(Schema.Literals(BINANCE_FEEDS), 'spot', 'Market: spot (stream.binance.com, /api/v3), usdm (USDⓈ-M futures: fstream.binance.com/market, /fapi/v1) or coinm (COIN-M futures: dstream.binance.com, /dapi/v1)'),
  use_testnet: withDefault(Schema.Boolean, false, "Use the feed's testnet endpoints"),
  ws_url: optional(WsUrl, 'Override the WebSocket base URL that /ws is appended to (e.g. a local simulator; for usdm include the /market route, as in wss://fstream.binance.com/market)'),
  rest_url: optional(HttpUrl, 'Override the REST base URL used for exchange info and backfill (the feed\'s /api/v3, /fapi/v1 or /dapi/v1 paths are appended)'),
  buffer_size: withDefault(PositiveInt, 100, 'Bars held per stream behind a gap being backfilled before a BUFFER_OVERFLOW warning (they are still held, never dropped)'),
  reconnect_attempts: withDefault(NonNegativeInt, 10, 'Consecutive failed reconnect attempts before giving up; 0 retries for ever'),
  reconnect_delay_ms: withDefault(PositiveInt, 500, 'First reconnect delay; doubles per attempt'),
  reconnect_max_delay_ms: withDefault(PositiveInt, 30_000, 'Cap of the reconnect delay'),
  healthy_after_ms: withDefault(PositiveInt, 30_000, 'An open connection this old resets the attempt counter'),
  stale_after_ms: withDefault(PositiveInt, 10_000, 'No frame for this long on a connection with streams: reconnect'),
  silent_stream_ms: withDefault(PositiveInt, 15_000, 'A confirmed stream with no frame for this long while others flow is checked (INVALID_SYMBOL or resubscribed)'),
  max_connection_age_ms: withDefault(NonNegativeInt, 23 * 3600_000 + 30 * 60_000, 'Rotate a connection proactively after this age (Binance cuts at 24 h); 0 never'),
  control_messages_per_second: optional(PositiveInt, 'Outgoing control messages (and pongs) per second per connection; default the feed\'s limit: spot 5, usdm and coinm 10'),
  streams_per_connection: optional(PositiveInt, 'Streams per connection before another is opened; default spot 1024, usdm and coinm 200'),
  emit_updates: withDefault(Schema.Boolean, false, 'Also emit in-progress bar updates (final = false)'),
  backfill: withDefault(Schema.Boolean, true, 'Fetch missed closed bars from REST after a gap'),
  backfill_on_start_bars: withDefault(NonNegativeInt, 0, 'Closed bars to fetch per stream when it is first subscribed'),
  validate_symbols: withDefault(Schema.Boolean, true, 'Check symbols against exchangeInfo before subscribing'),
  connect_timeout_ms: withDefault(PositiveInt, 10_000, 'A socket not open after this long is abandoned and retried with backoff'),
  ack_timeout_ms: withDefault(PositiveInt, 10_000, 'A SUBSCRIBE / UNSUBSCRIBE unanswered for this long marks the connection unresponsive: reconnect'),
  subscribe_timeout_ms: withDefault(PositiveInt, 30_000, 'How long subscribe() and unsubscribe() wait for the server to settle every stream before rejecting with SUBSCRIPTION_FAILED'),
  idle_timeout_ms: optional(PositiveInt, 'No frame at all, not even a ping, for this long on a connection without streams: reconnect; default spot 75000 (pings every 20 s), usdm and coinm 390000 (pings every 3 minutes)'),
}).annotate({ title: 'binance-realtime', description: 'Binance kline streams: Spot, USDⓈ-M futures or COIN-M futures' });

/** Decoded Binance realtime configuration, with the feed's limits filled in. */
export type BinanceRealtimeConfig = Omit<typeof BinanceRealtimeConfigSchema.Type, 'control_messages_per_second' | 'streams_per_connection' | 'idle_timeout_ms'> & {
  readonly control_messages_per_second: number;
  readonly streams_per_connection: number;
  readonly idle_timeout_ms: number;
};

/** Decodes raw config (YAML/JSON object); throws CONFIG_INVALID naming the field. */
export const decodeBinanceRealtimeConfig = (input: unknown): BinanceRealtimeConfig => {
  const c = decodeConfig(BinanceRealtimeConfigSchema, input, 'binance-realtime config');
  const limits = BINANCE_FEED_LIMITS[c.feed];
  return {
    ...c,
    control_messages_per_second: c.control_messages_per_second ?? limits.controlMessagesPerSecond,
    streams_per_connection: c.streams_per_connection ?? limits.streamsPerConnection,
    // Three missed Spot pings; on futures two missed pings plus the pong grace.
    idle_timeout_ms: c.idle_timeout_ms ?? (c.feed === 'spot' ? 75_000 : 2 * limits.pingIntervalMs + 30_000),
  };
};

/** Connection settings that are not worth a config key. */
export const BINANCE_CONNECTION = {
  /** Fraction of each reconnect delay cut at random, so a fleet of clients does not reconnect in step. */
  jitter: 0.5,
  /** Unused: a Binance market stream has no handshake after the socket opens (the machine's policy needs a value). */
  handshakeTimeoutMs: 10_000,
  /** Streams named in one SUBSCRIBE: Binance documents no cap per message; this keeps each frame small. */
  maxStreamsPerMessage: 200,
  /** How long a stream tracker waits for a late or reordered bar before it treats a missing one as a gap. */
  gapGraceMs: 250,
} as const;

/** The connection machine's input for one connection of a config's pool: backoff, timeouts, rotation, no handshake. */
export const binanceConnectionInput = (c: BinanceRealtimeConfig, seed: number): ConnectionInput => ({
  seed,
  policy: {
    baseDelayMs: c.reconnect_delay_ms, maxDelayMs: Math.max(c.reconnect_delay_ms, c.reconnect_max_delay_ms), jitter: BINANCE_CONNECTION.jitter,
    maxAttempts: c.reconnect_attempts, healthyAfterMs: c.healthy_after_ms, connectTimeoutMs: c.connect_timeout_ms,
    handshakeTimeoutMs: BINANCE_CONNECTION.handshakeTimeoutMs,
    // Klines push every 1-2 s (Spot) or 250 ms (futures): silence longer than stale_after_ms means a dead peer.
    staleAfterMs: c.stale_after_ms, idleTimeoutMs: c.idle_timeout_ms,
    maxAgeMs: c.max_connection_age_ms, handshake: false,
  },
  subscriptions: { controlPerSecond: c.control_messages_per_second, ackTimeoutMs: c.ack_timeout_ms, maxStreamsPerMessage: BINANCE_CONNECTION.maxStreamsPerMessage },
});
