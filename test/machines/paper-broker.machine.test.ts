import { describe, expect, it } from 'vitest';
import { accountInfoOf, equityOf, markLookup, openOrdersOf, positionsOf } from '../../src/trading/paper/account.ts';
import { bar, flat, MINUTE, startBroker } from '../trading/paper-helpers.ts';

const buy = (quantity: number, extra: { type?: 'market' | 'limit' | 'stop'; price?: number; stopPrice?: number } = {}) =>
  ({ symbol: 'AAA', side: 'buy' as const, type: extra.type ?? 'market' as const, quantity, ...extra });
const sell = (quantity: number, extra: { type?: 'market' | 'limit' | 'stop'; price?: number; stopPrice?: number } = {}) =>
  ({ ...buy(quantity, extra), side: 'sell' as const });

describe('paper broker: market orders', () => {
  it("fills a market order at the next bar's open, with the fee, and marks it to that bar's close", () => {
    const b = startBroker();
    b.feed(flat('AAA', 0, 100));
    expect(b.place('o1', buy(10)).status).toBe('accepted');
    expect(b.account().fills).toEqual([]);
    b.feed(bar('AAA', 1, { open: 102, high: 104, low: 101, close: 103 }));
    expect(b.account().fills).toEqual([{ orderId: 'o1', symbol: 'AAA', side: 'buy', quantity: 10, price: 102, fee: 1.02, at: MINUTE }]);
    expect(b.order('o1')).toMatchObject({ status: 'filled', filledQuantity: 10, averagePrice: 102 });
    expect(b.account().cash).toBeCloseTo(100_000 - 1_020 - 1.02, 9);
    expect(positionsOf(b.account())).toEqual([{ symbol: 'AAA', quantity: 10, averagePrice: 102, realizedPnl: 0, unrealizedPnl: 10, lastPrice: 103 }]);
    expect(b.facts.map((f) => f.type)).toEqual(['order.accepted', 'order.filled']);
  });

  it('fills at the last close on placement with fillOn close, and at the next open when no price is known', () => {
    const b = startBroker({ fillOn: 'close', feeRate: 0 });
    b.feed(flat('AAA', 0, 100));
    expect(b.place('o1', buy(10))).toMatchObject({ status: 'filled', averagePrice: 100 });
    expect(b.place('o2', { ...buy(1), symbol: 'BBB' }).status).toBe('accepted');
    b.feed(bar('BBB', 1, { open: 50, high: 51, low: 49, close: 50 }));
    expect(b.order('o2')).toMatchObject({ status: 'filled', averagePrice: 50 });
  });

  it('only fills orders of the bar symbol', () => {
    const b = startBroker();
    b.place('o1', buy(1));
    b.feed(flat('BBB', 1, 10));
    expect(b.order('o1').status).toBe('accepted');
  });
});

describe('paper broker: limit and stop orders', () => {
  it('fills a limit buy when the low reaches the limit, at the limit, and at the open on a gap down', () => {
    const b = startBroker();
    b.feed(flat('AAA', 0, 100));
    b.place('o1', buy(10, { type: 'limit', price: 99 }));
    b.feed(bar('AAA', 1, { open: 101, high: 102, low: 99.5, close: 100 }));
    expect(b.order('o1').status).toBe('accepted');
    b.feed(bar('AAA', 2, { open: 101, high: 101, low: 98, close: 100 }));
    expect(b.account().fills.at(-1)).toMatchObject({ price: 99, at: 3 * MINUTE - 1 });
    b.place('o2', buy(10, { type: 'limit', price: 99 }));
    b.feed(bar('AAA', 3, { open: 95, high: 97, low: 94, close: 96 }));
    expect(b.account().fills.at(-1)).toMatchObject({ orderId: 'o2', price: 95, at: 3 * MINUTE });
  });

  it('fills a limit sell when the high reaches the limit, at the limit, and at the open on a gap up', () => {
    const b = startBroker();
    b.place('o1', sell(10, { type: 'limit', price: 105 }));
    b.feed(bar('AAA', 1, { open: 103, high: 106, low: 102, close: 104 }));
    expect(b.account().fills.at(-1)).toMatchObject({ price: 105 });
    b.place('o2', sell(10, { type: 'limit', price: 105 }));
    b.feed(bar('AAA', 2, { open: 110, high: 112, low: 108, close: 111 }));
    expect(b.account().fills.at(-1)).toMatchObject({ orderId: 'o2', price: 110 });
  });

  it('triggers a stop buy when the high crosses the stop, filling at the stop or at a gap open', () => {
    const b = startBroker();
    b.place('o1', buy(10, { type: 'stop', stopPrice: 105 }));
    b.feed(bar('AAA', 1, { open: 100, high: 104, low: 99, close: 103 }));
    expect(b.order('o1').status).toBe('accepted');
    b.feed(bar('AAA', 2, { open: 101, high: 106, low: 100, close: 105 }));
    expect(b.account().fills.at(-1)).toMatchObject({ orderId: 'o1', price: 105 });
    b.place('o2', buy(10, { type: 'stop', stopPrice: 105 }));
    b.feed(bar('AAA', 3, { open: 108, high: 109, low: 107, close: 108 }));
    expect(b.account().fills.at(-1)).toMatchObject({ orderId: 'o2', price: 108 });
  });

  it('triggers a stop sell when the low crosses the stop, filling at the stop or at a gap open', () => {
    const b = startBroker();
    b.place('o1', sell(10, { type: 'stop', stopPrice: 95 }));
    b.feed(bar('AAA', 1, { open: 98, high: 99, low: 94, close: 96 }));
    expect(b.account().fills.at(-1)).toMatchObject({ orderId: 'o1', price: 95 });
    b.place('o2', sell(10, { type: 'stop', stopPrice: 95 }));
    b.feed(bar('AAA', 2, { open: 90, high: 91, low: 89, close: 90 }));
    expect(b.account().fills.at(-1)).toMatchObject({ orderId: 'o2', price: 90 });
  });
});

describe('paper broker: fees and slippage', () => {
  it('moves market and stop fills against the trader by the slippage, and never limit fills', () => {
    const b = startBroker({ slippageBps: 10, feeRate: 0 });
    b.place('m-buy', buy(1));
    b.place('m-sell', sell(1));
    b.place('stop', buy(1, { type: 'stop', stopPrice: 105 }));
    b.place('limit', buy(1, { type: 'limit', price: 99 }));
    b.feed(bar('AAA', 1, { open: 100, high: 106, low: 98, close: 100 }));
    const price = (id: string) => b.account().fills.find((f) => f.orderId === id)?.price;
    expect(price('m-buy')).toBeCloseTo(100.1, 10);
    expect(price('m-sell')).toBeCloseTo(99.9, 10);
    expect(price('stop')).toBeCloseTo(105.105, 10);
    expect(price('limit')).toBe(99);
  });

  it('charges the fee rate on every fill and keeps equity = initial cash + P&L − fees', () => {
    const b = startBroker({ feeRate: 0.002 });
    b.place('o1', buy(10));
    b.feed(flat('AAA', 1, 100));
    b.place('o2', sell(10));
    b.feed(flat('AAA', 2, 110));
    expect(b.account().fills.map((f) => f.fee)).toEqual([2, expect.closeTo(2.2, 10)]);
    const info = accountInfoOf(b.account());
    expect(info).toMatchObject({ currency: 'USD', realizedPnl: 100, unrealizedPnl: 0, fees: expect.closeTo(4.2, 10) });
    expect(info.cash).toBeCloseTo(100_095.8, 8);
    expect(info.equity).toBeCloseTo(100_000 + 100 - 4.2, 8);
  });
});

describe('paper broker: shorts and P&L', () => {
  it('opens a short, covers part with realised P&L, then flips long at the fill price', () => {
    const b = startBroker({ feeRate: 0 });
    b.place('s', sell(10));
    b.feed(flat('AAA', 1, 100));
    expect(b.position('AAA')).toEqual({ symbol: 'AAA', quantity: -10, averagePrice: 100, realizedPnl: 0 });
    expect(b.account().cash).toBe(101_000);
    b.place('c', buy(4));
    b.feed(flat('AAA', 2, 90));
    expect(b.position('AAA')).toEqual({ symbol: 'AAA', quantity: -6, averagePrice: 100, realizedPnl: 40 });
    expect(accountInfoOf(b.account())).toMatchObject({ cash: 100_640, equity: 100_100, realizedPnl: 40, unrealizedPnl: 60 });
    b.place('f', buy(10));
    b.feed(flat('AAA', 3, 95));
    expect(b.position('AAA')).toEqual({ symbol: 'AAA', quantity: 4, averagePrice: 95, realizedPnl: 70 });
    expect(accountInfoOf(b.account())).toMatchObject({ cash: 99_690, equity: 100_070 });
  });

  it('marks open positions to every closed bar', () => {
    const b = startBroker({ feeRate: 0 });
    b.place('o', buy(10));
    b.feed(flat('AAA', 1, 100), flat('AAA', 2, 110));
    expect(positionsOf(b.account())[0]).toMatchObject({ unrealizedPnl: 100, lastPrice: 110 });
    b.feed(flat('AAA', 3, 95));
    expect(positionsOf(b.account())[0]).toMatchObject({ unrealizedPnl: -50, lastPrice: 95 });
    expect(equityOf(b.account())).toBe(100_000 - 50);
  });

  it('rejects a short with the reason when short selling is disabled', () => {
    const b = startBroker({ allowShort: false, feeRate: 0 });
    b.feed(flat('AAA', 0, 100));
    expect(b.place('s', sell(5))).toMatchObject({ status: 'rejected', rejectReason: expect.stringContaining('short selling is disabled') });
    b.place('l', buy(5));
    b.feed(flat('AAA', 1, 100));
    expect(b.place('s2', sell(8)).status).toBe('rejected');
    expect(b.place('s3', sell(5)).status).toBe('accepted');
  });

  it('rejects a short whose margin the equity does not cover, with the reason', () => {
    const b = startBroker({ initialCash: 1_000, feeRate: 0, shortMarginRate: 0.5 });
    b.feed(flat('AAA', 0, 100));
    expect(b.place('big', sell(25))).toMatchObject({ status: 'rejected', rejectReason: expect.stringContaining('insufficient margin') });
    expect(b.place('ok', sell(19)).status).toBe('accepted');
  });
});

describe('paper broker: funds, validation and cancels', () => {
  it('rejects a buy whose notional and fee exceed cash on placement, with the reason', () => {
    const b = startBroker();
    const order = b.place('o', buy(2_000, { type: 'limit', price: 100 }));
    expect(order).toMatchObject({ status: 'rejected', rejectReason: expect.stringMatching(/^insufficient funds: .*cash is 100000/) });
    expect(b.facts).toEqual([{ type: 'order.rejected', order, reason: order.rejectReason }]);
    expect(openOrdersOf(b.account())).toEqual([]);
  });

  it('rejects at fill time a market order placed before any price was known', () => {
    const b = startBroker();
    b.place('o', buy(2_000));
    b.feed(flat('AAA', 1, 100));
    expect(b.order('o')).toMatchObject({ status: 'rejected', filledQuantity: 0, rejectReason: expect.stringContaining('insufficient funds') });
    expect(b.account().fills).toEqual([]);
    expect(b.account().cash).toBe(100_000);
  });

  it('rejects malformed requests with the reason', () => {
    const b = startBroker();
    expect(b.place('a', buy(0)).rejectReason).toContain('quantity must be a positive number');
    expect(b.place('b', buy(1, { type: 'limit' })).rejectReason).toContain('a limit order needs a positive price');
    expect(b.place('c', buy(1, { type: 'stop' })).rejectReason).toContain('a stop order needs a positive stopPrice');
    expect(b.place('d', { ...buy(1), symbol: '' }).rejectReason).toBe('symbol is empty');
  });

  it('ignores a second order with an id already used', () => {
    const b = startBroker();
    b.place('o', buy(1));
    b.place('o', sell(5));
    expect(b.order('o')).toMatchObject({ side: 'buy', quantity: 1 });
    expect(b.facts).toHaveLength(1);
  });

  it('cancels a working order, which then never fills, and ignores cancels of final or unknown orders', () => {
    const b = startBroker();
    b.feed(flat('AAA', 0, 100));
    b.place('o', buy(10, { type: 'limit', price: 90 }));
    b.cancel('o');
    expect(b.order('o').status).toBe('cancelled');
    expect(b.facts.at(-1)).toMatchObject({ type: 'order.cancelled', order: { id: 'o', status: 'cancelled' } });
    b.feed(bar('AAA', 1, { open: 85, high: 86, low: 80, close: 85 }));
    b.cancel('o');
    b.cancel('nope');
    expect(b.account().fills).toEqual([]);
    expect(b.facts.map((f) => f.type)).toEqual(['order.accepted', 'order.cancelled']);
  });
});

describe('paper broker: partial fills and bars', () => {
  it('fills at most the volume share per bar, moving through partially_filled to filled', () => {
    const b = startBroker({ maxVolumeShare: 0.1, feeRate: 0 });
    b.place('o', buy(25));
    b.feed(flat('AAA', 1, 100, 100));
    expect(b.order('o')).toMatchObject({ status: 'partially_filled', filledQuantity: 10 });
    b.feed(flat('AAA', 2, 110, 100), flat('AAA', 3, 120, 100));
    expect(b.account().fills.map((f) => [f.quantity, f.price])).toEqual([[10, 100], [10, 110], [5, 120]]);
    expect(b.order('o')).toMatchObject({ status: 'filled', filledQuantity: 25, averagePrice: 108 });
  });

  it('cancels the rest of a partly filled order with the reason when it becomes unaffordable', () => {
    const b = startBroker({ initialCash: 2_000, maxVolumeShare: 0.1, feeRate: 0 });
    b.place('o', buy(25));
    b.feed(flat('AAA', 1, 100, 100), flat('AAA', 2, 150, 100));
    expect(b.order('o')).toMatchObject({ status: 'cancelled', filledQuantity: 10, cancelReason: expect.stringContaining('insufficient funds') });
    expect(b.facts.at(-1)).toMatchObject({ type: 'order.cancelled', reason: expect.stringContaining('insufficient funds') });
  });

  it('ignores bars still forming and bars older than the last one; a corrected bar only moves the mark', () => {
    const b = startBroker();
    b.feed(flat('AAA', 5, 100));
    b.place('o', buy(1, { type: 'limit', price: 90 }));
    b.feed({ ...bar('AAA', 6, { open: 85, high: 86, low: 80, close: 85 }), final: false });
    b.feed(bar('AAA', 4, { open: 85, high: 86, low: 80, close: 85 }));
    expect(b.order('o').status).toBe('accepted');
    expect(markLookup(b.account().marks, 'AAA')).toEqual({ openTime: 5 * MINUTE, close: 100, volume: 1_000 });
    b.feed(bar('AAA', 5, { open: 85, high: 101, low: 80, close: 99 }));
    expect(b.order('o').status).toBe('accepted');
    expect(markLookup(b.account().marks, 'AAA')?.close).toBe(99);
  });

  it('keeps the whole account JSON-serialisable', () => {
    const b = startBroker({ maxVolumeShare: 0.5 });
    b.feed(flat('AAA', 0, 100));
    b.place('o1', buy(10));
    b.place('o2', sell(3, { type: 'limit', price: 101 }));
    b.feed(bar('AAA', 1, { open: 100, high: 102, low: 99, close: 101 }, 10));
    expect(JSON.parse(JSON.stringify(b.account()))).toStrictEqual(b.account());
  });
});
