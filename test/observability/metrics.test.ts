/**
 * The Prometheus endpoint: every figure of `stats()` in the text format, scraped over HTTP on loopback; other
 * paths and methods are refused, and a non-loopback host is refused before anything listens.
 * (A scrape of a live session is part of test/observability/trace.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderMetrics, startMetricsServer } from '../../src/observability/index.ts';
import type { SessionStats } from '../../src/session/index.ts';

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
    state: 'running', barsProcessed: 42, barsFailed: 1, barsTimedOut: 0, barsRefused: 0, failures: 1, restarts: 0,
    latencyMs: { count: 42, p50: 2, p99: 12, max: 30 }, queued: 0, skipped: 0,
  },
  eventsPending: 9,
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
    const body = await res.text();
    const s = 'session="btc \\"ma\\"\\\\1"';
    for (const line of [
      `argo_session_state{${s},state="running"} 1`,
      `argo_connection_state{${s},state="reconnecting"} 1`,
      `argo_connection_state{${s},state="connected"} 0`,
      `argo_bars_received_total{${s}} 42`,
      `argo_bars_per_second{${s}} 1.5`,
      `argo_last_bar_age_seconds{${s},symbol="BTCUSDT"} 1.5`,
      `argo_writer_flushes_total{${s}} 7`,
      `argo_writer_flush_duration_seconds_avg{${s}} 0.004`,
      `argo_provider_reconnects_by_reason_total{${s},reason="stale"} 2`,
      `argo_provider_malformed_frames_total{${s}} 2`,
      `argo_provider_bars_backfilled_total{${s}} 5`,
      `argo_strategy_latency_seconds{${s},quantile="0.5"} 0.002`,
      `argo_strategy_latency_seconds{${s},quantile="0.99"} 0.012`,
      `argo_positions{${s}} 1`,
      `argo_account_equity{${s},currency="USDT"} 10003`,
      `argo_orders_total{${s},status="rejected"} 1`,
    ]) expect(body.split('\n')).toContain(line);
    // Every sample line follows the exposition format; every family has HELP and TYPE.
    const samples = body.trimEnd().split('\n').filter((l) => !l.startsWith('#'));
    for (const l of samples) expect(l).toMatch(/^[a-z_]+\{(?:[a-z_]+="(?:[^"\\]|\\.)*",?)*\} (?:-?[\d.]+(?:e-?\d+)?|NaN|[+-]Inf)$/);
    const families = new Set(samples.map((l) => l.slice(0, l.indexOf('{'))));
    for (const f of families) {
      expect(body).toContain(`# HELP ${f} `);
      expect(body).toMatch(new RegExp(`^# TYPE ${f} (gauge|counter)$`, 'm'));
    }
  });

  it('refuses other paths and methods, and non-loopback hosts', async () => {
    const server = await startMetricsServer({ port: 0, stats: () => stats });
    cleanups.push(() => server.close());
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    await expect(startMetricsServer({ port: 0, host: '0.0.0.0', stats: () => stats })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('renders write failures, held bars, gaps, corrections and uncovered ranges', () => {
    const text = renderMetrics({ ...stats, id: 's', durability: {
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

  it('renders a session without provider, strategy or account', () => {
    const text = renderMetrics({ ...stats, provider: null, strategy: null, account: null, positions: [] });
    expect(text).not.toContain('argo_provider_');
    expect(text).not.toContain('argo_strategy_');
    expect(text).not.toContain('argo_account_');
    expect(text).toContain('argo_positions{session="btc \\"ma\\"\\\\1"} 0');
  });
});
