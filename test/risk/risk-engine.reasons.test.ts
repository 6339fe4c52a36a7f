/** The risk engine's refusals word for word, malformed requests one by one, and the worst-case arithmetic at its edges. */
import { describe, expect, it } from 'vitest';
import type { RiskLimits } from '../../src/risk/config.ts';
import { checkOrder, orderProblem } from '../../src/risk/risk-engine.ts';
import { applyRisk, initialRiskState, type RiskInput, type RiskState } from '../../src/risk/risk-state.ts';
import type { OrderRequest } from '../../src/trading/types.ts';

const T = Date.UTC(2026, 11, 3, 12);
const OFF: RiskLimits = {
  allowedSymbols: ['BTCUSDT', 'ETHUSDT'], maxOrderQuantity: null, maxOrderNotional: null, maxPositionNotional: null, maxTotalExposure: null,
  maxOpenOrders: null, maxOrdersPerSecond: null, maxOrdersPerMinute: null, priceBandPct: null, maxDailyLoss: null, maxDailyLossPct: null, flattenOnKill: false,
};
const fold = (state: RiskState, ...inputs: RiskInput[]): RiskState => inputs.reduce(applyRisk, state);
const marked = (limits: Partial<RiskLimits> = {}): RiskState =>
  fold(initialRiskState({ ...OFF, ...limits }), { type: 'bar', symbol: 'BTCUSDT', close: 100, at: T }, { type: 'bar', symbol: 'ETHUSDT', close: 10, at: T });
const buy = (quantity: number, extra: Partial<OrderRequest> = {}): OrderRequest => ({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity, ...extra });
const sell = (quantity: number, extra: Partial<OrderRequest> = {}): OrderRequest => buy(quantity, { side: 'sell', ...extra });
const long = (state: RiskState, quantity: number): RiskState =>
  fold(state, { type: 'filled', fill: { orderId: 'f', symbol: 'BTCUSDT', side: 'buy', quantity, price: 100, fee: 0, at: T } });
const working = (state: RiskState, key: string, request: OrderRequest, at = T): RiskState => fold(state, { type: 'submitted', key, request, at });
const reason = (state: RiskState, request: OrderRequest, now = T): string => {
  const v = checkOrder(state, request, now);
  return v.ok ? 'ok' : `${v.check}: ${v.reason}`;
};

describe('orderProblem', () => {
  it('names what is wrong with each malformed request', () => {
    expect(orderProblem(null)).toBe('the order request is not an object');
    expect(orderProblem('BTCUSDT')).toBe('the order request is not an object');
    expect(orderProblem({ ...buy(1), symbol: 5 })).toBe('symbol must be a non-empty string');
    expect(orderProblem({ ...buy(1), symbol: '  ' })).toBe('symbol must be a non-empty string');
    expect(orderProblem({ ...buy(1), side: 'hold' })).toBe('side must be buy or sell, got hold');
    expect(orderProblem({ ...buy(1), type: 'iceberg' })).toBe('type must be market, limit or stop, got iceberg');
    expect(orderProblem(buy(0))).toBe('quantity must be a positive finite number, got 0');
    expect(orderProblem({ ...buy(1), quantity: '1' })).toBe('quantity must be a positive finite number, got 1');
    expect(orderProblem(buy(1, { type: 'limit', price: 0 }))).toBe('a limit order needs a positive finite price, got 0');
    expect(orderProblem(buy(1, { type: 'stop', stopPrice: -1 }))).toBe('a stop order needs a positive finite stopPrice, got -1');
    expect(orderProblem(buy(1, { type: 'limit', price: 1 }))).toBeUndefined();
  });
});

describe('checkOrder reasons', () => {
  it('says which symbols are allowed, or that none is', () => {
    expect(reason(marked(), buy(1, { symbol: 'DOGEUSDT' }))).toBe('symbol: DOGEUSDT is not an allowed symbol (allowed: BTCUSDT, ETHUSDT)');
    expect(reason(marked({ allowedSymbols: [] }), buy(1))).toBe('symbol: BTCUSDT is not an allowed symbol (allowed: none)');
  });

  it('quotes and clips a symbol that is not a plain ticker', () => {
    expect(reason(marked(), buy(1, { symbol: 'BAD SYM' }))).toBe('symbol: "BAD SYM" is not an allowed symbol (allowed: BTCUSDT, ETHUSDT)');
    expect(reason(marked(), buy(1, { symbol: 'ABC"' }))).toBe('symbol: "ABC\\"" is not an allowed symbol (allowed: BTCUSDT, ETHUSDT)');
    expect(reason(marked(), buy(1, { symbol: '"ABC' }))).toBe('symbol: "\\"ABC" is not an allowed symbol (allowed: BTCUSDT, ETHUSDT)');
    const long40 = `${'X'.repeat(31)} ${'Y'.repeat(8)}`;
    expect(reason(marked(), buy(1, { symbol: long40 }))).toBe(`symbol: ${JSON.stringify(long40.slice(0, 32))} is not an allowed symbol (allowed: BTCUSDT, ETHUSDT)`);
    expect(reason(marked(), buy(1, { symbol: 'A'.repeat(33) }))).toBe(`symbol: "${'A'.repeat(32)}" is not an allowed symbol (allowed: BTCUSDT, ETHUSDT)`);
  });

  it('words every limit refusal with the figures involved', () => {
    expect(reason(marked({ maxOrderQuantity: 5 }), buy(6))).toBe('order_quantity: quantity 6 exceeds max_order_quantity 5');
    expect(reason(initialRiskState(OFF), buy(1))).toBe('no_price: no bar of BTCUSDT has closed yet: there is no reference price to check the order against');
    expect(reason(marked({ priceBandPct: 5 }), buy(1, { type: 'limit', price: 110 }))).toBe('price_band: limit price 110 is 10% from the last close 100 (price_band_pct 5)');
    expect(reason(marked({ maxOrderNotional: 500 }), buy(6))).toBe('order_notional: order value 600 exceeds max_order_notional 500');
    const fast = working(marked({ maxOrdersPerSecond: 1 }), 'a', buy(1));
    expect(reason(fast, buy(1))).toBe('rate_second: 1 orders were sent in the last second (max_orders_per_second)');
    const busy = working(marked({ maxOrdersPerMinute: 1 }), 'a', buy(1));
    expect(reason(busy, buy(1), T + 5_000)).toBe('rate_minute: 1 orders were sent in the last minute (max_orders_per_minute)');
    const open = working(marked({ maxOpenOrders: 1 }), 'a', buy(1));
    expect(reason(open, buy(1))).toBe('open_orders: 1 orders are working (max_open_orders 1)');
    expect(reason(marked({ maxPositionNotional: 500 }), buy(6))).toBe('position: BTCUSDT position value would reach 600 with working orders (max_position_notional 500)');
    const exposed = working(marked({ maxTotalExposure: 500 }), 'e', { symbol: 'ETHUSDT', side: 'buy', type: 'market', quantity: 30 });
    expect(reason(exposed, buy(3))).toBe('exposure: total exposure would reach 600 with working orders (max_total_exposure 500)');
  });

  it('keeps the price band to limit orders, whatever price another order carries', () => {
    expect(reason(marked({ priceBandPct: 5 }), buy(1, { price: 1 }))).toBe('ok');
  });
});

describe('checkOrder worst case', () => {
  it('checks the position limit on a symbol with no working order', () => {
    expect(reason(marked({ maxPositionNotional: 1_000 }), buy(10))).toBe('ok');
    expect(reason(marked({ maxPositionNotional: 1_000 }), buy(11))).toMatch(/^position: /);
  });

  it('counts working sells against a long position, not on top of it', () => {
    // Long 5 with a working sell of 2: the worst case is 5 long (500); a buy of 1 raises it to 600.
    const s = working(long(marked({ maxPositionNotional: 550 }), 5), 's', sell(2));
    expect(reason(s, buy(1))).toMatch(/^position: BTCUSDT position value would reach 600/);
  });

  it('lets an order pass that leaves the worst case where it is, even past a limit', () => {
    // A working buy of 5 makes the worst case 500 long; selling 3 opens at most 300 short: the worst case stays 500.
    const s = working(marked({ maxPositionNotional: 400 }), 'b', buy(5));
    expect(reason(s, sell(3))).toBe('ok');
    expect(reason(s, sell(5))).toBe('ok');
    expect(reason(s, sell(5.5))).toMatch(/^position: /);
  });

  it('lets a reducing order pass when the position is already past the limit', () => {
    const s = fold(long(marked({ maxPositionNotional: 1_000 }), 10), { type: 'bar', symbol: 'BTCUSDT', close: 150, at: T });
    expect(reason(s, sell(2))).toBe('ok');
    expect(reason(s, buy(0.1))).toMatch(/^position: /);
  });
});
