/**
 * A realtime session end to end on the Binance simulator for both market data and trading (`binance-paper`):
 * the example MA-cross strategy places market orders, they fill at the simulated price, positions come from the
 * account's balances, and every order fact is in the session's event log.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../../src/config/session-config.ts';
import { createRealtimeSession } from '../../../src/session/index.ts';
import { startBinanceSimulator } from '../../../src/sim/binance/index.ts';
import type { Position } from '../../../src/trading/types.ts';
import { API_KEY, SECRET } from './helpers.ts';
import { queryFile as query } from '../../support/duckdb-file.ts';
import { eventWaits } from '../../support/event-waits.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a session trading on binance-paper', () => {
  it('runs the MA-cross strategy end to end: orders placed, filled, in positions and in the event log', async () => {
    // One market minute every 60 ms of wall time; signed requests are checked against the wall clock.
    const sim = await startBinanceSimulator({
      tickMs: 20, marketStepMs: 20_000, serverClock: 'wall', apiKey: API_KEY, secretKey: SECRET,
      balances: { USDT: 10_000 }, symbols: ['BTCUSDT', 'ETHUSDT'],
    });
    cleanups.push(() => sim.close());
    const db = join(mkdtempSync(join(tmpdir(), 'argo-binance-session-')), 'session.duckdb');
    const session = createRealtimeSession(decodeSessionConfig({
      session: {
        id: 'binance-e2e',
        realtime_provider: 'binance-realtime',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        trading_provider: 'binance-paper',
        trading_provider_config: { api_key: API_KEY, secret_key: SECRET, rest_url: sim.restUrl, poll_interval_ms: 100 },
        storage_config: { output_path: db, flush_interval_ms: 200 },
        symbols: ['BTCUSDT'],
        interval: '1m',
      },
      strategy: { path: 'examples/ma-cross.strategy.ts', config: { fast: 3, slow: 8, quantity: 0.01 }, budget_ms: 2_000 },
    }));
    const errors: string[] = [];
    session.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
    const held: Position[] = [];
    // Positions are sampled on every bar, order and fill: the account is re-read after each fill and each flush.
    const waits = eventWaits();
    const sample = (): void => {
      held.push(...session.stats().positions.filter((p) => p.symbol === 'BTCUSDT' && p.quantity > 0));
      waits.poke();
    };
    for (const type of ['bar', 'order', 'fill'] as const) session.on(type, sample);
    await session.start();
    await waits.until(() => session.stats().orders.filled >= 2 && held.length > 0, 'two fills and a held BTC position', 12_000);
    const summary = await session.stop();
    expect(summary.state).toBe('stopped');

    // Orders reached the simulated exchange and filled there at its price.
    const orders = sim.orders();
    expect(orders.length).toBeGreaterThanOrEqual(2);
    expect(orders.every((o) => o.status === 'FILLED' && o.type === 'MARKET')).toBe(true);
    expect(orders.map((o) => o.clientOrderId).every((id) => id.startsWith('ma-cross-BTCUSDT-'))).toBe(true);
    expect(summary.fills).toBe(sim.trades().length);
    // A position built from the account's BTC balance was visible while the session ran.
    expect(held[0]).toMatchObject({ symbol: 'BTCUSDT', quantity: 0.00999 });

    // Every order fact is in the event log.
    const rows = await query(db, `SELECT type, count(*) AS n FROM session_events WHERE session_id = 'binance-e2e' GROUP BY type`);
    const count = (type: string) => Number(rows.find((r) => r.type === type)?.n ?? 0);
    expect(count('broker:order.placed')).toBe(orders.length);
    expect(count('broker:order.filled')).toBe(sim.trades().length);
    expect(count('broker:venue.connected')).toBe(1);
    const filled = await query(db, `SELECT payload->>'$.fill.price' AS price, payload->>'$.order.clientOrderId' AS client FROM session_events WHERE session_id = 'binance-e2e' AND type = 'broker:order.filled' ORDER BY seq`);
    expect(filled.map((r) => [r.client, Number(r.price)])).toEqual(sim.trades().map((t) => [orders.find((o) => o.orderId === t.orderId)!.clientOrderId, t.price]));
    const log = JSON.stringify(await query(db, `SELECT CAST(payload AS VARCHAR) AS p FROM session_events`));
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(API_KEY);
    expect(errors).toEqual([]);
  });
});
