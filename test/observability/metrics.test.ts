/**
 * The Prometheus endpoint: every figure of `stats()` rendered by prom-client, scraped over HTTP on loopback,
 * read back by a Prometheus text-format parser and, where installed (always in CI), passed through
 * `promtool check metrics`; other paths and methods are refused, and a non-loopback host is refused before
 * anything listens. (Scrapes of real `run`, `record`, `demo` and `replay` runs: test/cli/metrics.test.ts.)
 */
import parsePrometheus, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_FAMILIES, renderMetrics, startMetricsServer } from '../../src/observability/index.ts';
import { RISK_CHECKS } from '../../src/risk/risk-state.ts';
import type { SessionStats } from '../../src/session/index.ts';
import { hasPromtool, promtoolCheck } from '../support/promtool.ts';

const stats: SessionStats = {
  id: 'btc "ma"\\1', state: 'running', connection: 'reconnecting', barsReceived: 42, barsPerSecond: 1.5,
  lastBars: { BTCUSDT: { openTime: 1, close: 2, ageMs: 1500 } },
  writer: { totalWrites: 42, bufferedWrites: 3, flushCount: 7, lastFlushTime: 1_767_225_600_000, averageFlushTime: 4, errorCount: 1, rejectedInvalid: 0, overflowCount: 0 },
  provider: {
    connections: 1, framesReceived: 100, barsEmitted: 42, barsBackfilled: 5, malformedFrames: 2, duplicatesDropped: 1,
    reconnects: 3, reconnectReasons: { stale: 2, abnormal_closure: 1 }, controlMessagesSent: 4,
  },
  positions: [{ symbol: 'BTCUSDT', quantity: 0.02, averagePrice: 100, realizedPnl: 0, unrealizedPnl: 1, lastPrice: 150 }],
  account: { currency: 'USDT', cash: 9_000, equity: 10_003, realizedPnl: 2, unrealizedPnl: 1, fees: 0.1 },
  orders: { placed: 4, filled: 3, rejected: 1, cancelled: 0 },
  strategy: {
    state: 'running', barsProcessed: 42, barsFailed: 1, barsTimedOut: 0, barsRefused: 0, batches: 42, failures: 1, restarts: 0,
    latencyMs: { count: 42, sum: 160, p50: 2, p99: 12, max: 30 }, queued: 0, skipped: 0,
  },
  eventsPending: 9,
  risk: {
    killSwitch: 'armed', rejected: 2, rejectedBy: { ...Object.fromEntries(RISK_CHECKS.map((c) => [c, 0])), symbol: 2 } as Record<(typeof RISK_CHECKS)[number], number>,
    trips: 0, openOrders: 1, exposure: 300, dailyPnl: -5, dailyLossLimit: 500,
  },
  durability: {
    writeFailing: false, failingForMs: 0, lastWriteError: null, holding: false, openGaps: [{ provider: 'binance', symbol: 'BTCUSDT', interval: '1m', from: 0, to: 60_000, bars: 1 }],
    gapsOpened: 1, gapsClosed: 0, barsRefetched: 0, corrections: 0, duplicatesSkipped: 0, rangesBackfilled: 0, uncovered: [], fatal: null,
  },
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('metrics endpoint', () => {
  it('serves every figure in the Prometheus text format on /metrics', async () => {
    const server = await startMetricsServer({ port: 0, stats: () => stats });
    cleanups.push(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = new Map(parsePrometheus(await res.text()).map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string> = {}): number | undefined => {
      const f = families.get(name);
      const sample = f?.metrics.find((m) => Object.entries({ session: stats.id, ...labels }).every(([k, v]) => m.labels?.[k] === v));
      return sample?.value === undefined ? undefined : Number(sample.value);
    };
    expect(value('argo_session_state', { state: 'running' })).toBe(1);
    expect(value('argo_connection_state', { state: 'reconnecting' })).toBe(1);
    expect(value('argo_connection_state', { state: 'connected' })).toBe(0);
    expect(value('argo_bars_received_total')).toBe(42);
    expect(value('argo_bars_per_second')).toBe(1.5);
    expect(value('argo_last_bar_age_seconds', { symbol: 'BTCUSDT' })).toBe(1.5);
    expect(value('argo_writer_flushes_total')).toBe(7);
    expect(value('argo_provider_reconnects_by_reason_total', { reason: 'stale' })).toBe(2);
    expect(value('argo_provider_malformed_frames_total')).toBe(2);
    expect(value('argo_provider_bars_backfilled_total')).toBe(5);
    expect(value('argo_positions')).toBe(1);
    expect(value('argo_account_equity', { currency: 'USDT' })).toBe(10_003);
    expect(value('argo_account_fees_total', { currency: 'USDT' })).toBe(0.1);
    expect(value('argo_orders_total', { status: 'rejected' })).toBe(1);
    const type = (f: ParsedFamily | undefined) => f?.type;
    expect(type(families.get('argo_bars_received_total'))).toBe('COUNTER');
    expect(type(families.get('argo_strategy_latency_seconds'))).toBe('SUMMARY');
    expect(type(families.get('argo_writer_flush_duration_seconds'))).toBe('SUMMARY');
    // The parser reads an unlabelled summary's sum and count only; with a session label, it keeps the quantiles.
    expect(families.get('argo_strategy_latency_seconds')!.metrics[0]!.quantiles).toEqual({ '0.5': '0.002', '0.99': '0.012' });
    // Every family of the table is served, each with its help text; no averaged gauge is left.
    for (const f of METRIC_FAMILIES) expect(families.get(f.name)?.help, f.name).toBe(f.help);
    expect([...families.keys()].filter((n) => n.endsWith('_avg'))).toEqual([]);
  });

  it('exposes latencies as summaries with sum and count over the run', async () => {
    const text = await renderMetrics(stats);
    const s = 'session="btc \\"ma\\"\\\\1"';
    for (const line of [
      `argo_strategy_latency_seconds{${s},quantile="0.5"} 0.002`,
      `argo_strategy_latency_seconds{${s},quantile="0.99"} 0.012`,
      `argo_strategy_latency_seconds_sum{${s}} 0.16`,
      `argo_strategy_latency_seconds_count{${s}} 42`,
      `argo_writer_flush_duration_seconds_sum{${s}} 0.028`,
      `argo_writer_flush_duration_seconds_count{${s}} 7`,
    ]) expect(text.split('\n')).toContain(line);
  });

  it.runIf(hasPromtool())('passes promtool check metrics, with and without every optional section', async () => {
    for (const s of [stats, { ...stats, provider: null, strategy: null, account: null, positions: [] }]) {
      const result = promtoolCheck(await renderMetrics(s));
      expect(result.problems).toBe('');
      expect(result.status).toBe(0);
    }
    // The check can fail: a gauge carrying a quantile label (what the endpoint served before prom-client) is refused.
    const bad = '# HELP x_seconds Latency.\n# TYPE x_seconds gauge\nx_seconds{quantile="0.5"} 1\n';
    expect(promtoolCheck(bad).problems).toContain('should not have "quantile" label');
  });

  it('answers 503 until a session exists, and refuses other paths and methods, and non-loopback hosts', async () => {
    let current: SessionStats | undefined;
    const server = await startMetricsServer({ port: 0, stats: () => current });
    cleanups.push(() => server.close());
    expect((await fetch(server.url)).status).toBe(503);
    current = stats;
    expect((await fetch(server.url)).status).toBe(200);
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    await expect(startMetricsServer({ port: 0, host: '0.0.0.0', stats: () => stats })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('renders write failures, held bars, gaps, corrections and uncovered ranges', async () => {
    const text = await renderMetrics({ ...stats, id: 's', durability: {
      writeFailing: true, failingForMs: 12_500, lastWriteError: 'No space left on device', holding: true,
      openGaps: [{ provider: 'binance', symbol: 'BTCUSDT', interval: '1s', from: 1_000, to: 9_000, bars: 8 }],
      gapsOpened: 3, gapsClosed: 2, barsRefetched: 40, corrections: 5, duplicatesSkipped: 7, rangesBackfilled: 4,
      uncovered: [{ provider: 'binance', symbol: 'BTCUSDT', interval: '1s', from: 0, to: 1_000 }], fatal: null,
    } });
    for (const line of [
      'argo_storage_write_failing{session="s"} 1', 'argo_storage_write_failing_seconds{session="s"} 12.5', 'argo_storage_holding{session="s"} 1',
      'argo_storage_lost{session="s"} 0', 'argo_storage_open_gaps{session="s"} 1', 'argo_storage_gap_bars{session="s",symbol="BTCUSDT",interval="1s"} 8',
      'argo_storage_gaps_opened_total{session="s"} 3', 'argo_storage_gaps_closed_total{session="s"} 2', 'argo_storage_bars_refetched_total{session="s"} 40',
      'argo_storage_ranges_backfilled_total{session="s"} 4', 'argo_storage_corrections_total{session="s"} 5',
      'argo_storage_duplicates_skipped_total{session="s"} 7', 'argo_storage_uncovered_ranges{session="s"} 1',
      '# TYPE argo_storage_corrections_total counter', '# TYPE argo_storage_holding gauge',
    ]) expect(text.split('\n')).toContain(line);
  });

  it('renders a session without provider, strategy or account', async () => {
    const text = await renderMetrics({ ...stats, provider: null, strategy: null, account: null, positions: [] });
    expect(text).not.toContain('argo_provider_');
    expect(text).not.toContain('argo_strategy_');
    expect(text).not.toContain('argo_account_');
    expect(text).toContain('argo_positions{session="btc \\"ma\\"\\\\1"} 0');
  });
});
