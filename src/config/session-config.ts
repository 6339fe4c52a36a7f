/**
 * The session configuration in the seed's YAML shape: `session:` (providers, storage, symbols, interval),
 * `strategy:` (path and config) and `risk:` (pre-trade limits, src/risk/config.ts). Nested provider and storage configs are decoded by their own schemas, and
 * every error names the full field path (`session.realtime_provider_config.reconnect_attempts`).
 */
import * as Schema from 'effect/Schema';
import { INTERVALS, type Interval } from '../domain/interval.ts';
import { isRealtimeError, realtimeError, type RealtimeError } from '../errors.ts';
import { decodeBinanceRealtimeConfig } from '../providers/binance/config.ts';
import { decodePolygonRealtimeConfig } from '../providers/polygon/config.ts';
import { decodeWriterConfig, type WriterConfig } from '../storage/config.ts';
import { decodeTradingProviderConfig, getTradingProviderInfo, TRADING_PROVIDER_NAMES } from '../trading/provider-info.ts';
import { decodeRiskSection, RiskSectionSchema, riskLimitsOf, type RiskLimits } from '../risk/config.ts';
import { BusSectionSchema, type BusConfig } from '../bus/config.ts';
import { decodeConfig, NonNegativeInt, optional, PositiveInt, withDefault } from './schema-tools.ts';

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
  nice: withDefault(NonNegativeInt.check(Schema.isLessThanOrEqualTo(19)), 10, 'Linux: nice value of the strategy\'s thread (0 = the host\'s priority, 19 = the lowest), so that a strategy keeping its thread busy yields the CPU to ingestion and persistence'),
  max_subscriptions: withDefault(NonNegativeInt, 10, 'Streams the strategy may add with subscribeRealtime beyond the session\'s own (only symbols in risk.allowed_symbols); more are refused with SUBSCRIPTION_REFUSED'),
  subscriptions_per_minute: withDefault(PositiveInt, 10, 'subscribeRealtime calls the strategy may make per minute (also the burst); more are refused with RATE_LIMITED'),
});

/** The whole file. */
export const ConfigFileSchema = Schema.Struct({
  session: SessionSectionSchema,
  strategy: Schema.optionalKey(StrategySectionSchema),
  risk: Schema.optionalKey(RiskSectionSchema),
  bus: Schema.optionalKey(BusSectionSchema.annotate({ description: 'NATS JetStream bus: publish recorded bars, or run the session on bars from it (docs/scale-out.md)' })),
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
    /** Nice value of the strategy's thread (default 10). */
    readonly nice?: number;
    /** Streams `subscribeRealtime` may add (default 10). */
    readonly maxSubscriptions?: number;
    /** `subscribeRealtime` calls per minute (default 10). */
    readonly subscriptionsPerMinute?: number;
  };
  /** Pre-trade risk limits (`risk:`); the defaults over the session's symbols when absent. */
  readonly risk?: RiskLimits;
  /** The `bus:` section (docs/scale-out.md). */
  readonly bus?: BusConfig;
  /** A bus recorder without `storage_config`: no DuckDB file, no event log; the bus holds the bars. */
  readonly noStorage?: true;
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

const objectOr = (value: unknown): Record<string, unknown> | undefined =>
  value === undefined ? {} : typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** One CONFIG_INVALID error for several: messages one per line, each part kept for `configIssues`. */
const combined = (errors: readonly RealtimeError[]): RealtimeError =>
  errors.length === 1 ? errors[0]! : realtimeError('CONFIG_INVALID', errors.map((e) => e.message).join('\n'), {
    fields: errors.flatMap((e) => (e.data?.fields as string[] | undefined) ?? []),
    parts: errors.map((e) => ({ message: e.message, ...(e.data ? { data: e.data } : {}) })),
  });

/**
 * Decodes a parsed config file (plain object), checking nested configs; throws CONFIG_INVALID with the field
 * path. The nested sections are checked even when the top level has problems, so one run reports them all.
 */
export const decodeSessionConfig = (input: unknown, where = 'config'): SessionConfig => {
  const errors: RealtimeError[] = [];
  const attempt = <T>(decode: () => T): T | undefined => {
    try {
      return decode();
    } catch (e) {
      if (!isRealtimeError(e) || e.code !== 'CONFIG_INVALID') throw e;
      errors.push(e);
      return undefined;
    }
  };
  const file = attempt(() => decodeConfig(ConfigFileSchema, input, where));
  const raw: Readonly<Record<string, unknown>> = file?.session ?? objectOr((objectOr(input) ?? {}).session) ?? {};
  const realtime = raw.realtime_provider;
  const realtimeConfig = objectOr(raw.realtime_provider_config);
  if (realtime === 'binance-realtime' && realtimeConfig) attempt(() => nested('session.realtime_provider_config', () => decodeBinanceRealtimeConfig(realtimeConfig)));
  else if (realtime === 'polygon-realtime' && realtimeConfig) attempt(() => nested('session.realtime_provider_config', () => decodePolygonRealtimeConfig(realtimeConfig)));
  else if (typeof realtime === 'string') {
    errors.push(realtimeError('CONFIG_INVALID', `${where}: session.realtime_provider: unknown provider ${JSON.stringify(realtime)}; expected binance-realtime or polygon-realtime`, { fields: ['session.realtime_provider'] }));
  }
  const trading = raw.trading_provider ?? 'paper';
  const tradingConfig = objectOr(raw.trading_provider_config);
  if (typeof trading === 'string' && !getTradingProviderInfo(trading)) {
    errors.push(realtimeError('CONFIG_INVALID', `${where}: session.trading_provider: unknown trading provider ${JSON.stringify(trading)}; known: ${TRADING_PROVIDER_NAMES.join(', ')}`, { fields: ['session.trading_provider'] }));
  } else if (typeof trading === 'string' && tradingConfig) {
    attempt(() => nested('session.trading_provider_config', () => decodeTradingProviderConfig(trading, tradingConfig)));
  }
  // A recorder publishing to a bus may run without DuckDB: the bus is then its only store (docs/scale-out.md).
  const rawFile = objectOr(input) ?? {};
  const busMode = file?.bus?.mode ?? (objectOr(rawFile.bus) ?? {}).mode;
  const storageless = busMode === 'publish' && rawFile.strategy === undefined && (objectOr(rawFile.session) ?? {}).storage_config === undefined;
  let storage: WriterConfig | undefined;
  const storageConfig = storageless ? { output_path: ':memory:' } : objectOr(raw.storage_config);
  if (storageConfig) attempt(() => nested('session.storage_config', () => (storage = decodeWriterConfig(storageConfig))));
  if (errors.length > 0 || !file) throw combined(errors);
  const s = file.session;
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
    ...(st ? { strategy: { path: st.path, config: st.config, budgetMs: st.budget_ms, onError: st.on_error, isolation: st.isolation, memoryMb: st.memory_mb, nice: st.nice, maxSubscriptions: st.max_subscriptions, subscriptionsPerMinute: st.subscriptions_per_minute } } : {}),
    risk: riskLimitsOf(file.risk ?? decodeRiskSection({}), s.symbols),
    ...(file.bus ? { bus: file.bus } : {}),
    ...(storageless ? { noStorage: true as const } : {}),
  };
};

/** Re-export for callers that only need the error type. */
export type { RealtimeError };
