/** IbkrBook: orders through the order machine, executions deduplicated and completed by commission reports, positions. */
import { describe, expect, it } from 'vitest';
import { IbkrBook, type ExecutionReport } from '../../../src/trading/ibkr/book.ts';
import type { OrderRequest } from '../../../src/trading/types.ts';

const T = Date.UTC(2026, 11, 3, 15);
const request: OrderRequest = { symbol: 'AAPL', side: 'buy', type: 'market', quantity: 10, clientOrderId: 'c-1' };
const exec = (execId: string, shares: number, price: number, at = T): ExecutionReport => ({ execId, orderId: 7, symbol: 'AAPL', side: 'buy', shares, price, at });

describe('IbkrBook orders', () => {
  it('records a placed order as submitted, findable by TWS id and client order id', () => {
    const book = new IbkrBook();
    const state = book.add(7, request, T);
    expect(state.status).toBe('submitted');
    expect(book.order(7)).toBe(state);
    expect(book.byClientOrderId('c-1')).toBe(state);
    expect(book.byClientOrderId('other')).toBeUndefined();
    expect(book.working().map(([id]) => id)).toEqual([7]);
  });

  it('reports status changes, but not a cancel request, an unknown order or an event the order ignores', () => {
    const book = new IbkrBook();
    book.add(7, request, T);
    expect(book.apply(8, { type: 'order.accepted', at: T })).toBeUndefined();
    expect(book.apply(7, { type: 'order.accepted', at: T })?.order).toMatchObject({ id: '7', status: 'accepted' });
    expect(book.apply(7, { type: 'order.accepted', at: T + 1 })).toBeUndefined();
    expect(book.apply(7, { type: 'order.cancel', at: T + 2 })).toBeUndefined();
    expect(book.apply(7, { type: 'order.cancelled', at: T + 3, reason: 'by user' })?.order.status).toBe('cancelled');
    expect(book.working()).toEqual([]);
    expect(book.orders().map((o) => o.status)).toEqual(['cancelled']);
  });

  it('keeps the last message TWS sent about an order', () => {
    const book = new IbkrBook();
    book.noteMessage(7, 'first');
    book.noteMessage(7, 'Order rejected: no permissions');
    expect(book.lastMessage(7)).toBe('Order rejected: no permissions');
    expect(book.lastMessage(8)).toBeUndefined();
  });
});

describe('IbkrBook executions', () => {
  it('makes a fill of an execution only once its commission report arrives, and accepts the order on the way', () => {
    const book = new IbkrBook();
    book.add(7, request, T);
    expect(book.addExecution(exec('e1', 4, 190))).toBe(true);
    expect(book.hasPendingExecution(7)).toBe(true);
    expect(book.awaitsCommission('e1')).toBe(true);
    expect(book.fills()).toEqual([]);
    const done = book.completeExecution('e1', 1.25, undefined);
    expect(done?.fill).toEqual({ orderId: '7', symbol: 'AAPL', side: 'buy', quantity: 4, price: 190, fee: 1.25, at: T });
    expect(done?.update?.order).toMatchObject({ status: 'partially_filled', filledQuantity: 4 });
    expect(book.hasPendingExecution(7)).toBe(false);
    expect(book.awaitsCommission('e1')).toBe(false);
    expect(book.completeExecution('e1', 1.25, undefined)).toBeUndefined();
  });

  it('ignores an execution replayed after a reconnect', () => {
    const book = new IbkrBook();
    book.add(7, request, T);
    book.addExecution(exec('e1', 10, 190));
    book.completeExecution('e1', 1, 0);
    expect(book.addExecution(exec('e1', 10, 190))).toBe(false);
    expect(book.fills()).toHaveLength(1);
    expect(book.order(7)?.status).toBe('filled');
  });

  it('keeps the fill of an order this process does not know, without an order update', () => {
    const book = new IbkrBook();
    book.addExecution(exec('e9', 3, 100));
    expect(book.completeExecution('e9', 0.5, 12)).toEqual({ fill: { orderId: '7', symbol: 'AAPL', side: 'buy', quantity: 3, price: 100, fee: 0.5, at: T } });
    expect(book.totals()).toMatchObject({ realizedPnl: 12, fees: 0.5 });
  });

  it('lists fills by execution time, whatever order the reports came in', () => {
    const book = new IbkrBook();
    book.add(7, request, T);
    book.addExecution(exec('late', 2, 191, T + 10));
    book.addExecution(exec('early', 2, 190, T + 5));
    book.completeExecution('late', 0, undefined);
    book.completeExecution('early', 0, undefined);
    expect(book.fills().map((f) => f.at)).toEqual([T + 5, T + 10]);
  });
});

describe('IbkrBook positions', () => {
  it('marks positions to the last price seen, leaves flat ones out and sums realized P&L and fees', () => {
    const book = new IbkrBook();
    book.setPositions(new Map([['MSFT', { quantity: 5, averageCost: 400 }], ['AAPL', { quantity: 10, averageCost: 180 }], ['IBM', { quantity: 0, averageCost: 0 }]]));
    book.mark('AAPL', 190);
    book.addExecution({ ...exec('e1', 1, 181), symbol: 'MSFT' });
    book.completeExecution('e1', 2, 30);
    const positions = book.positions();
    expect(positions.map((p) => p.symbol)).toEqual(['AAPL', 'MSFT']);
    expect(positions[0]).toMatchObject({ symbol: 'AAPL', quantity: 10, averagePrice: 180, unrealizedPnl: 100 });
    expect(positions[1]).toMatchObject({ symbol: 'MSFT', quantity: 5, realizedPnl: 30 });
    book.setPosition('AAPL', 0, 0);
    expect(book.positions().map((p) => p.symbol)).toEqual(['MSFT']);
    expect(book.totals()).toMatchObject({ realizedPnl: 30, fees: 2 });
  });
});
