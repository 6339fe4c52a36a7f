/**
 * The IBKR provider against the TWS simulator over a real loopback socket: market, limit and stop orders,
 * cancels, rejections, positions, executions and the account summary.
 */
import { describe, expect, it } from 'vitest';
import { eventually, provider, simulator } from './helpers.ts';

describe('IBKR provider orders', () => {
  it('fills a market order and shows it in updates, trades, positions and the account', async () => {
    const sim = await simulator();
    const { provider: p, updates } = provider(sim);
    await p.connect();
    expect(p.isConnected()).toBe(true);
    const placed = await p.placeOrder({ symbol: 'aapl', side: 'buy', type: 'market', quantity: 10, clientOrderId: 'c-1' });
    expect(placed).toMatchObject({ id: '1', clientOrderId: 'c-1', symbol: 'AAPL', quantity: 10 });
    await eventually(() => updates.some((u) => u.fill), 'the fill');
    expect(updates.map((u) => u.order.status)).toEqual(['accepted', 'filled']);
    expect(await p.getOrderStatus('1')).toMatchObject({ status: 'filled', filledQuantity: 10, averagePrice: 100 });
    expect(await p.getTrades()).toEqual([expect.objectContaining({ orderId: '1', symbol: 'AAPL', side: 'buy', quantity: 10, price: 100, fee: 1 })]);
    // IB's average cost includes the 1.00 commission.
    expect(await p.getPositions()).toEqual([{ symbol: 'AAPL', quantity: 10, averagePrice: 100.1, realizedPnl: 0, unrealizedPnl: expect.closeTo(-1, 9), lastPrice: 100 }]);
    expect(await p.getAccountInfo()).toEqual({ currency: 'USD', cash: 998_999, equity: 999_999, realizedPnl: 0, unrealizedPnl: expect.closeTo(-1, 9), fees: 1 });
    // The same client order id places nothing new.
    expect((await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 10, clientOrderId: 'c-1' })).id).toBe('1');
    expect(sim.orders()).toHaveLength(1);
    expect(sim.orders()[0]).toMatchObject({ orderType: 'MKT', contract: { symbol: 'AAPL', exchange: 'SMART', currency: 'USD' }, orderRef: 'c-1', account: 'DU1234567' });
  });

  it('keeps a limit order open until the price crosses it, then fills it at the limit', async () => {
    const sim = await simulator();
    const { provider: p, updates } = provider(sim);
    await p.connect();
    const order = await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 5, price: 95 });
    expect(order.status).toBe('accepted');
    expect((await p.getOpenOrders()).map((o) => o.id)).toEqual([order.id]);
    sim.setPrice('AAPL', 96);
    sim.setPrice('AAPL', 94);
    await eventually(() => updates.some((u) => u.fill), 'the limit fill');
    expect(await p.getOrderStatus(order.id)).toMatchObject({ status: 'filled', averagePrice: 95 });
    expect(await p.getOpenOrders()).toEqual([]);
    expect((await p.getPositions())[0]).toMatchObject({ symbol: 'AAPL', quantity: 5, averagePrice: 95.2, lastPrice: 95 });
  });

  it('fills a stop order when the price falls through it', async () => {
    const sim = await simulator();
    const { provider: p, updates } = provider(sim);
    await p.connect();
    await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 4 });
    const stop = await p.placeOrder({ symbol: 'AAPL', side: 'sell', type: 'stop', quantity: 4, stopPrice: 90 });
    expect(stop.status).toBe('accepted');
    sim.setPrice('AAPL', 89);
    await eventually(() => updates.filter((u) => u.fill).length === 2, 'the stop fill');
    expect(await p.getOrderStatus(stop.id)).toMatchObject({ status: 'filled', averagePrice: 89 });
    expect(await p.getPositions()).toEqual([]);
    // Sold 4 bought at 100.25 (cost with commission) at 89, less the 1.00 commission.
    expect((await p.getAccountInfo()).realizedPnl).toBeCloseTo(-46, 9);
  });

  it('cancels a working order and returns a final order unchanged', async () => {
    const sim = await simulator();
    const { provider: p, updates } = provider(sim);
    await p.connect();
    const order = await p.placeOrder({ symbol: 'AAPL', side: 'sell', type: 'limit', quantity: 2, price: 150 });
    const cancelled = await p.cancelOrder(order.id);
    expect(cancelled).toMatchObject({ id: order.id, status: 'cancelled' });
    expect(cancelled.cancelReason).toBeUndefined();
    expect(sim.orders()[0]!.status).toBe('Cancelled');
    expect(await p.cancelOrder(order.id)).toEqual(cancelled);
    expect(updates.map((u) => u.order.status)).toEqual(['accepted', 'cancelled']);
    await expect(p.cancelOrder('999')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });

  it('reports refused orders as rejected statuses, from TWS (201) and before sending', async () => {
    const sim = await simulator();
    const { provider: p } = provider(sim);
    await p.connect();
    sim.rejectNextOrder('no trading permissions for AAPL');
    const rejected = await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 });
    expect(rejected).toMatchObject({ status: 'rejected', rejectReason: 'Order rejected - reason:no trading permissions for AAPL (error 201)' });
    const unknown = await p.placeOrder({ symbol: 'NOPE', side: 'buy', type: 'market', quantity: 1 });
    expect(unknown.rejectReason).toContain('no market price for NOPE');
    const invalid = await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1 });
    expect(invalid).toMatchObject({ status: 'rejected', rejectReason: 'a limit order needs a positive price' });
    expect(sim.orders()).toHaveLength(0);
    expect(await p.getTrades()).toEqual([]);
  });

  it('takes realized P&L and fees from commission reports', async () => {
    const sim = await simulator();
    const { provider: p, updates } = provider(sim);
    await p.connect();
    await p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 200 });
    await p.placeOrder({ symbol: 'AAPL', side: 'sell', type: 'market', quantity: 50 });
    await eventually(() => updates.filter((u) => u.fill).length === 2, 'two fills');
    const account = await p.getAccountInfo();
    expect(account).toMatchObject({ cash: 984_998, equity: 999_998, fees: 2 });
    expect(account.realizedPnl).toBeCloseTo(-1.25, 9);
    expect((await p.getPositions())[0]).toMatchObject({ quantity: 150, averagePrice: 100.005 });
  });

  it('rejects trading calls before connect with NOT_READY', async () => {
    const sim = await simulator();
    const { provider: p } = provider(sim);
    await expect(p.placeOrder({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 })).rejects.toMatchObject({ code: 'NOT_READY' });
    await expect(p.getPositions()).rejects.toMatchObject({ code: 'NOT_READY' });
  });
});
