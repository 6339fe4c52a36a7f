/**
 * What a strategy author imports, as `argo-realtime/strategy`: {@link defineStrategy}, the host API a
 * strategy receives, and the domain types and interval helpers it works with. It pulls in nothing heavy
 * (no DuckDB, no XState), so a strategy's worker thread starts quickly.
 */
export { defineStrategy, type Strategy } from './strategy.ts';
export type { JsonSchema } from './config.ts';
export type { LogLevel, MarkValue, SqlParam, SqlParams, SqlRow, SqlValue, StrategyApi } from './host-api.ts';
export type { Bar } from '../domain/bar.ts';
export { INTERVALS, bucketEnd, bucketStart, intervalMs, isInterval, nextBucketStart, parseInterval, type Interval } from '../domain/interval.ts';
export type { AccountInfo, Fill, Order, OrderRequest, OrderSide, OrderStatus, OrderType, Position } from '../trading/types.ts';
