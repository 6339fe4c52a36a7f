import { describe, expect, it } from 'vitest';
import { paperBrokerMachine } from '../../machines/paper-broker.machine.ts';
import { isRealtimeError } from '../../src/errors.ts';
import { foldEvents, type LoggedEvent } from '../../src/events/fold.ts';
import { createPaperTradingProvider, type PaperTradingProviderOptions } from '../../src/trading/paper/paper-provider.ts';
import type { OrderUpdate } from '../../src/trading/trading-provider.ts';
import type { OrderRequest } from '../../src/trading/types.ts';
import { bar, flat } from './paper-helpers.ts';

const connected = async (options: PaperTradingProviderOptions = {}) => {
  let time = 1_000;
  const provider = createPaperTradingProvider({ now: () => ++time, ...options });
  const events: LoggedEvent[] = [];
  provider.onEvent((event) => events.push(JSON.parse(JSON.stringify(event)) as LoggedEvent));
  await provider.connect();
  return { provider, events };
};

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isRealtimeError(error)).toBe(true);
  return error as { code: string; message: string };
};

describe('paper trading provider', () => {
  it('refuses to trade before connect and after disconnect with a RealtimeError', async () => {
    const provider = createPaperTradingProvider();
    expect(await rejection(provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 }))).toMatchObject({
      code: 'NOT_READY', message: expect.stringContaining('call connect()'),
    });
    await provider.connect();
    expect(provider.isConnected()).toBe(true);
    await provider.disconnect();
    expect((await rejection(provider.cancelOrder('paper-1'))).code).toBe('NOT_READY');
  });

  it('refuses a request that is not an object with ORDER_INVALID and an unknown id with ORDER_NOT_FOUND', async () => {
    const { provider } = await connected();
    expect(await rejection(provider.placeOrder(null as unknown as OrderRequest))).toMatchObject({ code: 'ORDER_INVALID', retryable: false });
    expect(await rejection(provider.cancelOrder('paper-404'))).toMatchObject({ code: 'ORDER_NOT_FOUND', retryable: false, data: { orderId: 'paper-404' } });
    expect(provider.account().orders).toEqual({});
  });

  it('places an order, fills it on the next bar and reports it through updates and getters', async () => {
    const { provider } = await connected({ config: { feeRate: 0 } });
    const updates: OrderUpdate[] = [];
    provider.onOrderUpdate((u) => updates.push(u));
    provider.onMarketData(flat('AAA', 0, 100));
    const order = await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 2, reason: 'cross up' });
    expect(order).toMatchObject({ id: 'paper-1', clientOrderId: 'paper-1', status: 'accepted', createdAt: 1_001 });
    expect(await provider.getOpenOrders()).toEqual([order]);
    provider.onMarketData(bar('AAA', 1, { open: 101, high: 103, low: 100, close: 102 }));
    expect(await provider.getOrderStatus('paper-1')).toMatchObject({ status: 'filled', averagePrice: 101 });
    expect(await provider.getOpenOrders()).toEqual([]);
    expect(await provider.getPositions()).toEqual([{ symbol: 'AAA', quantity: 2, averagePrice: 101, realizedPnl: 0, unrealizedPnl: 2, lastPrice: 102 }]);
    expect(await provider.getAccountInfo()).toMatchObject({ cash: 99_798, equity: 100_002, unrealizedPnl: 2 });
    expect(await provider.getTrades()).toEqual([{ orderId: 'paper-1', symbol: 'AAA', side: 'buy', quantity: 2, price: 101, fee: 0, at: 60_000 }]);
    expect(updates.map((u) => [u.order.status, u.fill?.price])).toEqual([['accepted', undefined], ['filled', 101]]);
    expect(await provider.getOrderStatus('nope')).toBeUndefined();
  });

  it('resolves a refused order with status rejected and the reason instead of throwing', async () => {
    const { provider } = await connected({ config: { initialCash: 100 } });
    const order = await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'limit', quantity: 5, price: 100 });
    expect(order).toMatchObject({ status: 'rejected', rejectReason: expect.stringContaining('insufficient funds') });
  });

  it('returns the existing order for a repeated clientOrderId and logs nothing for it', async () => {
    const { provider, events } = await connected();
    const first = await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1, clientOrderId: 'mine' });
    const count = events.length;
    const again = await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1, clientOrderId: 'mine' });
    expect(again).toEqual(first);
    expect(first.clientOrderId).toBe('mine');
    expect(events).toHaveLength(count);
  });

  it('cancels a working order, returns a final one unchanged and rejects an unknown id', async () => {
    const { provider, events } = await connected();
    await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'limit', quantity: 1, price: 50 });
    expect(await provider.cancelOrder('paper-1')).toMatchObject({ status: 'cancelled', updatedAt: 1_002 });
    const count = events.length;
    expect((await provider.cancelOrder('paper-1')).status).toBe('cancelled');
    expect(events).toHaveLength(count);
    expect(await rejection(provider.cancelOrder('paper-9'))).toMatchObject({ code: 'ORDER_NOT_FOUND', message: expect.stringContaining('paper-9') });
  });

  it('ignores bars while disconnected and bars still forming', async () => {
    const { provider, events } = await connected();
    await provider.disconnect();
    provider.onMarketData(flat('AAA', 0, 100));
    await provider.connect();
    provider.onMarketData({ ...flat('AAA', 1, 100), final: false });
    expect(events.map((e) => e.type)).toEqual(['xstate.init']);
    expect(provider.account().marks).toEqual({});
  });

  it('exposes every delivered event as JSON, starting with xstate.init carrying the config', async () => {
    const { provider, events } = await connected({ config: { feeRate: 0.002 } });
    provider.onMarketData(flat('AAA', 0, 100));
    await provider.placeOrder({ symbol: 'AAA', side: 'sell', type: 'market', quantity: 1 });
    expect(events).toEqual([
      { type: 'xstate.init', input: { feeRate: 0.002 } },
      { type: 'market.bar', bar: flat('AAA', 0, 100) },
      { type: 'broker.order.place', id: 'paper-1', at: 1_001, request: { symbol: 'AAA', side: 'sell', type: 'market', quantity: 1 } },
    ]);
    expect(foldEvents(paperBrokerMachine, events).context).toStrictEqual(provider.account());
  });

  it('resumes from the folded log with the same state and continues the id sequence', async () => {
    const { provider, events } = await connected({ config: { feeRate: 0 } });
    provider.onMarketData(flat('AAA', 0, 100));
    await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 });
    provider.onMarketData(flat('AAA', 1, 110));
    await provider.placeOrder({ symbol: 'AAA', side: 'sell', type: 'limit', quantity: 1, price: 130 });
    const resumed = createPaperTradingProvider({ snapshot: foldEvents(paperBrokerMachine, events), now: () => 5_000 });
    await resumed.connect();
    expect(resumed.account()).toStrictEqual(provider.account());
    expect(await resumed.getOpenOrders()).toEqual(await provider.getOpenOrders());
    expect((await resumed.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 })).id).toBe('paper-3');
  });

  it('uses a caller-supplied id generator and refuses an id it already used', async () => {
    const { provider } = await connected({ orderId: (n) => (n < 3 ? `run7-${n}` : 'run7-1') });
    expect((await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 })).id).toBe('run7-1');
    expect((await provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 })).id).toBe('run7-2');
    expect(await rejection(provider.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 }))).toMatchObject({
      code: 'CONFIG_INVALID', message: expect.stringContaining('run7-1'),
    });
  });
});
