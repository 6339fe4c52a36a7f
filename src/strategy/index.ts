/**
 * The strategy runtime's public surface: the strategy module shape, the host API, the runner (QuickJS sandbox or trusted worker),
 * the DuckDB data services with the read-only SQL guard, and the events and errors they report.
 */
export { defineStrategy, strategyProblem, type Strategy } from './strategy.ts';
export { resolveConfig, type ConfigResult, type JsonSchema } from './config.ts';
export type {
  LogLevel, MarkValue, SqlParam, SqlParams, SqlRow, SqlValue, StrategyApi, StrategyDataServices, StrategyHostServices,
} from './host-api.ts';
export { startStrategy, StrategyRunner, type FailurePolicy, type StrategyRunnerOptions } from './runtime.ts';
export type { Isolation } from './worker-host.ts';
export { DEFAULT_GATE_LIMITS, type GateLimits } from './message-gate.ts';
export type {
  BarOutcome, RunnerState, StrategyEvent, StrategyFailed, StrategyFailureReason, StrategyHalted, StrategyRestarted,
  StrategyServiceFailed, StrategyStats,
} from './events.ts';
export type { LatencySummary } from './latency.ts';
export { openDuckDBData, type DuckDBDataOptions, type DuckDBDataService } from './duckdb-data.ts';
export { ALLOWED_TABLE_FUNCTIONS, FORBIDDEN_SCALAR_FUNCTIONS, checkReadOnly, prepareReadOnly } from './sql-guard.ts';
export { ReadOnlyQueryError, StrategyLoadError, type ReadOnlyQueryReason, type StrategyLoadStage } from './errors.ts';
