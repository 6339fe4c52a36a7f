import { describe, expect, it } from 'vitest';
import { createTradingProvider } from '../../../src/trading/registry.ts';
import { API_KEY, SECRET, START, eventually, tickerPrice, useVenues } from './helpers.ts';

const venues = useVenues();

describe('binance-paper provider against the simulator', () => {
  it('fills a market order and shows it in positions, account and trades', async () => {
    const { sim, provider, updates, events } = await venues.start();
    await provider.connect();
    const price = await tickerPrice(sim, 'BTCUSDT');
    const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'buy-1', reason: 'test' });
    expect(order).toMatchObject({ id: 'BTCUSDT:1', clientOrderId: 'buy-1', status: 'filled', filledQuantity: 0.01, averagePrice: price, createdAt: START });
    expect(updates.map((u) => [u.order.status, u.fill?.quantity])).toEqual([['accepted', undefined], ['filled', 0.01]]);
    expect(updates[1]!.fill).toEqual({ orderId: 'BTCUSDT:1', symbol: 'BTCUSDT', side: 'buy', quantity: 0.01, price, fee: expect.closeTo(0.00001 * price, 9), at: START });
    expect(events.filter((e) => e.type.startsWith('order.')).map((e) => e.type)).toEqual(['order.placed', 'order.filled']);
    expect(events.find((e) => e.type === 'order.placed')).toMatchObject({ why: 'test' });

    // 0.5 BTC held before (no trades explain it: valued at the last price), plus 0.01 − 0.00001 commission bought.
    const [position] = await provider.getPositions();
    expect(position).toMatchObject({ symbol: 'BTCUSDT', quantity: 0.50999, lastPrice: price, realizedPnl: 0 });
    expect(position!.averagePrice).toBeCloseTo(price, 6);
    const account = await provider.getAccountInfo();
    expect(account).toMatchObject({ currency: 'USDT', cash: Math.round((10_000 - price * 0.01) * 1e8) / 1e8 });
    expect(account.equity).toBeCloseTo(account.cash + 0.50999 * price, 6);
    expect(account.fees).toBeCloseTo(0.00001 * price, 9);
    expect(await provider.getTrades()).toEqual([updates[1]!.fill]);
    // The same client order id again returns the same order: nothing is sent.
    const posts = () => sim.requests().filter((r) => r.method === 'POST').length;
    expect(await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'buy-1' })).toEqual(order);
    expect(posts()).toBe(1);
  });

  it('keeps a limit order open until the market trades through it, then reports the fill from polling', async () => {
    const { sim, provider, updates } = await venues.start();
    await provider.connect();
    const current = await tickerPrice(sim, 'BTCUSDT');
    const low = Math.min(...Array.from({ length: 20 }, (_, i) => Number(sim.bar('BTCUSDT', '1m', START + i * 60_000).l)));
    const limit = (low + current) / 2 + 0.004; // off the tick: rounded down for a buy
    const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 0.01, price: limit });
    expect(order).toMatchObject({ status: 'accepted', price: Math.floor(limit * 100) / 100, filledQuantity: 0 });
    expect((await provider.getOpenOrders()).map((o) => o.id)).toEqual([order.id]);
    expect(sim.requests().find((r) => r.method === 'POST')?.query['price']).toBe((Math.floor(limit * 100) / 100).toFixed(2));
    for (let i = 0; i < 700 && sim.orders()[0]!.status === 'NEW'; i++) sim.advance();
    await eventually(() => updates.some((u) => u.order.status === 'filled'));
    const filled = updates.find((u) => u.order.status === 'filled')!;
    expect(filled.fill).toMatchObject({ orderId: order.id, quantity: 0.01, price: Math.floor(limit * 100) / 100 });
    expect(await provider.getOrderStatus(order.id)).toMatchObject({ status: 'filled', createdAt: START });
    expect(await provider.getOpenOrders()).toEqual([]);
    expect(updates.filter((u) => u.fill)).toHaveLength(1);
  });

  it('cancels a working order and releases its funds', async () => {
    const { sim, provider, updates } = await venues.start();
    await provider.connect();
    const price = await tickerPrice(sim, 'BTCUSDT');
    const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'sell', type: 'limit', quantity: 0.2, price: price * 1.5 });
    expect(sim.balances()['BTC']!.locked).toBe(0.2);
    const cancelled = await provider.cancelOrder(order.id);
    expect(cancelled).toMatchObject({ id: order.id, status: 'cancelled', createdAt: order.createdAt });
    expect(sim.balances()['BTC']).toEqual({ free: 0.5, locked: 0 });
    expect(updates.map((u) => u.order.status)).toEqual(['accepted', 'cancelled']);
    // Cancelling again returns the final state without asking the venue to cancel.
    expect(await provider.cancelOrder(order.id)).toEqual(cancelled);
    expect(sim.requests().filter((r) => r.method === 'DELETE')).toHaveLength(1);
    await expect(provider.cancelOrder('nonsense')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    expect(await provider.getOrderStatus('BTCUSDT:424242')).toBeUndefined();
  });

  it('rejects filter violations and unknown symbols before sending, and venue refusals as rejected orders', async () => {
    const { sim, provider, updates } = await venues.start({ balances: { USDT: 50 } });
    await provider.connect();
    const tiny = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.000001, clientOrderId: 'tiny' });
    expect(tiny).toMatchObject({ id: 'rejected:tiny', status: 'rejected', rejectReason: expect.stringMatching(/LOT_SIZE minimum/) });
    expect(await provider.getOrderStatus('rejected:tiny')).toEqual(tiny);
    const small = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.00001 });
    expect(small.rejectReason).toMatch(/NOTIONAL minimum 5/);
    expect((await provider.placeOrder({ symbol: 'NOPEUSDT', side: 'buy', type: 'market', quantity: 1 })).rejectReason).toMatch(/does not list NOPEUSDT/);
    expect((await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'stop', quantity: 1, stopPrice: 1 })).status).toBe('rejected');
    expect(sim.requests().filter((r) => r.method === 'POST')).toHaveLength(0);
    const broke = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });
    expect(broke).toMatchObject({ status: 'rejected', rejectReason: 'Account has insufficient balance for requested action. (-2010)' });
    expect(updates.every((u) => u.order.status === 'rejected')).toBe(true);
    expect(sim.orders()).toHaveLength(0);
  });

  it('takes over working orders on connect and reports only what happens to them afterwards', async () => {
    const { sim, provider } = await venues.start();
    await provider.connect();
    const price = await tickerPrice(sim, 'BTCUSDT');
    const resting = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'sell', type: 'limit', quantity: 0.1, price: price * 1.5 });
    await provider.disconnect();
    // A restarted session: a new provider on the same account.
    const again = createTradingProvider('binance-paper', { api_key: API_KEY, secret_key: SECRET, rest_url: sim.restUrl, poll_interval_ms: 25, requests_per_second: 50 });
    const seen: string[] = [];
    again.onOrderUpdate((u) => seen.push(u.order.status));
    await again.connect();
    try {
      expect((await again.getOpenOrders()).map((o) => o.id)).toEqual([resting.id]);
      expect(await again.cancelOrder(resting.id)).toMatchObject({ status: 'cancelled' });
      expect(seen).toEqual(['cancelled']);
    } finally {
      await again.disconnect();
    }
  });

  it('serves positions and account from cache, re-reading only what an order changed', async () => {
    const { sim, provider } = await venues.start();
    await provider.connect();
    await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });
    await provider.getAccountInfo();
    const mark = sim.requests().length;
    await provider.getPositions();
    await provider.getAccountInfo();
    expect(sim.requests().length).toBe(mark);
    await provider.placeOrder({ symbol: 'ETHUSDT', side: 'buy', type: 'market', quantity: 0.01 });
    const before = sim.requests().length;
    await provider.getAccountInfo();
    const reads = sim.requests().slice(before).map((r) => `${r.path}${r.query['symbol'] ? ` ${r.query['symbol']}` : ''}`);
    expect(reads).toEqual(['/api/v3/account', '/api/v3/myTrades ETHUSDT']);
  });

  it('stamps its own rejections with the caller\'s clock but signs requests with the wall clock', async () => {
    const { sim } = await venues.start();
    const replayed = createTradingProvider('binance-paper', { api_key: API_KEY, secret_key: SECRET, rest_url: sim.restUrl }, { now: () => 7 });
    await replayed.connect();
    try {
      expect(await replayed.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1e-9 })).toMatchObject({ status: 'rejected', createdAt: 7 });
      expect(await replayed.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 })).toMatchObject({ status: 'filled', createdAt: START });
    } finally {
      await replayed.disconnect();
    }
  });

  it('refuses to trade before connect', async () => {
    const { provider } = await venues.start();
    await expect(provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 })).rejects.toMatchObject({ code: 'NOT_READY' });
    expect(provider.isConnected()).toBe(false);
  });
});
