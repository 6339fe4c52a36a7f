/**
 * The TWS simulator against the real `@stoqey/ib` client over a loopback socket: the handshake, every answer it
 * sends decoded without a decoding error, deterministic fills, cancels and the faults (326, 201, dropped socket).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, SecType, type Contract, type Order } from '@stoqey/ib';
import { startIbkrSimulator, SERVER_VERSION, type IbkrSimulator } from '../../../src/sim/ibkr/index.ts';
import { RawClient } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sim = async (): Promise<IbkrSimulator> => {
  const s = await startIbkrSimulator({ prices: { AAPL: 100 }, now: () => Date.UTC(2026, 0, 2, 15, 30) });
  cleanups.push(() => s.close());
  return s;
};
const client = async (s: IbkrSimulator, clientId = 7): Promise<RawClient> => {
  const c = await RawClient.connect(s.port, clientId);
  cleanups.push(() => c.close());
  return c;
};
const stock = (symbol: string): Contract => ({ symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' });
const order = (action: OrderAction, quantity: number, type: OrderType, lmtPrice?: number): Order => ({
  action, totalQuantity: quantity, orderType: type, transmit: true, orderRef: 'ref-1', ...(lmtPrice === undefined ? {} : { lmtPrice }),
});

describe('TWS simulator protocol', () => {
  it('negotiates server version 193 and sends managed accounts, the next order id and farm notices', async () => {
    const s = await sim();
    const c = await client(s);
    expect(c.api.serverVersion).toBe(SERVER_VERSION);
    expect(c.events('managedAccounts')[0]!.args).toEqual(['DU1234567']);
    expect(c.events('nextValidId')[0]!.args).toEqual([1]);
    expect(c.events('info').map((i) => i.args[1])).toEqual([2104, 2106, 2158]);
    expect(s.connections()).toEqual([{ id: 1, clientId: 7, started: true }]);
  });

  it('fills a market order with openOrder, orderStatus, execDetails and a commission report the library decodes', async () => {
    const s = await sim();
    const c = await client(s);
    c.api.placeOrder(1, stock('AAPL'), order(OrderAction.BUY, 10, OrderType.MKT));
    const [, filled] = await c.waitFor('orderStatus', 2);
    expect(filled!.args.slice(0, 5)).toEqual([1, 'Filled', 10, 0, 100]);
    const [open] = c.events('openOrder');
    const [, contract, ibOrder, state] = open!.args as [number, Contract, Order, { status: string }];
    expect(contract).toMatchObject({ symbol: 'AAPL', secType: 'STK', currency: 'USD' });
    expect(ibOrder).toMatchObject({ orderId: 1, action: 'BUY', totalQuantity: 10, orderType: 'MKT', account: 'DU1234567', orderRef: 'ref-1', clientId: 7 });
    expect(state.status).toBe('Submitted');
    const [exec] = await c.waitFor('execDetails');
    expect(exec!.args[0]).toBe(-1);
    expect(exec!.args[2]).toMatchObject({ orderId: 1, side: 'BOT', shares: 10, price: 100, acctNumber: 'DU1234567', time: '20260102 15:30:00 UTC', orderRef: 'ref-1', clientId: 7 });
    const [report] = await c.waitFor('commissionReport');
    // IBKR Fixed: 10 shares × 0.005 is below the 1.00 minimum; an opening trade has no realized P&L.
    expect(report!.args[0]).toMatchObject({ commission: 1, currency: 'USD', realizedPNL: undefined });
    expect(c.decodingErrors()).toEqual([]);
  });

  it('keeps a limit order working until the price crosses it, then fills at the limit', async () => {
    const s = await sim();
    const c = await client(s);
    c.api.placeOrder(1, stock('AAPL'), order(OrderAction.BUY, 5, OrderType.LMT, 95));
    await c.waitFor('orderStatus');
    expect(s.orders()[0]!.status).toBe('Submitted');
    s.setPrice('AAPL', 96);
    expect(c.events('execDetails')).toHaveLength(0);
    s.setPrice('AAPL', 94.5);
    const [exec] = await c.waitFor('execDetails');
    expect(exec!.args[2]).toMatchObject({ shares: 5, price: 95 });
    expect(c.decodingErrors()).toEqual([]);
  });

  it('cancels a working order with error 202 and a Cancelled status, and refuses to cancel a filled one', async () => {
    const s = await sim();
    const c = await client(s);
    c.api.placeOrder(1, stock('AAPL'), order(OrderAction.SELL, 5, OrderType.LMT, 150));
    await c.waitFor('orderStatus');
    c.api.cancelOrder(1);
    const statuses = await c.waitFor('orderStatus', 2);
    expect(statuses[1]!.args[1]).toBe('Cancelled');
    expect(c.events('error').map((e) => [e.args[1], e.args[2]])).toContainEqual([202, 1]);
    c.api.cancelOrder(1);
    await c.waitFor('error', 2);
    expect(c.events('error')[1]!.args.slice(1)).toEqual([10148, 1]);
  });

  it('answers positions, open orders, executions and the account summary', async () => {
    const s = await sim();
    const c = await client(s);
    c.api.placeOrder(1, stock('AAPL'), order(OrderAction.BUY, 200, OrderType.MKT));
    c.api.placeOrder(2, stock('AAPL'), order(OrderAction.SELL, 50, OrderType.MKT));
    c.api.placeOrder(3, stock('AAPL'), order(OrderAction.SELL, 1, OrderType.LMT, 500));
    await c.waitFor('execDetails', 2);
    c.api.reqPositions();
    c.api.reqOpenOrders();
    c.api.reqExecutions(900, { clientId: '7' });
    c.api.reqAccountSummary(901, 'All', 'NetLiquidation,TotalCashValue,AccountType');
    await Promise.all([c.waitFor(EventName.positionEnd), c.waitFor(EventName.openOrderEnd), c.waitFor(EventName.execDetailsEnd), c.waitFor(EventName.accountSummaryEnd)]);
    const [pos] = c.events('position');
    // 200 at 100 with a 1.00 commission: average cost 100.005.
    expect(pos!.args).toEqual(['DU1234567', expect.objectContaining({ symbol: 'AAPL' }), 150, 100.005]);
    expect(c.events('openOrder').filter((o) => o.args[0] === 3)).toHaveLength(2);
    const replayed = c.events('execDetails').filter((e) => e.args[0] === 900);
    expect(replayed).toHaveLength(2);
    const reports = c.events('commissionReport').map((r) => r.args[0] as { realizedPNL?: number });
    // Selling 50 bought at 100.005 at 100 costs 0.25 per share plus the 1.00 commission.
    expect(reports[1]!.realizedPNL).toBeCloseTo(-1.25, 9);
    const summary = Object.fromEntries(c.events('accountSummary').map((e) => [e.args[2], e.args[3]]));
    expect(summary).toEqual({ NetLiquidation: '999998.00', TotalCashValue: '984998.00', AccountType: 'INDIVIDUAL' });
    expect(c.decodingErrors()).toEqual([]);
  });

  it('refuses a second connection with a client id in use with error 326 and closes it', async () => {
    const s = await sim();
    await client(s, 3);
    const second = new RawClient(s.port);
    cleanups.push(() => second.close());
    second.api.connect(3);
    await second.waitFor('disconnected');
    expect(second.events('info').map((i) => i.args[1])).toContain(326);
    expect(second.events('nextValidId')).toHaveLength(0);
    expect(s.connections().map((c) => c.clientId)).toEqual([3]);
  });

  it('rejects the next order with error 201 and a reason, and frees a dropped client id', async () => {
    const s = await sim();
    const c = await client(s, 4);
    s.rejectNextOrder('no trading permissions');
    c.api.placeOrder(1, stock('AAPL'), order(OrderAction.BUY, 1, OrderType.MKT));
    const [err] = await c.waitFor('error');
    expect(err!.args).toEqual(['Order rejected - reason:no trading permissions', 201, 1]);
    expect(s.dropConnections()).toBe(1);
    await c.waitFor('disconnected');
    const again = await client(s, 4);
    expect(again.events('nextValidId')[0]!.args).toEqual([2]);
  });
});
