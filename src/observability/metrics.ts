/**
 * A Prometheus endpoint for a session (`--metrics <port>`): `GET /metrics` renders `stats()` in the text
 * exposition format 0.0.4 (connection and session state, bars and bars/s, last bar age per symbol, writer,
 * provider reconnects by reason, malformed frames, backfilled bars, strategy latency p50/p99, positions, equity).
 * The server binds loopback only: it is an operator's tap, not a public service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realtimeError } from '../errors.ts';
import type { SessionStats } from '../session/types.ts';

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [Labels, number];
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly Sample[];
}

const SESSION_STATES = ['idle', 'starting', 'running', 'stopping', 'stopped', 'failed'] as const;
const CONNECTION_STATES = ['disconnected', 'connecting', 'connected', 'reconnecting'] as const;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const formatValue = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

const g = (name: string, help: string, samples: readonly Sample[]): Family => ({ name, help, type: 'gauge', samples });
const c = (name: string, help: string, samples: readonly Sample[]): Family => ({ name, help, type: 'counter', samples });

/** Renders session statistics in the Prometheus text format; every series carries a `session` label. */
export const renderMetrics = (stats: SessionStats): string => {
  const s = { session: stats.id };
  const one = (v: number): readonly Sample[] => [[s, v]];
  const w = stats.writer;
  const p = stats.provider;
  const st = stats.strategy;
  const families: Family[] = [
    g('argo_session_state', 'Session lifecycle state (1 for the current one).', SESSION_STATES.map((state) => [{ ...s, state }, stats.state === state ? 1 : 0])),
    g('argo_connection_state', 'Market data connection state (1 for the current one).', CONNECTION_STATES.map((state) => [{ ...s, state }, stats.connection === state ? 1 : 0])),
    c('argo_bars_received_total', 'Closed bars received from the market data provider.', one(stats.barsReceived)),
    g('argo_bars_per_second', 'Closed bars per second over the last 10 s.', one(stats.barsPerSecond)),
    g('argo_last_bar_age_seconds', 'Time since the last closed bar of a symbol arrived.', Object.entries(stats.lastBars).map(([symbol, b]) => [{ ...s, symbol }, b.ageMs / 1000])),
    c('argo_writer_writes_total', 'Bars accepted by the writer.', one(w.totalWrites)),
    g('argo_writer_buffered_rows', 'Bars accepted and not yet durable.', one(w.bufferedWrites)),
    c('argo_writer_flushes_total', 'Successful flushes.', one(w.flushCount)),
    g('argo_writer_last_flush_timestamp_seconds', 'When the last successful flush became durable (0 before the first).', one(w.lastFlushTime / 1000)),
    g('argo_writer_flush_duration_seconds_avg', 'Mean duration of successful flushes.', one(w.averageFlushTime / 1000)),
    c('argo_writer_flush_errors_total', 'Failed flush attempts (rows kept and retried).', one(w.errorCount)),
    c('argo_writer_rejected_invalid_total', 'Bars refused by validation.', one(w.rejectedInvalid)),
    c('argo_writer_overflow_total', 'Writes refused at the buffer cap (back-pressure).', one(w.overflowCount)),
    g('argo_events_pending', 'Event log entries not yet flushed.', one(stats.eventsPending)),
  ];
  const d = stats.durability;
  if (d) {
    families.push(
      g('argo_storage_write_failing', 'Whether flushes are failing now (1) or not (0).', one(d.writeFailing ? 1 : 0)),
      g('argo_storage_write_failing_seconds', 'How long flushes have been failing (0 when they succeed).', one(d.failingForMs / 1000)),
      g('argo_storage_holding', 'Whether new bars are not taken because the writer is at its cap (1) or not (0).', one(d.holding ? 1 : 0)),
      g('argo_storage_lost', 'Whether the DuckDB file was deleted or replaced under the process (1) or not (0).', one(d.fatal ? 1 : 0)),
      g('argo_storage_open_gaps', 'Gaps of bars not taken and not yet fetched back.', one(d.openGaps.length)),
      g('argo_storage_gap_bars', 'Bars not taken per stream in open gaps.', d.openGaps.map((gap) => [{ ...s, symbol: gap.symbol, interval: gap.interval }, gap.bars])),
      c('argo_storage_gaps_opened_total', 'Gaps opened (bars not taken at the writer cap).', one(d.gapsOpened)),
      c('argo_storage_gaps_closed_total', 'Gaps closed by fetching their range from REST.', one(d.gapsClosed)),
      c('argo_storage_bars_refetched_total', 'Bars fetched from REST to close gaps.', one(d.barsRefetched)),
      c('argo_storage_ranges_backfilled_total', 'Runs of bars the provider backfilled (reconnects, resume).', one(d.rangesBackfilled)),
      c('argo_storage_corrections_total', 'Bars whose stored values were corrected.', one(d.corrections)),
      c('argo_storage_duplicates_skipped_total', 'Re-read bars equal to the stored row, skipped.', one(d.duplicatesSkipped)),
      g('argo_storage_uncovered_ranges', 'Ranges older than the resume lookback, not fetched.', one(d.uncovered.length)),
    );
  }
  if (p) {
    families.push(
      g('argo_provider_connections', 'Connections in the provider pool.', one(p.connections)),
      c('argo_provider_frames_total', 'Frames received.', one(p.framesReceived)),
      c('argo_provider_bars_emitted_total', 'Bars emitted by the provider.', one(p.barsEmitted)),
      c('argo_provider_bars_backfilled_total', 'Closed bars repaired from REST backfill.', one(p.barsBackfilled)),
      c('argo_provider_malformed_frames_total', 'Frames that failed decoding or validation.', one(p.malformedFrames)),
      c('argo_provider_duplicates_dropped_total', 'Duplicate closed bars dropped.', one(p.duplicatesDropped)),
      c('argo_provider_reconnects_total', 'Reconnects, all reasons.', one(p.reconnects)),
      c('argo_provider_reconnects_by_reason_total', 'Reconnects by reason.', Object.entries(p.reconnectReasons).map(([reason, n]) => [{ ...s, reason }, n])),
      c('argo_provider_control_messages_total', 'Control messages sent (subscribe, unsubscribe, pong).', one(p.controlMessagesSent)),
    );
  }
  if (st) {
    families.push(
      c('argo_strategy_bars_processed_total', 'Bars handed to the strategy.', one(st.barsProcessed)),
      c('argo_strategy_bars_failed_total', 'Bars on which the strategy failed.', one(st.barsFailed)),
      c('argo_strategy_bars_skipped_total', 'Bars dropped from a full strategy queue.', one(st.skipped)),
      g('argo_strategy_queue', 'Bars waiting for the strategy.', one(st.queued)),
      c('argo_strategy_restarts_total', 'Strategy worker restarts.', one(st.restarts)),
      g('argo_strategy_latency_seconds', 'Per-bar strategy latency over the recent window.', [[{ ...s, quantile: '0.5' }, st.latencyMs.p50 / 1000], [{ ...s, quantile: '0.99' }, st.latencyMs.p99 / 1000]]),
      g('argo_strategy_latency_max_seconds', 'Largest per-bar strategy latency since the start.', one(st.latencyMs.max / 1000)),
    );
  }
  families.push(
    g('argo_positions', 'Open positions.', one(stats.positions.filter((pos) => pos.quantity !== 0).length)),
    g('argo_position_quantity', 'Net position per symbol (negative is short).', stats.positions.map((pos) => [{ ...s, symbol: pos.symbol }, pos.quantity])),
    c('argo_orders_total', 'Orders by outcome.', Object.entries(stats.orders).map(([status, n]) => [{ ...s, status }, n])),
  );
  if (stats.account) {
    const a = stats.account;
    families.push(
      g('argo_account_equity', 'Account equity at the last marks.', [[{ ...s, currency: a.currency }, a.equity]]),
      g('argo_account_cash', 'Account cash.', [[{ ...s, currency: a.currency }, a.cash]]),
      g('argo_account_realized_pnl', 'Realised profit and loss.', [[{ ...s, currency: a.currency }, a.realizedPnl]]),
      g('argo_account_unrealized_pnl', 'Unrealised profit and loss at the last marks.', [[{ ...s, currency: a.currency }, a.unrealizedPnl]]),
    );
  }
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      out.push(`${f.name}{${l}} ${formatValue(value)}`);
    }
  }
  return `${out.join('\n')}\n`;
};

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Loopback address to bind (default `127.0.0.1`); anything else is refused. */
  readonly host?: string;
  /** Read on every scrape. */
  readonly stats: () => SessionStats;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://127.0.0.1:PORT/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on loopback; resolves once listening, rejects with CONFIG_INVALID for a non-loopback host. */
export const startMetricsServer = async (options: MetricsServerOptions): Promise<MetricsServer> => {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw realtimeError('CONFIG_INVALID', `metrics: host ${JSON.stringify(host)} is not loopback; the endpoint binds 127.0.0.1 or ::1 only`, { field: 'host', value: host });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    let body: string;
    try {
      body = renderMetrics(options.stats());
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`stats failed: ${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(realtimeError('CONFIG_INVALID', `metrics: cannot listen on ${host}:${options.port}: ${e.message}`, { field: 'port' })));
    server.listen(options.port, host, () => { server.removeAllListeners('error'); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
};
