/**
 * The risk engine inside a real session: Binance simulator on loopback → session → strategy worker → risk engine →
 * paper broker. A reckless strategy's orders are refused with reasons in `session_events`, counted in stats, and
 * the daily loss limit and `session.kill()` trip the kill switch, which cancels the open orders.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import type { RiskFact } from '../../src/risk/guarded-provider.ts';
import { createRealtimeSession, type RealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { queryFile as query } from '../support/duckdb-file.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const setup = async (mode: 'all' | 'rest', risk: Record<string, unknown>) => {
  const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000 });
  cleanups.push(() => sim.close());
  const db = join(mkdtempSync(join(tmpdir(), 'argo-risk-')), 'risk.duckdb');
  const session = createRealtimeSession(decodeSessionConfig({
    session: {
      id: `risk-${mode}`,
      realtime_provider: 'binance-realtime',
      realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
      trading_provider: 'paper',
      // Every market fill loses about 6 % of its value: the daily loss limit is certain to trip.
      trading_provider_config: { slippage_bps: 500, fee_rate: 0.01 },
      storage_config: { output_path: db, flush_interval_ms: 200 },
      symbols: ['BTCUSDT'],
      interval: '1m',
    },
    strategy: { path: 'test/risk/fixtures/reckless.strategy.ts', config: { mode }, budget_ms: 5_000 },
    risk,
  }));
  cleanups.push(async () => { if (!['stopped', 'failed'].includes(session.stats().state)) await session.stop(); });
  return { session, db };
};

/** Resolves with the first risk fact that satisfies `match`. */
const nextFact = (session: RealtimeSession, match: (f: RiskFact) => boolean): Promise<RiskFact> =>
  new Promise((resolve) => { const off = session.on('risk', (f) => { if (match(f)) { off(); resolve(f); } }); });

describe('a session behind the risk engine', () => {
  it('refuses NOTAREALSYMBOL, 1e9 @ 1e-9 and a flood, trips on the daily loss limit, cancels the open order and logs every refusal', async () => {
    const { session, db } = await setup('all', { max_daily_loss: 50, max_daily_loss_pct: null, price_band_pct: 10 });
    const swept = nextFact(session, (f) => f.type === 'risk.swept');
    const afterTrip = nextFact(session, (f) => f.type === 'risk.rejected' && f.check === 'kill_switch');
    await session.start();
    await swept;
    await afterTrip;
    const live = session.stats();
    const summary = await session.stop();

    expect(live.risk).toMatchObject({ killSwitch: 'tripped', killReason: expect.stringContaining('daily loss'), trips: 1, openOrders: 0 });
    expect(live.risk!.rejectedBy).toMatchObject({ symbol: 1, order_quantity: 1 });
    expect(live.risk!.rejectedBy.rate_second).toBeGreaterThanOrEqual(35);
    expect(live.orders.rejected).toBeGreaterThanOrEqual(live.risk!.rejected);
    const rows = await query(db, `SELECT type, payload->>'check' AS "check", payload->>'code' AS code, payload->>'reason' AS reason, payload->'request'->>'symbol' AS symbol, CAST(payload AS VARCHAR) AS payload
      FROM session_events WHERE session_id = 'risk-all' AND type LIKE 'risk:%' ORDER BY seq`);
    const rejected = rows.filter((r) => r.type === 'risk:risk.rejected');
    expect(rejected.length).toBe(session.stats().risk!.rejected);
    expect(rejected.find((r) => r.check === 'symbol')).toMatchObject({ code: 'RISK_REJECTED', symbol: 'NOTAREALSYMBOL', reason: expect.stringContaining('not an allowed symbol') });
    expect(rejected.find((r) => r.check === 'order_quantity')).toMatchObject({ code: 'RISK_REJECTED', reason: expect.stringContaining('max_order_quantity') });
    expect(rejected.find((r) => r.check === 'rate_second')).toMatchObject({ reason: expect.stringContaining('max_orders_per_second') });
    expect(rejected.find((r) => r.check === 'kill_switch')).toMatchObject({ code: 'KILL_SWITCH_ACTIVE' });
    expect(rows.find((r) => r.type === 'risk:risk.killed')?.payload).toContain('"source":"daily_loss"');
    // The resting limit buy was open when the switch tripped; the sweep cancelled it at the broker.
    const sweeps = rows.filter((r) => r.type === 'risk:risk.swept').map((r) => JSON.parse(String(r.payload)) as { cancelled: string[]; failed: unknown[] });
    expect(sweeps.flatMap((x) => x.cancelled)).toContain('paper-1');
    expect(sweeps.flatMap((x) => x.failed)).toEqual([]);
    const broker = await query(db, `SELECT type, payload->>'id' AS id, payload->'request'->>'symbol' AS symbol FROM session_events WHERE session_id = 'risk-all' AND type LIKE 'broker:broker.order.%'`);
    expect(broker.find((r) => r.type === 'broker:broker.order.cancel')?.id).toBe('paper-1');
    expect(broker.some((r) => r.symbol === 'NOTAREALSYMBOL')).toBe(false);
    expect(summary.positions.every((p) => p.quantity < 0.1)).toBe(true);
  });

  it('trips on session.kill(), cancels the open order, refuses later orders and re-arms on reset', async () => {
    const { session, db } = await setup('rest', { price_band_pct: 10 });
    const resting = new Promise<void>((resolve) => { const off = session.on('order', (o) => { if (o.clientOrderId === 'resting' && o.status === 'accepted') { off(); resolve(); } }); });
    await session.start();
    await resting;
    const refused = nextFact(session, (f) => f.type === 'risk.rejected' && f.check === 'kill_switch');
    await session.kill('operator stop');
    expect(session.stats().risk).toMatchObject({ killSwitch: 'tripped', killReason: 'operator stop', openOrders: 0 });
    expect(await refused).toMatchObject({ code: 'KILL_SWITCH_ACTIVE', reason: expect.stringContaining('operator stop') });
    const accepted = new Promise<void>((resolve) => { const off = session.on('order', (o) => { if (o.status === 'accepted') { off(); resolve(); } }); });
    session.risk.reset();
    await accepted;
    await session.stop();
    const rows = await query(db, `SELECT type, CAST(payload AS VARCHAR) AS payload FROM session_events WHERE session_id = 'risk-rest' AND type IN ('risk:risk.killed', 'risk:risk.swept', 'risk:risk.reset') ORDER BY seq`);
    expect(rows[0]).toMatchObject({ type: 'risk:risk.killed', payload: expect.stringContaining('"source":"manual"') });
    expect(rows.at(-1)!.type).toBe('risk:risk.reset');
    // An order the venue answered after the kill is cancelled on its own, so there may be two sweeps; each order once.
    const cancelled = rows.filter((r) => r.type === 'risk:risk.swept').flatMap((r) => (JSON.parse(String(r.payload)) as { cancelled: string[] }).cancelled);
    expect(cancelled).toContain('paper-1');
    expect(new Set(cancelled).size).toBe(cancelled.length);
  });
});
