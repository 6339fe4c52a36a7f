/** The risk engine in front of the real paper broker: refusals never reach it, the kill switch sweeps and flattens. */
import { describe, expect, it } from 'vitest';
import { defaultRiskLimits, type RiskLimits } from '../../src/risk/config.ts';
import { guardTradingProvider, type RiskFact } from '../../src/risk/guarded-provider.ts';
import { createPaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';
import type { TradingProvider } from '../../src/trading/trading-provider.ts';
import type { OrderRequest } from '../../src/trading/types.ts';
import { flat } from '../trading/paper-helpers.ts';

const T0 = Date.UTC(2026, 11, 3, 12);

const setup = async (limits: Partial<RiskLimits> = {}, inner: TradingProvider = createPaperTradingProvider({ config: { feeRate: 0 } })) => {
  let t = T0;
  const clock = { now: () => t, advance: (ms: number) => { t += ms; } };
  const guarded = guardTradingProvider(inner, { limits: { ...defaultRiskLimits(['BTCUSDT']), ...limits }, now: clock.now });
  const facts: RiskFact[] = [];
  guarded.risk.onFact((f) => facts.push(f));
  const next = (type: RiskFact['type']) => new Promise<RiskFact>((resolve) => { const off = guarded.risk.onFact((f) => { if (f.type === type) { off(); resolve(f); } }); });
  const statuses: string[] = [];
  guarded.onOrderUpdate((u) => statuses.push(`${u.order.id}:${u.order.status}`));
  await guarded.connect();
  return { guarded, inner, facts, statuses, clock, next };
};
const buy = (quantity: number, extra: Partial<OrderRequest> = {}): OrderRequest => ({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity, ...extra });

describe('guardTradingProvider', () => {
  it('refuses NOTAREALSYMBOL, 1e9 @ 1e-9 and a flood under the default limits; the paper broker never sees them', async () => {
    const { guarded, inner, facts, clock } = await setup();
    guarded.onMarketData(flat('BTCUSDT', 0, 100));
    const unknown = await guarded.placeOrder(buy(1, { symbol: 'NOTAREALSYMBOL' }));
    expect(unknown).toMatchObject({ status: 'rejected', rejectCode: 'RISK_REJECTED', rejectReason: expect.stringContaining('(symbol)') });
    const dust = await guarded.placeOrder(buy(1e9, { type: 'limit', price: 1e-9 }));
    expect(dust).toMatchObject({ status: 'rejected', rejectCode: 'RISK_REJECTED', rejectReason: expect.stringContaining('max_order_quantity') });
    const flood = await Promise.all(Array.from({ length: 50 }, () => guarded.placeOrder(buy(0.01))));
    expect(flood.filter((o) => o.status === 'accepted')).toHaveLength(5);
    expect(flood.filter((o) => o.rejectCode === 'RISK_REJECTED')).toHaveLength(45);
    expect(await inner.getOpenOrders()).toHaveLength(5);
    expect(guarded.risk.stats()).toMatchObject({ rejected: 47, rejectedBy: { symbol: 1, order_quantity: 1, rate_second: 45 }, openOrders: 5 });
    expect(facts.filter((f) => f.type === 'risk.rejected')).toHaveLength(47);
    expect(await guarded.getOrderStatus(unknown.id)).toEqual(unknown);
    clock.advance(1_000);
    expect((await guarded.placeOrder(buy(0.01))).status).toBe('accepted');
  });

  it('quotes and clips a junk symbol in the reason and the logged request', async () => {
    const { guarded, facts } = await setup();
    const junk = `EVIL\nfill BUY 1000 BTCUSDT${'x'.repeat(10_000)}`;
    const o = await guarded.placeOrder(buy(1, { symbol: junk }));
    expect(o.rejectReason).toContain('"EVIL\\nfill BUY 1000 BTCUSDT');
    expect(o.rejectReason).not.toContain('\n');
    const fact = facts.find((f) => f.type === 'risk.rejected');
    expect(fact?.type === 'risk.rejected' && String(fact.request.symbol).length).toBeLessThanOrEqual(201);
    expect(o.symbol.length).toBeLessThanOrEqual(201);
  });

  it('reports each refusal to order listeners as a rejected order, so the session counts it', async () => {
    const { guarded, statuses } = await setup();
    const o = await guarded.placeOrder(buy(1));
    expect(o.rejectReason).toMatch(/no bar of BTCUSDT/);
    expect(statuses).toEqual([`${o.id}:rejected`]);
  });

  it('cancels every open order on kill, refuses new orders with KILL_SWITCH_ACTIVE, and trades again after a reset', async () => {
    const { guarded, inner, facts } = await setup({ maxOrdersPerSecond: null });
    guarded.onMarketData(flat('BTCUSDT', 0, 100));
    for (let i = 0; i < 3; i++) await guarded.placeOrder(buy(0.1, { type: 'limit', price: 99 }));
    expect(await inner.getOpenOrders()).toHaveLength(3);
    await guarded.risk.kill('operator says stop');
    expect(await inner.getOpenOrders()).toEqual([]);
    expect(facts.map((f) => f.type)).toEqual(['risk.day_started', 'risk.killed', 'risk.swept']);
    expect(facts.find((f) => f.type === 'risk.swept')).toMatchObject({ cancelled: ['paper-1', 'paper-2', 'paper-3'], failed: [] });
    const refused = await guarded.placeOrder(buy(0.1));
    expect(refused).toMatchObject({ status: 'rejected', rejectCode: 'KILL_SWITCH_ACTIVE', rejectReason: expect.stringContaining('operator says stop') });
    guarded.risk.reset();
    expect((await guarded.placeOrder(buy(0.1))).status).toBe('accepted');
    expect(guarded.risk.stats()).toMatchObject({ killSwitch: 'armed', trips: 1 });
  });

  it('cancels an order that was in flight when the switch tripped', async () => {
    const paper = createPaperTradingProvider({ config: { feeRate: 0 } });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: TradingProvider = { ...paper, placeOrder: async (r) => { await gate; return paper.placeOrder(r); } };
    const { guarded } = await setup({}, slow);
    guarded.onMarketData(flat('BTCUSDT', 0, 100));
    const inFlight = guarded.placeOrder(buy(0.1, { type: 'limit', price: 99 }));
    await guarded.risk.kill();
    release();
    expect((await inFlight).status).toBe('cancelled');
    expect(await paper.getOpenOrders()).toEqual([]);
  });

  it('trips on the daily loss limit, cancels the open orders and flattens when flatten_on_kill is set', async () => {
    const { guarded, inner, next } = await setup({ maxDailyLossPct: null, maxDailyLoss: 500, flattenOnKill: true, maxOrdersPerSecond: null });
    guarded.onMarketData(flat('BTCUSDT', 0, 100));
    await guarded.placeOrder(buy(100));
    guarded.onMarketData(flat('BTCUSDT', 1, 100));
    expect(await inner.getPositions()).toMatchObject([{ symbol: 'BTCUSDT', quantity: 100 }]);
    await guarded.placeOrder(buy(1, { side: 'sell', type: 'limit', price: 104 }));
    const swept = next('risk.swept');
    guarded.onMarketData(flat('BTCUSDT', 2, 95));
    expect(guarded.risk.stats()).toMatchObject({ killSwitch: 'tripped', killReason: expect.stringContaining('daily loss 500') });
    expect(await swept).toMatchObject({ cancelled: ['paper-2'], flattened: ['paper-3'] });
    expect(await inner.getOpenOrders()).toMatchObject([{ id: 'paper-3', side: 'sell', type: 'market', quantity: 100 }]);
    guarded.onMarketData(flat('BTCUSDT', 3, 95));
    expect(await inner.getPositions()).toEqual([]);
    expect(() => guarded.risk.reset()).toThrow(expect.objectContaining({ code: 'KILL_SWITCH_ACTIVE' }));
  });

  it('starts tripped from a resumed kill switch and sweeps the orders the venue still holds', async () => {
    const paper = createPaperTradingProvider({ config: { feeRate: 0 } });
    await paper.connect();
    paper.onMarketData(flat('BTCUSDT', 0, 100));
    await paper.placeOrder(buy(0.1, { type: 'limit', price: 90 }));
    const guarded = guardTradingProvider(paper, { limits: defaultRiskLimits(['BTCUSDT']), kill: { status: 'tripped', reason: 'before the restart', source: 'manual', at: T0 } });
    await guarded.connect();
    expect(await paper.getOpenOrders()).toEqual([]);
    expect((await guarded.placeOrder(buy(0.1))).rejectCode).toBe('KILL_SWITCH_ACTIVE');
  });
});
