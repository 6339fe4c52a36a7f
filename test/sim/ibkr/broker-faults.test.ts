/**
 * The TWS simulator's order faults, on its pure broker: partial fills (half of what is left, the rest on a later
 * price), lost orders (never answered, never listed) and silent orders (working, never acknowledged).
 */
import { describe, expect, it } from 'vitest';
import { SimBroker, type BrokerOutput, type PlaceRequest } from '../../../src/sim/ibkr/broker.ts';
import { DEFAULT_IBKR_SIMULATOR_OPTIONS } from '../../../src/sim/ibkr/simulator.ts';

const broker = () => new SimBroker({ ...DEFAULT_IBKR_SIMULATOR_OPTIONS, now: () => Date.UTC(2026, 0, 5, 15) }, { AAPL: 100 });

const order = (orderId: number, over: Partial<PlaceRequest> = {}): PlaceRequest => ({
  orderId, contract: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExchange: '', currency: 'USD' },
  action: 'BUY', quantity: 4, orderType: 'MKT', limitPrice: undefined, auxPrice: undefined, tif: 'DAY', account: '', orderRef: '', ...over,
});

const kinds = (out: readonly BrokerOutput[]) => out.map((o) => (o.kind === 'order' ? `order ${o.order.status} ${o.order.filled}` : o.kind === 'execution' ? `execution ${o.execution.shares}` : o.kind));

describe('TWS simulator order faults', () => {
  it('fills half of what is left on each partial fill and the rest when the price is set again', () => {
    const b = broker();
    b.partialNextFills(2);
    expect(kinds(b.place(1, order(1)))).toEqual(['order Submitted 0', 'execution 2', 'order Submitted 2', 'position', 'account']);
    expect(kinds(b.setPrice('AAPL', 101))).toEqual(['execution 1', 'order Submitted 3', 'position', 'account']);
    expect(kinds(b.setPrice('AAPL', 102))).toEqual(['execution 1', 'order Filled 4', 'position', 'account']);
    expect(b.positions()[0]).toMatchObject({ quantity: 4 });
  });

  it('cancels a partially filled order, keeping what was filled', () => {
    const b = broker();
    b.partialNextFills(1);
    b.place(1, order(1));
    expect(kinds(b.cancel(1, 1))).toEqual(['orderError', 'order Cancelled 2']);
  });

  it('answers nothing for a lost order and does not list it, then takes the next one', () => {
    const b = broker();
    b.loseNextOrders(1);
    expect(b.place(1, order(1, { orderType: 'LMT', limitPrice: 50 }))).toEqual([]);
    expect(b.orders()).toEqual([]);
    expect(b.cancel(1, 1)).toMatchObject([{ kind: 'orderError', code: 10147 }]);
    expect(kinds(b.place(1, order(2, { orderType: 'LMT', limitPrice: 50 })))).toEqual(['order Submitted 0']);
  });

  it('keeps a silent order working without acknowledging it, and confirms its cancel', () => {
    const b = broker();
    b.silenceNextOrders(1);
    expect(b.place(1, order(1, { orderType: 'LMT', limitPrice: 50 }))).toEqual([]);
    expect(b.orders(1, true).map((o) => o.orderId)).toEqual([1]);
    expect(kinds(b.cancel(1, 1))).toEqual(['orderError', 'order Cancelled 0']);
  });
});
