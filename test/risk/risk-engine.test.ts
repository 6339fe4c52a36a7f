/** The pure risk engine: each pre-trade check on its own, the fold of fills and bars, the daily loss trip and reset. */
import { describe, expect, it } from 'vitest';
import { defaultRiskLimits, type RiskLimits } from '../../src/risk/config.ts';
import { checkOrder, positionExposure, totalExposure } from '../../src/risk/risk-engine.ts';
import { applyRisk, dailyPnl, initialRiskState, type RiskInput, type RiskState } from '../../src/risk/risk-state.ts';
import type { Order, OrderRequest } from '../../src/trading/types.ts';

const T = Date.UTC(2026, 11, 3, 12);
const OFF: RiskLimits = {
  allowedSymbols: ['BTCUSDT', 'ETHUSDT'], maxOrderQuantity: null, maxOrderNotional: null, maxPositionNotional: null, maxTotalExposure: null,
  maxOpenOrders: null, maxOrdersPerSecond: null, maxOrdersPerMinute: null, priceBandPct: null, maxDailyLoss: null, maxDailyLossPct: null, flattenOnKill: false,
};
const fold = (state: RiskState, ...inputs: RiskInput[]): RiskState => inputs.reduce(applyRisk, state);
const marked = (limits: Partial<RiskLimits> = {}, prices: Record<string, number> = { BTCUSDT: 100, ETHUSDT: 10 }): RiskState =>
  fold(initialRiskState({ ...OFF, ...limits }), ...Object.entries(prices).map(([symbol, close]): RiskInput => ({ type: 'bar', symbol, close, at: T })));
const buy = (quantity: number, extra: Partial<OrderRequest> = {}): OrderRequest => ({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity, ...extra });
const order = (id: string, r: OrderRequest, status: Order['status'] = 'accepted', filledQuantity = 0): Order => ({
  id, clientOrderId: id, symbol: r.symbol, side: r.side, type: r.type, quantity: r.quantity, status, filledQuantity, averagePrice: 0, createdAt: T, updatedAt: T,
});
const send = (state: RiskState, id: string, r: OrderRequest, at = T): RiskState =>
  fold(state, { type: 'submitted', key: `k-${id}`, request: r, at }, { type: 'placed', key: `k-${id}`, order: order(id, r) });
const refusedBy = (state: RiskState, r: OrderRequest, now = T) => {
  const v = checkOrder(state, r, now);
  return v.ok ? 'ok' : v.check;
};

describe('checkOrder', () => {
  it('refuses every order while the kill switch is tripped, with its own code', () => {
    const s = fold(marked(), { type: 'kill', reason: 'operator', source: 'manual', at: T });
    expect(checkOrder(s, buy(1), T)).toMatchObject({ ok: false, check: 'kill_switch', code: 'KILL_SWITCH_ACTIVE' });
    expect(checkOrder(s, buy(1), T).ok === false && (checkOrder(s, buy(1), T) as { reason: string }).reason).toMatch(/operator/);
  });

  it('refuses malformed orders: NaN, infinite or negative quantity, a limit without price, an unknown side', () => {
    const s = marked();
    expect(refusedBy(s, buy(NaN))).toBe('invalid_order');
    expect(refusedBy(s, buy(Infinity))).toBe('invalid_order');
    expect(refusedBy(s, buy(-1))).toBe('invalid_order');
    expect(refusedBy(s, buy(1, { type: 'limit' }))).toBe('invalid_order');
    expect(refusedBy(s, buy(1, { type: 'stop', stopPrice: NaN }))).toBe('invalid_order');
    expect(refusedBy(s, { ...buy(1), side: 'hold' as never })).toBe('invalid_order');
    expect(refusedBy(s, null as never)).toBe('invalid_order');
    expect(checkOrder(s, buy(1), T)).toEqual({ ok: true });
  });

  it('refuses symbols outside the allowed list, case-insensitively', () => {
    const s = marked();
    expect(checkOrder(s, buy(1, { symbol: 'NOTAREALSYMBOL' }), T)).toMatchObject({ ok: false, check: 'symbol', code: 'RISK_REJECTED' });
    expect(refusedBy(s, buy(1, { symbol: 'btcusdt' }))).toBe('ok');
  });

  it('refuses a quantity above max_order_quantity: 1e9 @ 1e-9 under the defaults', () => {
    expect(refusedBy(marked({ maxOrderQuantity: 5 }), buy(5.0001))).toBe('order_quantity');
    expect(refusedBy(marked({ maxOrderQuantity: 5 }), buy(5))).toBe('ok');
    const defaults = marked(defaultRiskLimits(['BTCUSDT']));
    expect(refusedBy(defaults, buy(1e9, { type: 'limit', price: 1e-9 }))).toBe('order_quantity');
  });

  it('refuses an order on a symbol with no closed bar yet: there is no reference price', () => {
    expect(refusedBy(initialRiskState(OFF), buy(1))).toBe('no_price');
  });

  it('refuses a limit price outside the band around the last close', () => {
    const s = marked({ priceBandPct: 5 });
    expect(refusedBy(s, buy(1, { type: 'limit', price: 94.9 }))).toBe('price_band');
    expect(refusedBy(s, buy(1, { type: 'limit', price: 105.1 }))).toBe('price_band');
    expect(refusedBy(s, buy(1, { type: 'limit', price: 1e-9 }))).toBe('price_band');
    expect(refusedBy(s, buy(1, { type: 'limit', price: 95 }))).toBe('ok');
    // Stops are protective orders away from the market: the band does not apply to them.
    expect(refusedBy(s, buy(1, { type: 'stop', stopPrice: 130 }))).toBe('ok');
  });

  it('values an order at the higher of its price and the last close against max_order_notional', () => {
    const s = marked({ maxOrderNotional: 1_000 });
    expect(refusedBy(s, buy(10))).toBe('ok');
    expect(refusedBy(s, buy(10.01))).toBe('order_notional');
    expect(refusedBy(s, buy(9, { type: 'stop', stopPrice: 120 }))).toBe('order_notional');
    expect(refusedBy(s, buy(10, { type: 'limit', price: 90 }))).toBe('ok');
  });

  it('allows max_orders_per_second orders in any second and max_orders_per_minute in any minute', () => {
    let s = marked({ maxOrdersPerSecond: 2, maxOrdersPerMinute: 3 });
    s = send(s, 'a', buy(1), T);
    s = send(s, 'b', buy(1), T + 500);
    expect(refusedBy(s, buy(1), T + 999)).toBe('rate_second');
    expect(refusedBy(s, buy(1), T + 1_000)).toBe('ok');
    s = send(s, 'c', buy(1), T + 1_000);
    expect(refusedBy(s, buy(1), T + 30_000)).toBe('rate_minute');
    expect(refusedBy(s, buy(1), T + 60_000)).toBe('ok');
  });

  it('counts working orders, pending ones included, against max_open_orders, and frees a slot when one ends', () => {
    let s = marked({ maxOpenOrders: 2 });
    s = send(s, 'a', buy(1));
    s = fold(s, { type: 'submitted', key: 'pending', request: buy(1), at: T });
    expect(refusedBy(s, buy(1))).toBe('open_orders');
    s = fold(s, { type: 'updated', order: order('a', buy(1), 'filled', 1) });
    expect(refusedBy(s, buy(1))).toBe('ok');
  });

  it('counts working orders on the same side as filled against max_position_notional, and always lets a reducing order pass', () => {
    let s = marked({ maxPositionNotional: 1_000 });
    s = fold(s, { type: 'filled', fill: { orderId: 'f', symbol: 'BTCUSDT', side: 'buy', quantity: 6, price: 100, fee: 0, at: T } });
    s = send(s, 'w', buy(3));
    expect(positionExposure(s, 'BTCUSDT')).toBe(900);
    expect(refusedBy(s, buy(1))).toBe('ok');
    expect(refusedBy(s, buy(1.01))).toBe('position');
    expect(refusedBy(s, { ...buy(5), side: 'sell' })).toBe('ok');
    // Selling 20 against a long of 6 would open a short of 14 (1,400): above the limit.
    expect(refusedBy(s, { ...buy(20), side: 'sell' })).toBe('position');
  });

  it('sums every symbol against max_total_exposure', () => {
    let s = marked({ maxTotalExposure: 1_500 });
    s = send(s, 'b', buy(10));
    s = send(s, 'e', { symbol: 'ETHUSDT', side: 'sell', type: 'market', quantity: 40 });
    expect(totalExposure(s)).toBe(1_400);
    expect(refusedBy(s, buy(1))).toBe('ok');
    expect(refusedBy(s, buy(1.01))).toBe('exposure');
  });
});

describe('applyRisk', () => {
  it('tracks positions and realised P&L from fills like the paper broker', () => {
    let s = marked();
    const fill = (side: 'buy' | 'sell', quantity: number, price: number): RiskInput => ({ type: 'filled', fill: { orderId: 'x', symbol: 'BTCUSDT', side, quantity, price, fee: 1, at: T } });
    s = fold(s, fill('buy', 2, 100), fill('buy', 2, 110), fill('sell', 3, 120));
    expect(s.books.BTCUSDT).toEqual({ quantity: 1, averagePrice: 105, realizedPnl: 45 });
    expect(s.fees).toBe(3);
    // Marked at 100: realised 45, unrealised −5, fees −3.
    expect(dailyPnl(s)).toBe(37);
  });

  it('keeps an order final when the venue reported it before placeOrder resolved', () => {
    let s = marked();
    s = fold(s, { type: 'submitted', key: 'k', request: buy(1), at: T }, { type: 'updated', order: order('v1', buy(1), 'filled', 1) });
    s = fold(s, { type: 'placed', key: 'k', order: order('v1', buy(1), 'accepted') });
    expect(s.working).toEqual({});
  });

  it('trips the kill switch once the daily loss reaches max_daily_loss_pct of the day\'s starting equity', () => {
    let s = fold(initialRiskState({ ...OFF, maxDailyLossPct: 5 }), { type: 'synced', positions: [{ symbol: 'BTCUSDT', quantity: 10, averagePrice: 100 }], openOrders: [], equity: 10_000, at: T });
    s = fold(s, { type: 'bar', symbol: 'BTCUSDT', close: 100, at: T });
    expect(s.kill.status).toBe('armed');
    s = fold(s, { type: 'bar', symbol: 'BTCUSDT', close: 50.1, at: T + 1 });
    expect(s.kill.status).toBe('armed');
    s = fold(s, { type: 'bar', symbol: 'BTCUSDT', close: 50, at: T + 2 });
    expect(s.kill).toMatchObject({ status: 'tripped', source: 'daily_loss' });
    expect(s.trips).toBe(1);
  });

  it('refuses a reset while the loss is still past the limit, and accepts it the next UTC day', () => {
    let s = fold(initialRiskState({ ...OFF, maxDailyLoss: 100 }), { type: 'synced', positions: [{ symbol: 'BTCUSDT', quantity: 10, averagePrice: 100 }], openOrders: [], equity: 10_000, at: T });
    s = fold(s, { type: 'bar', symbol: 'BTCUSDT', close: 80, at: T });
    expect(s.kill.status).toBe('tripped');
    expect(fold(s, { type: 'reset', at: T + 1 }).kill.status).toBe('tripped');
    const tomorrow = fold(s, { type: 'reset', at: T + 86_400_000 });
    expect(tomorrow.kill.status).toBe('armed');
    expect(dailyPnl(tomorrow)).toBe(0);
  });

  it('continues the day a resumed session logged, so a restart does not forgive today\'s loss', () => {
    const day = Math.floor(T / 86_400_000);
    const s = fold(initialRiskState({ ...OFF, maxDailyLoss: 500 }), { type: 'synced', positions: [], openOrders: [], equity: 9_400, dayStart: { day, equity: 10_000 }, at: T });
    expect(s.kill).toMatchObject({ status: 'tripped', source: 'daily_loss' });
  });
});
