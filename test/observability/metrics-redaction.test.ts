/**
 * Secrets never reach the Prometheus text (issue #14): the value of an environment secret, registered when the
 * config expands it, is redacted from every label it lands in (session id, symbol, reconnect reason, order
 * status, currency, interval, risk check) and from the error text of a failed scrape, even when it holds the
 * characters prom-client escapes (`"`, `\`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { renderMetrics, startMetricsServer } from '../../src/observability/index.ts';
import { RISK_CHECKS } from '../../src/risk/risk-state.ts';
import type { SessionStats } from '../../src/session/index.ts';

// The characters prom-client escapes in label values are inside: redaction must come before the escaping.
const SECRET = 'sk-"live"\\9f3kQ7xZ-metrics';

const registerEnvSecret = (): void => {
  parseConfigText([
    'session:',
    '  realtime_provider: binance-realtime',
    '  symbols: [BTCUSDT]',
    '  trading_provider: binance-paper',
    '  trading_provider_config:',
    '    api_key: ${BINANCE_API_KEY}',
    '    secret_key: ${BINANCE_SECRET_KEY}',
    '',
  ].join('\n'), { file: 'metrics.yaml', baseDir: '.', env: { BINANCE_API_KEY: SECRET, BINANCE_SECRET_KEY: 'other-secret-5678' } });
};

const leaky = (s: string): SessionStats => ({
  id: `session-${s}`, state: 'running', connection: 'connected', barsReceived: 1, barsPerSecond: 0,
  lastBars: { [`BTC${s}`]: { openTime: 1, close: 2, ageMs: 1000 } },
  writer: { totalWrites: 0, bufferedWrites: 0, flushCount: 0, lastFlushTime: 0, averageFlushTime: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 },
  provider: {
    connections: 1, framesReceived: 1, barsEmitted: 1, barsBackfilled: 0, malformedFrames: 0, duplicatesDropped: 0,
    reconnects: 1, reconnectReasons: { [`auth failed for ${s}`]: 1 }, controlMessagesSent: 0,
  },
  positions: [{ symbol: `ETH${s}`, quantity: 1, averagePrice: 1, realizedPnl: 0, unrealizedPnl: 0, lastPrice: 1 }],
  account: { currency: `USD${s}`, cash: 1, equity: 1, realizedPnl: 0, unrealizedPnl: 0, fees: 0 },
  orders: { placed: 1, filled: 0, rejected: 0, cancelled: 0, [`status ${s}`]: 1 } as SessionStats['orders'],
  strategy: {
    state: 'running', barsProcessed: 1, barsFailed: 0, barsTimedOut: 0, barsRefused: 0, batches: 1, failures: 0, restarts: 0,
    latencyMs: { count: 1, sum: 1, p50: 1, p99: 1, max: 1 }, queued: 0, skipped: 0,
  },
  eventsPending: 0,
  risk: {
    killSwitch: 'tripped', killReason: s, rejected: 1, trips: 1, openOrders: 0, exposure: 0, dailyPnl: 0, dailyLossLimit: 1,
    rejectedBy: { ...Object.fromEntries(RISK_CHECKS.map((c) => [c, 0])), [`check ${s}`]: 1 } as Record<(typeof RISK_CHECKS)[number], number>,
  },
  durability: {
    writeFailing: false, failingForMs: 0, lastWriteError: null, holding: false,
    openGaps: [{ provider: 'binance', symbol: `SOL${s}`, interval: `1m${s}` as '1m', from: 0, to: 60_000, bars: 1 }],
    gapsOpened: 1, gapsClosed: 0, barsRefetched: 0, corrections: 0, duplicatesSkipped: 0, rangesBackfilled: 0, uncovered: [], fatal: null,
  },
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('metrics redaction', () => {
  it('redacts an environment secret from every label value it lands in', async () => {
    registerEnvSecret();
    const text = await renderMetrics(leaky(SECRET));
    expect(text).not.toContain(SECRET);
    // Neither raw nor in prom-client's escaped form, nor any long piece of it.
    expect(text).not.toContain('9f3kQ7xZ');
    for (const line of [
      'argo_bars_received_total{session="session-***"} 1',
      'argo_last_bar_age_seconds{session="session-***",symbol="BTC***"} 1',
      'argo_provider_reconnects_by_reason_total{session="session-***",reason="auth failed for ***"} 1',
      'argo_position_quantity{session="session-***",symbol="ETH***"} 1',
      'argo_orders_total{session="session-***",status="status ***"} 1',
      'argo_account_equity{session="session-***",currency="USD***"} 1',
      'argo_risk_rejections_total{session="session-***",check="check ***"} 1',
      'argo_storage_gap_bars{session="session-***",symbol="SOL***",interval="1m***"} 1',
      'argo_strategy_latency_seconds_count{session="session-***"} 1',
    ]) expect(text.split('\n')).toContain(line);
  });

  it('redacts an environment secret from the error text of a failed scrape', async () => {
    registerEnvSecret();
    const server = await startMetricsServer({ port: 0, stats: () => { throw new Error(`cannot read stats: ${SECRET}`); } });
    cleanups.push(() => server.close());
    const res = await fetch(server.url);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe('stats failed: cannot read stats: ***\n');
  });
});
