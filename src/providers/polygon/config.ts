/**
 * Configuration of the Polygon realtime provider, in the seed's snake_case YAML shape, with defaults. The API key
 * comes from the environment (`api_key: ${POLYGON_API_KEY}`); it is registered as a secret before anything else
 * so that no error, log or trace can show it.
 */
import * as Schema from 'effect/Schema';
import type { ConnectionInput } from '../../../machines/connection.machine.ts';
import { decodeConfig, HttpUrl, NonNegativeInt, optional, PositiveInt, withDefault, WsUrl } from '../../schema/schema-tools.ts';
import { isRealtimeError, realtimeError } from '../../errors.ts';
import { redact, registerSecret } from '../../secrets.ts';
import { POLYGON_FEEDS, POLYGON_LIMITS } from './messages.ts';

/** Schema of `realtime_provider_config` for `polygon-realtime`. */
export const PolygonRealtimeConfigSchema = Schema.Struct({
  api_key: Schema.String.check(Schema.isMinLength(1)).annotate({ description: 'Massive (formerly Polygon) API key, as ${POLYGON_API_KEY} (a literal key in a config file is refused)' }),
  feed: withDefault(Schema.Literals(POLYGON_FEEDS), 'stocks', 'Market: stocks, options, forex, crypto or indices (one connection per market)'),
  delayed: withDefault(Schema.Boolean, false, 'Use the 15-minute delayed cluster (wss://delayed.massive.com)'),
  ws_url: optional(WsUrl, 'Override the WebSocket base URL, without the market path (default wss://socket.massive.com; wss://socket.polygon.io still works; or a local simulator)'),
  rest_url: optional(HttpUrl, 'Override the REST base URL used for backfill (default https://api.massive.com; https://api.polygon.io still works)'),
  buffer_size: withDefault(PositiveInt, 100, 'Live bars held per stream while its gap is backfilled; past it they are delivered and the backfill arrives as corrections'),
  reconnect_attempts: withDefault(NonNegativeInt, 10, 'Consecutive failed reconnect attempts before giving up; 0 retries for ever'),
  reconnect_delay_ms: withDefault(PositiveInt, 500, 'First reconnect delay; doubles per attempt'),
  reconnect_max_delay_ms: withDefault(PositiveInt, 30_000, 'Cap of the reconnect delay'),
  healthy_after_ms: withDefault(PositiveInt, 30_000, 'An open connection this old resets the attempt counter'),
  stale_after_ms: withDefault(PositiveInt, 180_000, 'No frame for this long: reconnect (Massive sends no bar for a minute without trades, so keep it above a few minutes)'),
  max_evictions: withDefault(NonNegativeInt, 5, 'Consecutive max_connections evictions (another client took the slot) before giving up; 0 never gives up'),
  control_messages_per_second: withDefault(PositiveInt, 10, 'Outgoing subscribe / unsubscribe messages per second'),
  params_per_message: withDefault(PositiveInt, 200, 'Most subscription parameters in one message'),
  backfill: withDefault(Schema.Boolean, true, 'Fetch missed bars from the REST aggregates after a reconnect'),
  correction_window_ms: withDefault(NonNegativeInt, POLYGON_LIMITS.correctionWindowMs, 'How long minute bars may be corrected: re-fetched after a reconnect and kept to recompute aggregates'),
  correction_lookback_bars: withDefault(NonNegativeInt, 2, 'Bars before a gap re-read from REST after every reconnect and on resume from the file (Polygon may still correct the last bars before a drop); values that differ are applied as corrections. Minute bars also reach back over correction_window_ms'),
  aggregate_close_grace_ms: withDefault(NonNegativeInt, 10_000, 'An aggregated bar closes this long after its window ends when no later bar closed it first'),
  close_check_interval_ms: withDefault(PositiveInt, 1_000, 'How often aggregated windows are checked for closing by the clock'),
  connect_timeout_ms: withDefault(PositiveInt, 10_000, 'A socket not open after this long is abandoned and retried with backoff'),
  auth_timeout_ms: withDefault(PositiveInt, 10_000, 'An authentication without an answer for this long is abandoned and retried with backoff'),
  ack_timeout_ms: withDefault(PositiveInt, 10_000, 'A subscribe / unsubscribe unanswered for this long marks the connection unresponsive: reconnect'),
  subscribe_timeout_ms: withDefault(PositiveInt, 30_000, 'How long subscribe() and unsubscribe() wait for the server to settle every stream before rejecting with SUBSCRIPTION_FAILED'),
}).annotate({ title: 'polygon-realtime', description: 'Massive (formerly Polygon.io) aggregate streams (AM, A, XA, XAS, CA, CAS)' });

/** Decoded Polygon realtime configuration. */
export type PolygonRealtimeConfig = typeof PolygonRealtimeConfigSchema.Type;

/** Decodes raw config (YAML/JSON object); throws CONFIG_INVALID naming the field, never showing the key. */
export const decodePolygonRealtimeConfig = (input: unknown): PolygonRealtimeConfig => {
  const key = (input as { api_key?: unknown } | null | undefined)?.api_key;
  if (typeof key === 'string') registerSecret(key);
  try {
    return decodeConfig(PolygonRealtimeConfigSchema, input, 'polygon-realtime config');
  } catch (e) {
    if (!isRealtimeError(e)) throw e;
    const data = e.data ? (JSON.parse(redact(JSON.stringify(e.data))) as Record<string, unknown>) : undefined;
    throw realtimeError(e.code, redact(e.message), data);
  }
};

/** The connection machine's input for a config: backoff, timeouts, handshake on, no rotation. */
export const polygonConnectionInput = (c: PolygonRealtimeConfig, seed: number): ConnectionInput => ({
  seed,
  policy: {
    baseDelayMs: c.reconnect_delay_ms, maxDelayMs: Math.max(c.reconnect_delay_ms, c.reconnect_max_delay_ms), jitter: 0.5,
    maxAttempts: c.reconnect_attempts, healthyAfterMs: c.healthy_after_ms, connectTimeoutMs: c.connect_timeout_ms, handshakeTimeoutMs: c.auth_timeout_ms,
    // No application heartbeat and no bar for a quiet window: silence is normal for a while.
    staleAfterMs: c.stale_after_ms, idleTimeoutMs: c.stale_after_ms,
    // Never rotate: the replacement connection would evict the one it replaces (one connection per market).
    maxAgeMs: 0, handshake: true,
  },
  subscriptions: { controlPerSecond: c.control_messages_per_second, ackTimeoutMs: c.ack_timeout_ms, maxStreamsPerMessage: c.params_per_message },
});
