/**
 * A session end to end in IBKR paper mode: Binance simulator for market data, the example ma-cross strategy,
 * and `ibkr-paper` trading through the TWS simulator, which is priced from the bars the session receives.
 * Needs `ibkr-paper` wired into the trading provider registry (with `IBKR_CONFIG_SCHEMAS` as its schema); until
 * then the registry reports it unavailable and this test is skipped.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../../src/config/session-config.ts';
import { createRealtimeSession } from '../../../src/session/index.ts';
import { startBinanceSimulator } from '../../../src/sim/binance/index.ts';
import { getTradingProviderInfo } from '../../../src/trading/registry.ts';
import { eventWaits } from '../../support/event-waits.ts';
import { onCleanup, simulator } from './helpers.ts';
import { queryFile as query } from '../../support/duckdb-file.ts';

describe('session with ibkr-paper', () => {
  it.skipIf(!getTradingProviderInfo('ibkr-paper')?.available)('trades the example strategy through TWS: orders filled, in positions and in the event log', async () => {
    const binance = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
    onCleanup(() => binance.close());
    const tws = await simulator({ prices: {} });
    const db = join(mkdtempSync(join(tmpdir(), 'argo-ibkr-session-')), 'session.duckdb');
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        id: 'ibkr-1',
        realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: binance.wsUrl, rest_url: binance.restUrl, reconnect_delay_ms: 30, reconnect_max_delay_ms: 200 },
        trading_provider: 'ibkr-paper',
        trading_provider_config: { port: tws.port, client_id: 11 },
        storage_config: { output_path: db, flush_interval_ms: 200 },
        symbols: ['BTCUSDT', 'ETHUSDT'],
        interval: '1m',
      },
      strategy: { path: 'examples/ma-cross.strategy.ts', config: { quantity: 2 }, budget_ms: 2_000 },
    }));
    // The TWS simulator trades at the last close the session saw, set before the strategy sees the bar.
    session.on('bar', (bar) => tws.setPrice(bar.symbol, bar.close));
    const fills: string[] = [];
    const waits = eventWaits();
    session.on('fill', (f) => { fills.push(`${f.symbol}:${f.side}:${f.quantity}`); waits.poke(); });
    session.on('order', waits.poke);
    session.on('bar', waits.poke);
    await session.start();
    // Trade until two fills reached the session, then stop the market and let every order placed settle at TWS.
    await waits.until(() => fills.length >= 2, 'two fills', 60_000);
    binance.pause();
    const settled = () => {
      const orders = tws.orders().filter((o) => o.clientId === 11);
      return orders.every((o) => o.status !== 'Submitted' || o.orderType !== 'MKT') && fills.length === tws.executions().filter((e) => e.clientId === 11).length;
    };
    await waits.until(settled, 'every execution to reach the session');
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');

    // Every execution at TWS reached the session as a fill, and the positions agree with TWS's.
    const executions = tws.executions().filter((e) => e.clientId === 11);
    expect(executions.length).toBeGreaterThan(0);
    expect(summary.fills).toBe(executions.length);
    expect(fills).toHaveLength(executions.length);
    const atTws = tws.positions().filter((p) => p.quantity !== 0).map((p) => [p.contract.symbol, p.quantity]).sort();
    expect(summary.positions.map((p) => [p.symbol, p.quantity]).sort()).toEqual(atTws);
    expect(summary.account?.fees).toBeCloseTo(executions.reduce((a, e) => a + e.commission, 0), 9);

    // Orders and fills are in the event log.
    const rows = await query(db, `SELECT type, count(*) AS n FROM session_events WHERE session_id = 'ibkr-1' GROUP BY type`);
    const count = (t: string) => Number(rows.find((r) => r.type === t)?.n ?? 0);
    expect(count('broker:ibkr.order.placed')).toBe(tws.orders().filter((o) => o.clientId === 11).length);
    expect(count('broker:ibkr.execution.reported')).toBe(executions.length);
    expect(count('broker:ibkr.order.updated')).toBeGreaterThanOrEqual(2 * executions.length);
  });
});
