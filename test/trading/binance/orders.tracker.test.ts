/**
 * The Binance order tracker on its own, against the simulator's trading REST API on loopback: placement once per
 * client order id, refusals before sending, cancel and status, each execution reported once, and an execution the
 * venue counts but does not list yet reported as missing (once), never invented.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.ts';
import type { LoggedEvent } from '../../../src/events/fold.ts';
import { OrderTracker, venueClientId } from '../../../src/trading/binance/orders.ts';
import { BinanceTradingClient } from '../../../src/trading/binance/rest-client.ts';
import { SymbolCatalog } from '../../../src/trading/binance/symbols.ts';
import type { OrderUpdate } from '../../../src/trading/trading-provider.ts';
import { API_KEY, SECRET, tickerPrice, useVenues } from './helpers.ts';

const venues = useVenues();

/** A tracker over a fresh simulator, with what it emitted; `hideTrades` empties myTrades answers while true. */
const trackerOn = async () => {
  const { sim } = await venues.start();
  const sleep = systemClock.sleep;
  const client = new BinanceTradingClient({
    baseUrl: sim.restUrl, apiKey: API_KEY, secretKey: SECRET, recvWindowMs: 5_000, requestTimeoutMs: 5_000, requestsPerSecond: 50,
    now: Date.now, sleep, onNotice: () => {},
  });
  const hide = { trades: false };
  // A venue whose trade list lags behind the order's executed quantity (a lost execution, as the tracker sees it).
  const signed = client.signed.bind(client);
  client.signed = (async (...args: Parameters<typeof signed>) => {
    const result = await signed(...args);
    return hide.trades && args[1] === '/api/v3/myTrades' && result.kind === 'ok' ? { ...result, body: [] } : result;
  }) as typeof signed;
  const updates: OrderUpdate[] = [];
  const facts: LoggedEvent[] = [];
  const touched: string[] = [];
  const tracker = new OrderTracker({
    client, catalog: new SymbolCatalog(client, Date.now, 10_000), now: Date.now, sleep,
    emit: (update, fact) => { facts.push(fact); if (update) updates.push(update); },
    touched: (symbol) => touched.push(symbol),
  });
  return { sim, tracker, updates, facts, touched, hide };
};

describe('venueClientId', () => {
  it('keeps a valid caller id, hashes any other one stably, and makes one up when there is none', () => {
    expect(venueClientId('my-order_1')).toBe('my-order_1');
    const hashed = venueClientId('an id with spaces and more than thirty-six characters');
    expect(hashed).toMatch(/^argo-[0-9a-f]{31}$/);
    expect(venueClientId('an id with spaces and more than thirty-six characters')).toBe(hashed);
    const made = venueClientId(undefined);
    expect(made).toMatch(/^argo-[0-9a-f]{24}$/);
    expect(venueClientId(undefined)).not.toBe(made);
  });
});

describe('OrderTracker', () => {
  it('places a market order and reports its fill once, then its final state', async () => {
    const { tracker, updates, touched } = await trackerOn();
    const order = await tracker.place({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'm-1' });
    expect(order).toMatchObject({ symbol: 'BTCUSDT', side: 'buy', status: 'filled', filledQuantity: 0.01 });
    const fills = updates.filter((u) => u.fill);
    expect(fills.reduce((q, u) => q + u.fill!.quantity, 0)).toBeCloseTo(0.01, 12);
    expect(updates.at(-1)!.order.status).toBe('filled');
    expect(touched).toContain('BTCUSDT');
    await tracker.poll();
    expect(updates.filter((u) => u.fill)).toHaveLength(fills.length);
  });

  it('places an order once per client order id, however often it is asked', async () => {
    const { sim, tracker } = await trackerOn();
    const price = await tickerPrice(sim, 'BTCUSDT');
    const request = { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 0.01, price: Math.floor(price * 0.9), clientOrderId: 'once-1' } as const;
    const [a, b] = await Promise.all([tracker.place(request), tracker.place(request)]);
    const c = await tracker.place(request);
    expect(new Set([a.id, b.id, c.id]).size).toBe(1);
    expect((await tracker.openOrders()).map((o) => o.id)).toEqual([a.id]);
  });

  it('rejects an order the symbol filters refuse without sending it, and reports it by its id', async () => {
    const { tracker, updates } = await trackerOn();
    const order = await tracker.place({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1e-12 });
    expect(order.status).toBe('rejected');
    expect(await tracker.status(order.id)).toEqual(order);
    expect(await tracker.cancel(order.id)).toEqual(order);
    expect(await tracker.openOrders()).toEqual([]);
    expect(updates.map((u) => u.order.status)).toEqual(['rejected']);
  });

  it('cancels a working limit order and knows it is final afterwards', async () => {
    const { sim, tracker } = await trackerOn();
    const price = await tickerPrice(sim, 'BTCUSDT');
    const placed = await tracker.place({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 0.01, price: Math.floor(price * 0.9) });
    expect(placed.status).toBe('accepted');
    const cancelled = await tracker.cancel(placed.id);
    expect(cancelled).toMatchObject({ id: placed.id, status: 'cancelled' });
    expect(await tracker.cancel(placed.id)).toMatchObject({ status: 'cancelled' });
    expect((await tracker.status(placed.id))?.status).toBe('cancelled');
  });

  it('refuses a request that is not an object, and a cancel of an order the venue does not have', async () => {
    const { tracker } = await trackerOn();
    expect(() => tracker.place(null as never)).toThrow(expect.objectContaining({ code: 'ORDER_INVALID' }));
    await expect(tracker.cancel('BTCUSDT:999999')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    expect(await tracker.status('BTCUSDT:999999')).toBeUndefined();
    expect(await tracker.status('not an id')).toBeUndefined();
  });

  it('reports a lost execution once and publishes nothing for it until the venue lists it', async () => {
    const { sim, tracker, updates, facts, hide } = await trackerOn();
    hide.trades = true;
    // The lost answer makes the tracker read the order and then its trades, which the venue does not list yet.
    sim.dropNextOrderResponses(1);
    const placed = await tracker.place({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.004, clientOrderId: 'lost-trade' });
    expect(sim.orders()[0]!.status).toBe('FILLED');
    expect(placed).toMatchObject({ status: 'accepted', filledQuantity: 0 });
    await tracker.poll();
    await tracker.poll();
    expect(facts.filter((f) => f.type === 'order.executions_missing')).toEqual([
      { type: 'order.executions_missing', orderId: placed.id, applied: 0, venueExecuted: 0.004 },
    ]);
    expect(updates.filter((u) => u.fill)).toEqual([]);
    hide.trades = false;
    await tracker.poll();
    expect(updates.filter((u) => u.fill).map((u) => u.fill!.quantity)).toEqual([0.004]);
    expect(await tracker.status(placed.id)).toMatchObject({ status: 'filled', filledQuantity: 0.004 });
  });
});
