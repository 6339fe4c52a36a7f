/**
 * Every Prometheus family the metrics endpoint exposes, as one table read from `SessionStats`: a new statistic
 * is one row (`gauge`, `counter` or `summary` with a name, a help text and how to read it). Units are base
 * units (seconds); counters end in `_total`; latencies are summaries (quantiles of a recent window, `_sum` and
 * `_count` over the run), never averaged gauges. `metrics.ts` renders the table with prom-client.
 */
import type { SessionStats } from '../session/types.ts';

/** One label set (without `session`, which every series carries) and its value. */
export type MetricSample = readonly [labels: Readonly<Record<string, string>>, value: number];

/** A summary at one instant: quantiles of the recent window, sum and count since the start. */
export interface SummarySnapshot {
  readonly quantiles: readonly (readonly [quantile: number, value: number])[];
  readonly sum: number;
  readonly count: number;
}

/** A family whose samples are plain values: a number for an unlabelled series, samples for labelled ones. */
export interface ValueFamily {
  readonly kind: 'gauge' | 'counter';
  readonly name: string;
  readonly help: string;
  /** The value(s) now; `null` or `undefined` leaves the family out (e.g. no provider, no strategy). */
  readonly read: (stats: SessionStats) => number | readonly MetricSample[] | null | undefined;
}

/** A summary family. */
export interface SummaryFamily {
  readonly kind: 'summary';
  readonly name: string;
  readonly help: string;
  readonly read: (stats: SessionStats) => SummarySnapshot | null | undefined;
}

/** One row of {@link METRIC_FAMILIES}. */
export type MetricFamily = ValueFamily | SummaryFamily;

const SESSION_STATES = ['idle', 'starting', 'running', 'stopping', 'stopped', 'failed'] as const;
const CONNECTION_STATES = ['disconnected', 'connecting', 'connected', 'reconnecting'] as const;

const gauge = (name: string, help: string, read: ValueFamily['read']): ValueFamily => ({ kind: 'gauge', name, help, read });
const counter = (name: string, help: string, read: ValueFamily['read']): ValueFamily => ({ kind: 'counter', name, help, read });
const summary = (name: string, help: string, read: SummaryFamily['read']): SummaryFamily => ({ kind: 'summary', name, help, read });
const byKey = (key: string, record: Readonly<Record<string, number>>): MetricSample[] => Object.entries(record).map(([k, n]) => [{ [key]: k }, n]);
const oneHot = (key: string, states: readonly string[], current: string): MetricSample[] => states.map((s) => [{ [key]: s }, s === current ? 1 : 0]);
const ms = (n: number): number => n / 1000;

/** The families, in exposition order. */
export const METRIC_FAMILIES: readonly MetricFamily[] = [
  gauge('argo_session_state', 'Session lifecycle state (1 for the current one).', (s) => oneHot('state', SESSION_STATES, s.state)),
  gauge('argo_connection_state', 'Market data connection state (1 for the current one).', (s) => oneHot('state', CONNECTION_STATES, s.connection)),
  counter('argo_bars_received_total', 'Closed bars received from the market data provider.', (s) => s.barsReceived),
  gauge('argo_bars_per_second', 'Closed bars per second over the last 10 s.', (s) => s.barsPerSecond),
  gauge('argo_last_bar_age_seconds', 'Time since the last closed bar of a symbol arrived.', (s) => Object.entries(s.lastBars).map(([symbol, b]) => [{ symbol }, ms(b.ageMs)])),
  counter('argo_writer_writes_total', 'Bars accepted by the writer.', (s) => s.writer.totalWrites),
  gauge('argo_writer_buffered_rows', 'Bars accepted and not yet durable.', (s) => s.writer.bufferedWrites),
  counter('argo_writer_flushes_total', 'Successful flushes.', (s) => s.writer.flushCount),
  gauge('argo_writer_last_flush_timestamp_seconds', 'When the last successful flush became durable (0 before the first).', (s) => ms(s.writer.lastFlushTime)),
  summary('argo_writer_flush_duration_seconds', 'Duration of successful flushes.', (s) => ({ quantiles: [], sum: ms(s.writer.averageFlushTime * s.writer.flushCount), count: s.writer.flushCount })),
  counter('argo_writer_flush_errors_total', 'Failed flush attempts (rows kept and retried).', (s) => s.writer.errorCount),
  counter('argo_writer_rejected_invalid_total', 'Bars refused by validation.', (s) => s.writer.rejectedInvalid),
  counter('argo_writer_overflow_total', 'Writes refused at the buffer cap (back-pressure).', (s) => s.writer.overflowCount),
  gauge('argo_events_pending', 'Event log entries not yet flushed.', (s) => s.eventsPending),
  gauge('argo_storage_write_failing', 'Whether flushes are failing now (1) or not (0).', (s) => s.durability && (s.durability.writeFailing ? 1 : 0)),
  gauge('argo_storage_write_failing_seconds', 'How long flushes have been failing (0 when they succeed).', (s) => s.durability && ms(s.durability.failingForMs)),
  gauge('argo_storage_holding', 'Whether new bars are not taken because the writer is at its cap (1) or not (0).', (s) => s.durability && (s.durability.holding ? 1 : 0)),
  gauge('argo_storage_lost', 'Whether the DuckDB file was deleted or replaced under the process (1) or not (0).', (s) => s.durability && (s.durability.fatal ? 1 : 0)),
  gauge('argo_storage_open_gaps', 'Gaps of bars not taken and not yet fetched back.', (s) => s.durability?.openGaps.length),
  gauge('argo_storage_gap_bars', 'Bars not taken per stream in open gaps.', (s) => s.durability?.openGaps.map((g) => [{ symbol: g.symbol, interval: g.interval }, g.bars])),
  counter('argo_storage_gaps_opened_total', 'Gaps opened (bars not taken at the writer cap).', (s) => s.durability?.gapsOpened),
  counter('argo_storage_gaps_closed_total', 'Gaps closed by fetching their range from REST.', (s) => s.durability?.gapsClosed),
  counter('argo_storage_bars_refetched_total', 'Bars fetched from REST to close gaps.', (s) => s.durability?.barsRefetched),
  counter('argo_storage_ranges_backfilled_total', 'Runs of bars the provider backfilled (reconnects, resume).', (s) => s.durability?.rangesBackfilled),
  counter('argo_storage_corrections_total', 'Bars whose stored values were corrected.', (s) => s.durability?.corrections),
  counter('argo_storage_duplicates_skipped_total', 'Re-read bars equal to the stored row, skipped.', (s) => s.durability?.duplicatesSkipped),
  gauge('argo_storage_uncovered_ranges', 'Ranges older than the resume lookback, not fetched.', (s) => s.durability?.uncovered.length),
  gauge('argo_provider_connections', 'Connections in the provider pool.', (s) => s.provider?.connections),
  counter('argo_provider_frames_total', 'Frames received.', (s) => s.provider?.framesReceived),
  counter('argo_provider_bars_emitted_total', 'Bars emitted by the provider.', (s) => s.provider?.barsEmitted),
  counter('argo_provider_bars_backfilled_total', 'Closed bars repaired from REST backfill.', (s) => s.provider?.barsBackfilled),
  counter('argo_provider_malformed_frames_total', 'Frames that failed decoding or validation.', (s) => s.provider?.malformedFrames),
  counter('argo_provider_duplicates_dropped_total', 'Duplicate closed bars dropped.', (s) => s.provider?.duplicatesDropped),
  counter('argo_provider_reconnects_total', 'Reconnects, all reasons.', (s) => s.provider?.reconnects),
  counter('argo_provider_reconnects_by_reason_total', 'Reconnects by reason.', (s) => s.provider && byKey('reason', s.provider.reconnectReasons)),
  counter('argo_provider_control_messages_total', 'Control messages sent (subscribe, unsubscribe, pong).', (s) => s.provider?.controlMessagesSent),
  counter('argo_strategy_bars_processed_total', 'Bars handed to the strategy.', (s) => s.strategy?.barsProcessed),
  counter('argo_strategy_bars_failed_total', 'Bars on which the strategy failed.', (s) => s.strategy?.barsFailed),
  counter('argo_strategy_bars_skipped_total', 'Bars dropped from a full strategy queue.', (s) => s.strategy?.skipped),
  gauge('argo_strategy_queue', 'Bars waiting for the strategy.', (s) => s.strategy?.queued),
  counter('argo_strategy_restarts_total', 'Strategy worker restarts.', (s) => s.strategy?.restarts),
  summary('argo_strategy_latency_seconds', 'Per-bar strategy latency (quantiles over the recent window; sum and count since the start).', (s) => s.strategy && {
    quantiles: [[0.5, ms(s.strategy.latencyMs.p50)], [0.99, ms(s.strategy.latencyMs.p99)]], sum: ms(s.strategy.latencyMs.sum), count: s.strategy.latencyMs.count,
  }),
  gauge('argo_strategy_latency_max_seconds', 'Largest per-bar strategy latency since the start.', (s) => s.strategy && ms(s.strategy.latencyMs.max)),
  gauge('argo_positions', 'Open positions.', (s) => s.positions.filter((p) => p.quantity !== 0).length),
  gauge('argo_position_quantity', 'Net position per symbol (negative is short).', (s) => s.positions.map((p) => [{ symbol: p.symbol }, p.quantity])),
  counter('argo_orders_total', 'Orders by outcome.', (s) => byKey('status', s.orders)),
  gauge('argo_account_equity', 'Account equity at the last marks.', (s) => s.account && [[{ currency: s.account.currency }, s.account.equity]]),
  gauge('argo_account_cash', 'Account cash.', (s) => s.account && [[{ currency: s.account.currency }, s.account.cash]]),
  gauge('argo_account_realized_pnl', 'Realised profit and loss, before fees.', (s) => s.account && [[{ currency: s.account.currency }, s.account.realizedPnl]]),
  gauge('argo_account_unrealized_pnl', 'Unrealised profit and loss at the last marks.', (s) => s.account && [[{ currency: s.account.currency }, s.account.unrealizedPnl]]),
  counter('argo_account_fees_total', 'Fees paid.', (s) => s.account && [[{ currency: s.account.currency }, s.account.fees]]),
  counter('argo_risk_rejections_total', 'Orders refused by the pre-trade risk engine, by check.', (s) => s.risk && byKey('check', s.risk.rejectedBy)),
  gauge('argo_risk_kill_switch_tripped', 'Kill switch state: 1 when tripped (new orders refused), 0 when armed.', (s) => s.risk && (s.risk.killSwitch === 'tripped' ? 1 : 0)),
  counter('argo_risk_kill_switch_trips_total', 'Times the kill switch tripped (daily loss limit or manual).', (s) => s.risk?.trips),
  gauge('argo_risk_open_orders', 'Working orders the risk engine counts.', (s) => s.risk?.openOrders),
  gauge('argo_risk_exposure', 'Worst-case value of all positions, working orders counted as filled.', (s) => s.risk?.exposure),
  gauge('argo_risk_daily_pnl', 'Equity change since the start of the UTC day, as the risk engine tracks it.', (s) => s.risk?.dailyPnl),
];
