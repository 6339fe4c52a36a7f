/**
 * argo-realtime: realtime market data (Binance, Polygon) persisted to DuckDB, and realtime trading
 * sessions, built as an XState actor system. This is the programmatic surface; the CLI is `argo-realtime`.
 */
export type { Bar } from './domain/bar.ts';
export { barKey, barProblem, streamKey } from './domain/bar.ts';
export { INTERVALS, bucketEnd, bucketStart, intervalMs, isInterval, nextBucketStart, parseInterval, type Interval } from './domain/interval.ts';
export { ERROR_CODES, RealtimeError, decodeRealtimeError, isRealtimeError, realtimeError, type ErrorCode } from './errors.ts';
export type { ConnectionState, ConnectionStateDetail, ProviderStats, RealtimeProvider } from './providers/realtime-provider.ts';
export { createRealtimeProvider, getSupportedRealtimeProviders, realtimeProviderInfo, type RealtimeProviderInfo, type RealtimeProviderName } from './providers/registry.ts';
export { BinanceRealtimeProvider } from './providers/binance/index.ts';
export { PolygonRealtimeProvider, type PolygonBar, type PolygonProviderStats } from './providers/polygon/index.ts';
export type { RealtimeWriter, RealtimeWriterStats } from './storage/realtime-writer.ts';
export { DuckDBRealtimeWriter } from './storage/duckdb-writer.ts';
export { decodeWriterConfig, writerConfigSchema, type WriterConfig } from './storage/config.ts';
export { exportBars, exportBarsFrom, type BarExportOptions, type BarExportResult, type ExportedPartition } from './storage/parquet-export.ts';
export { decodeSessionConfig, ConfigFileSchema, type SessionConfig } from './config/session-config.ts';
export { createRealtimeSession, SessionEventLog, type RealtimeSession, type RealtimeSessionOptions, type SessionEvents, type SessionStats, type SessionSummary } from './session/index.ts';
export { defineStrategy, type Strategy } from './strategy/strategy.ts';
export type { StrategyApi } from './strategy/host-api.ts';
export type { TradingProvider } from './trading/trading-provider.ts';
export { createTradingProvider, listTradingProviders } from './trading/registry.ts';
export type { AccountInfo, Fill, Order, OrderRequest, Position } from './trading/types.ts';
export { decodeRiskSection, defaultRiskLimits, riskLimitsOf, RiskSectionSchema, type RiskLimits } from './risk/config.ts';
export { guardTradingProvider, type GuardedTradingProvider, type RiskControl, type RiskFact, type RiskStats } from './risk/guarded-provider.ts';
export { checkOrder, type RiskVerdict } from './risk/risk-engine.ts';
export { applyRisk, initialRiskState, RISK_CHECKS, type KillSwitch, type RiskCheck, type RiskInput, type RiskState } from './risk/risk-state.ts';
export type { SessionRiskControl } from './risk/session-risk.ts';
export { startBinanceSimulator, type BinanceSimulator } from './sim/binance/index.ts';
export { startPolygonSimulator, type PolygonSimulator } from './sim/polygon/index.ts';
export * from './observability/index.ts';
export * from './replay/index.ts';
export { loadConfigFile } from './config/load.ts';
export * from './bus/index.ts';
