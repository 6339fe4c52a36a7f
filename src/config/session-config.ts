/**
 * The session configuration in the seed's YAML shape: `session:` (providers, storage, symbols, interval) and
 * `strategy:` (path and config). Nested provider and storage configs are decoded by their own schemas, and
 * every error names the full field path (`session.realtime_provider_config.reconnect_attempts`).
 */
import * as Schema from 'effect/Schema';
import { INTERVALS, type Interval } from '../domain/interval.ts';
import { isRealtimeError, realtimeError, type RealtimeError } from '../errors.ts';
import { decodeBinanceRealtimeConfig } from '../providers/binance/config.ts';
import { decodePolygonRealtimeConfig } from '../providers/polygon/config.ts';
import { decodeWriterConfig, type WriterConfig } from '../storage/config.ts';
import { decodeTradingProviderConfig } from '../trading/registry.ts';
import { decodeConfig, optional, PositiveInt, withDefault } from './schema-tools.ts';

const AnyObject = Schema.Record(Schema.String, Schema.Unknown);

/** `session:` */
export const SessionSectionSchema = Schema.Struct({
  id: optional(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_.-]{1,64}$/)), 'Session id. Events are logged under it; starting again with the same id resumes the session (positions, orders, cash).'),
  realtime_provider: Schema.String.annotate({ description: 'Market data provider: binance-realtime or polygon-realtime' }),
  realtime_provider_config: withDefault(AnyObject, {}, 'Provider settings (see `argo-realtime providers`)'),
  trading_provider: withDefault(Schema.String, 'paper', 'Trading provider: paper, binance-paper, binance-live, ibkr-paper, ibkr-live'),
  trading_provider_config: withDefault(AnyObject, {}, 'Trading provider settings'),
  storage_config: withDefault(AnyObject, {}, 'DuckDB writer settings'),
  symbols: Schema.Array(Schema.String.check(Schema.isMinLength(1))).check(Schema.isMinLength(1)).annotate({ description: 'Symbols to stream, in the provider\'s form' }),
  interval: withDefault(Schema.Literals(INTERVALS), '1m', 'Bar interval'),
  strategy_queue_size: withDefault(PositiveInt, 10_000, 'Bars queued for a slow strategy before the oldest are skipped (counted as strategy.skipped)'),
});

/** `strategy:` */
export const StrategySectionSchema = Schema.Struct({
  path: Schema.String.check(Schema.isMinLength(1)).annotate({ description: 'Strategy module (.ts, .js, .mjs), relative to the config file' }),
  config: withDefault(AnyObject, {}, 'Passed to initialize(config), checked against the strategy\'s configSchema'),
  budget_ms: withDefault(PositiveInt, 1_000, 'Time a strategy may spend on one bar before it is stopped and restarted'),
  on_error: withDefault(Schema.Literals(['skip', 'stop']), 'skip', 'On a strategy failure: skip the bar, or stop the session'),
  isolation: withDefault(Schema.Literals(['sandbox', 'trusted']), 'sandbox', 'sandbox: QuickJS/WebAssembly, only the host API reachable; trusted: a plain worker thread with Node\'s APIs, for your own code only'),
  memory_mb: withDefault(PositiveInt, 256, 'Memory limit of the sandbox (heap and ArrayBuffers; at least 32); reaching it is an oom failure'),
});

/** The whole file. */
export const ConfigFileSchema = Schema.Struct({
  session: SessionSectionSchema,
  strategy: Schema.optionalKey(StrategySectionSchema),
});

/** A decoded, fully checked session configuration. */
export interface SessionConfig {
  readonly id?: string;
  readonly realtimeProvider: string;
  readonly realtimeProviderConfig: Record<string, unknown>;
  readonly tradingProvider: string;
  readonly tradingProviderConfig: Record<string, unknown>;
  readonly storage: WriterConfig;
  readonly symbols: readonly string[];
  readonly interval: Interval;
  readonly strategyQueueSize: number;
  readonly strategy?: {
    readonly path: string;
    readonly config: Record<string, unknown>;
    readonly budgetMs: number;
    readonly onError: 'skip' | 'stop';
    /** Default `sandbox`. */
    readonly isolation?: 'sandbox' | 'trusted';
    /** Default 256. */
    readonly memoryMb?: number;
  };
}

const nested = (path: string, decode: () => unknown): void => {
  try {
    decode();
  } catch (e) {
    if (!isRealtimeError(e)) throw e;
    const fields = ((e.data?.fields as string[] | undefined) ?? []).map((f) => `${path}.${f}`);
    throw realtimeError('CONFIG_INVALID', `${fields.length ? fields.join(', ') : path}: ${e.message}`, { ...e.data, fields: fields.length ? fields : [path] });
  }
};

/** Decodes a parsed config file (plain object), checking nested configs; throws CONFIG_INVALID with the field path. */
export const decodeSessionConfig = (input: unknown, where = 'config'): SessionConfig => {
  const file = decodeConfig(ConfigFileSchema, input, where);
  const s = file.session;
  if (s.realtime_provider === 'binance-realtime') nested('session.realtime_provider_config', () => decodeBinanceRealtimeConfig(s.realtime_provider_config));
  else if (s.realtime_provider === 'polygon-realtime') nested('session.realtime_provider_config', () => decodePolygonRealtimeConfig(s.realtime_provider_config));
  else {
    throw realtimeError('CONFIG_INVALID', `${where}: session.realtime_provider: unknown provider ${JSON.stringify(s.realtime_provider)}; expected binance-realtime or polygon-realtime`, { fields: ['session.realtime_provider'] });
  }
  nested('session.trading_provider_config', () => decodeTradingProviderConfig(s.trading_provider, s.trading_provider_config));
  let storage: WriterConfig | undefined;
  nested('session.storage_config', () => (storage = decodeWriterConfig(s.storage_config)));
  const st = file.strategy;
  return {
    ...(s.id ? { id: s.id } : {}),
    realtimeProvider: s.realtime_provider,
    realtimeProviderConfig: s.realtime_provider_config,
    tradingProvider: s.trading_provider,
    tradingProviderConfig: s.trading_provider_config,
    storage: storage!,
    symbols: s.symbols,
    interval: s.interval,
    strategyQueueSize: s.strategy_queue_size,
    ...(st ? { strategy: { path: st.path, config: st.config, budgetMs: st.budget_ms, onError: st.on_error, isolation: st.isolation, memoryMb: st.memory_mb } } : {}),
  };
};

/** Re-export for callers that only need the error type. */
export type { RealtimeError };
