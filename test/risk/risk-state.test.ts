/** The risk fold input by input: books from fills, working orders, early venue reports, marks, the day and the kill switch. */
import { describe, expect, it } from 'vitest';
import type { RiskLimits } from '../../src/risk/config.ts';
import {
  applyRisk, dailyLossLimit, dailyPnl, equityNow, initialRiskState, markOf, priceOf, trackedPnl, type RiskInput, type RiskState,
} from '../../src/risk/risk-state.ts';
import type { Fill, Order, OrderRequest } from '../../src/trading/types.ts';

const T = Date.UTC(2026, 11, 3, 12);
const DAY = 86_400_000;
const OFF: RiskLimits = {
  allowedSymbols: ['BTCUSDT', 'ETHUSDT'], maxOrderQuantity: null, maxOrderNotional: null, maxPositionNotional: null, maxTotalExposure: null,
  maxOpenOrders: null, maxOrdersPerSecond: null, maxOrdersPerMinute: null, priceBandPct: null, maxDailyLoss: null, maxDailyLossPct: null, flattenOnKill: false,
};
const fold = (state: RiskState, ...inputs: RiskInput[]): RiskState => inputs.reduce(applyRisk, state);
const fresh = (limits: Partial<RiskLimits> = {}) => initialRiskState({ ...OFF, ...limits });
const fill = (side: 'buy' | 'sell', quantity: number, price: number, extra: Partial<Fill> = {}): RiskInput =>
  ({ type: 'filled', fill: { orderId: 'o', symbol: 'BTCUSDT', side, quantity, price, fee: 0, at: T, ...extra } });
const bar = (close: number, at = T, symbol = 'BTCUSDT'): RiskInput => ({ type: 'bar', symbol, close, at });
const request = (quantity: number): OrderRequest => ({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity });
const order = (id: string, status: Order['status'], quantity = 5, filledQuantity = 0): Order => ({
  id, clientOrderId: id, symbol: 'btcusdt', side: 'buy', type: 'market', quantity, status, filledQuantity, averagePrice: 0, createdAt: T, updatedAt: T,
});
const synced = (extra: Partial<Extract<RiskInput, { type: 'synced' }>> = {}): RiskInput => ({ type: 'synced', positions: [], openOrders: [], equity: 10_000, at: T, ...extra });

describe('applyRisk books', () => {
  it('flattens a closed position to no quantity and no average price', () => {
    const s = fold(fresh(), fill('buy', 2, 100), fill('sell', 2, 110));
    expect(s.books.BTCUSDT).toEqual({ quantity: 0, averagePrice: 0, realizedPnl: 20 });
  });

  it('opens the other side at the fill price when a fill crosses through flat', () => {
    const s = fold(fresh(), fill('buy', 2, 100), fill('sell', 5, 120));
    expect(s.books.BTCUSDT).toEqual({ quantity: -3, averagePrice: 120, realizedPnl: 40 });
  });

  it('counts a position closed in float steps as flat, not as a residue', () => {
    const s = fold(fresh(), fill('buy', 0.1, 100), fill('buy', 0.2, 100), fill('sell', 0.3, 100));
    expect(s.books.BTCUSDT!.quantity).toBe(0);
  });

  it('ignores fills with a non-finite or non-positive quantity or price', () => {
    const s = fresh();
    for (const bad of [fill('buy', 0, 100), fill('buy', -1, 100), fill('buy', NaN, 100), fill('buy', 1, NaN), fill('buy', 1, Infinity)]) expect(applyRisk(s, bad)).toBe(s);
  });

  it('counts a non-finite fee as none', () => {
    expect(fold(fresh(), fill('buy', 1, 100, { fee: 2 }), fill('buy', 1, 100, { fee: NaN })).fees).toBe(2);
  });
});

describe('applyRisk marks and prices', () => {
  it('keeps the last valid close of every symbol and ignores closes that are not positive and finite', () => {
    const symbols = Array.from({ length: 100 }, (_, i) => `S${i}`);
    let s = fresh();
    symbols.forEach((sym, i) => { s = fold(s, bar(i + 1, T, sym)); });
    expect(symbols.map((sym) => markOf(s, sym))).toEqual(symbols.map((_, i) => i + 1));
    for (const close of [0, -1, NaN, Infinity]) expect(applyRisk(s, bar(close, T, 'S1'))).toBe(s);
  });

  it('values a position at its entry price before any bar, and an unknown symbol at nothing', () => {
    const s = fold(fresh(), fill('buy', 2, 100));
    expect(priceOf(s, 'BTCUSDT')).toBe(100);
    expect(priceOf(s, 'NOPE')).toBeUndefined();
    expect(trackedPnl(s)).toBe(0);
  });
});

describe('applyRisk working orders', () => {
  it('keeps the remaining quantity of a working order as the venue reports fills, and drops it when final', () => {
    let s = fold(fresh(), { type: 'submitted', key: 'k', request: request(5), at: T }, { type: 'placed', key: 'k', order: order('v', 'accepted') });
    expect(s.working).toEqual({ v: { symbol: 'BTCUSDT', side: 'buy', remaining: 5 } });
    s = fold(s, { type: 'updated', order: order('v', 'partially_filled', 5, 2) });
    expect(s.working).toEqual({ v: { symbol: 'BTCUSDT', side: 'buy', remaining: 3 } });
    s = fold(s, { type: 'updated', order: order('v', 'filled', 5, 5) });
    expect(s.working).toEqual({});
  });

  it('forgets a submitted order the venue never took', () => {
    const s = fold(fresh(), { type: 'submitted', key: 'k', request: request(5), at: T }, { type: 'dropped', key: 'k' });
    expect(s.working).toEqual({});
  });

  it('takes the larger filled quantity of the placement and an earlier venue report', () => {
    const s = fold(fresh(), { type: 'submitted', key: 'k', request: request(5), at: T },
      { type: 'updated', order: order('v', 'partially_filled', 5, 3) }, { type: 'placed', key: 'k', order: order('v', 'accepted', 5, 1) });
    expect(s.working).toEqual({ v: { symbol: 'BTCUSDT', side: 'buy', remaining: 2 } });
    expect(s.seen).toEqual({});
  });

  it('remembers reports of unknown orders up to a thousand, forgetting the oldest', () => {
    let s = fresh();
    for (let i = 0; i < 1_000; i++) s = fold(s, { type: 'updated', order: order(`u${i}`, 'accepted') });
    expect(Object.keys(s.seen)).toHaveLength(1_000);
    s = fold(s, { type: 'updated', order: order('u1000', 'filled', 5, 5) });
    expect(Object.keys(s.seen)).toHaveLength(1_000);
    expect(s.seen.u0).toBeUndefined();
    expect(s.seen.u1000).toEqual({ final: true, filled: 5 });
  });

  it('keeps the send times of the last minute only', () => {
    let s = fresh();
    for (const at of [T, T + 30_000, T + 60_000]) s = fold(s, { type: 'submitted', key: `k${at}`, request: request(1), at });
    expect(s.sent).toEqual([T + 30_000, T + 60_000]);
  });
});

describe('applyRisk sync and the day', () => {
  it('takes positions and working orders from the venue, leaving out flat positions and final orders', () => {
    const s = fold(fresh(), synced({
      positions: [{ symbol: 'btcusdt', quantity: 2, averagePrice: 100 }, { symbol: 'ETHUSDT', quantity: 0, averagePrice: 10 }],
      openOrders: [order('a', 'accepted'), order('b', 'filled', 5, 5)],
    }));
    expect(s.books).toEqual({ BTCUSDT: { quantity: 2, averagePrice: 100, realizedPnl: 0 } });
    expect(s.working).toEqual({ a: { symbol: 'BTCUSDT', side: 'buy', remaining: 5 } });
  });

  it('measures equity from the sync: what was tracked before it is the base, not a gain', () => {
    const s = fold(fresh(), fill('buy', 10, 100), bar(110), synced({ positions: [{ symbol: 'BTCUSDT', quantity: 10, averagePrice: 100 }] }));
    expect(equityNow(s)).toBe(10_000);
    expect(equityNow(fold(s, bar(111)))).toBe(10_010);
  });

  it('starts a new day at the first input of the next UTC day, with the equity of that moment', () => {
    let s = fold(fresh(), synced({ positions: [{ symbol: 'BTCUSDT', quantity: 10, averagePrice: 100 }] }), bar(100));
    s = fold(s, bar(90, T + 1));
    expect(dailyPnl(s)).toBe(-100);
    s = fold(s, bar(90, T + DAY));
    expect(s.day).toBe(Math.floor((T + DAY) / DAY));
    expect(dailyPnl(s)).toBe(0);
  });

  it('ignores a logged day start from another day', () => {
    const yesterday = Math.floor(T / DAY) - 1;
    const s = fold(fresh({ maxDailyLoss: 500 }), synced({ equity: 9_400, dayStart: { day: yesterday, equity: 10_000 } }));
    expect(s.dayStartEquity).toBe(9_400);
    expect(s.kill.status).toBe('armed');
  });
});

describe('daily loss limit', () => {
  it('is the smaller of the absolute and the percentage limit', () => {
    const synced10k = (limits: Partial<RiskLimits>) => fold(fresh(limits), synced());
    expect(dailyLossLimit(synced10k({ maxDailyLoss: 1_000, maxDailyLossPct: 5 }))).toBe(500);
    expect(dailyLossLimit(synced10k({ maxDailyLoss: 300, maxDailyLossPct: 5 }))).toBe(300);
    expect(dailyLossLimit(synced10k({ maxDailyLossPct: 5 }))).toBe(500);
    expect(dailyLossLimit(synced10k({}))).toBeNull();
  });

  it('has no percentage limit without a venue equity or with no equity at the day start', () => {
    expect(dailyLossLimit(fold(fresh({ maxDailyLossPct: 5 }), synced({ equity: null })))).toBeNull();
    expect(dailyLossLimit(fold(fresh({ maxDailyLossPct: 5 }), synced({ equity: 0 })))).toBeNull();
    expect(dailyLossLimit(fold(fresh({ maxDailyLossPct: 5, maxDailyLoss: 50 }), synced({ equity: 0 })))).toBe(50);
    // Without a venue equity a day can still start with a tracked gain: the percentage still has no base.
    const gained = fold(fresh({ maxDailyLossPct: 5 }), synced({ equity: null, positions: [{ symbol: 'BTCUSDT', quantity: 10, averagePrice: 100 }] }), bar(110), bar(110, T + DAY));
    expect(gained.dayStartEquity).toBe(100);
    expect(dailyLossLimit(gained)).toBeNull();
  });

  it('trips once: further losses and kills leave the first trip as it was', () => {
    let s = fold(fresh({ maxDailyLoss: 100 }), synced({ positions: [{ symbol: 'BTCUSDT', quantity: 10, averagePrice: 100 }] }), bar(100));
    s = fold(s, bar(89, T + 1));
    expect(s.kill).toEqual({ status: 'tripped', source: 'daily_loss', at: T + 1, reason: 'daily loss 110 reached the limit of 100' });
    const first = s.kill;
    s = fold(s, bar(80, T + 2), { type: 'kill', reason: 'operator', source: 'manual', at: T + 3 });
    expect(s.kill).toBe(first);
    expect(s.trips).toBe(1);
  });

  it('counts each refused check', () => {
    const s = fold(fresh(), { type: 'rejected', check: 'symbol' }, { type: 'rejected', check: 'symbol' }, { type: 'rejected', check: 'position' });
    expect(s.rejected).toMatchObject({ symbol: 2, position: 1, exposure: 0 });
  });
});
