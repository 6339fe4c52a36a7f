/**
 * The paper broker's edges: requests a JSON log could carry that the types forbid, the exact touch of limit and
 * stop prices, a triggered stop's rest, zero-volume bars, placement-time checks against the stop price, and
 * events the broker must ignore without failing.
 */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import type { OrderRequest } from '../../src/domain/trading.ts';
import { bar, flat, startBroker } from '../trading/paper-helpers.ts';

type Extra = { type?: 'market' | 'limit' | 'stop'; price?: number; stopPrice?: number };
const buy = (quantity: number, extra: Extra = {}): OrderRequest => ({ symbol: 'AAA', side: 'buy', type: extra.type ?? 'market', quantity, ...extra });
const sell = (quantity: number, extra: Extra = {}): OrderRequest => ({ ...buy(quantity, extra), side: 'sell' });
const odd = (patch: Record<string, unknown>): OrderRequest => ({ ...buy(1), ...patch }) as unknown as OrderRequest;

describe('paper broker: requests from a log', () => {
  it('rejects a request whose fields have the wrong type, saying which', () => {
    const b = startBroker();
    expect(b.place('s', odd({ symbol: 5 }))).toMatchObject({ status: 'rejected', rejectReason: 'symbol is empty' });
    expect(b.place('d', odd({ side: 'short' }))).toMatchObject({ status: 'rejected', rejectReason: 'side must be buy or sell, got short' });
    expect(b.place('t', odd({ type: 'iceberg' }))).toMatchObject({ status: 'rejected', rejectReason: 'type must be market, limit or stop, got iceberg' });
    expect(b.place('q', odd({ quantity: '5' }))).toMatchObject({ status: 'rejected', rejectReason: 'quantity must be a positive number, got 5' });
    expect(b.place('i', odd({ quantity: Number.POSITIVE_INFINITY }))).toMatchObject({ status: 'rejected' });
    expect(b.facts.map((f) => f.type)).toEqual(Array(5).fill('order.rejected'));
  });

  it('rejects a request without a symbol without failing the broker', () => {
    const b = startBroker();
    expect(b.place('n', odd({ symbol: null }))).toMatchObject({ status: 'rejected', rejectReason: 'symbol is empty' });
    expect(b.actor.getSnapshot().status).toBe('active');
  });

  it('ignores a placement with an empty or non-string id, or without a request', () => {
    const b = startBroker();
    b.actor.send({ type: 'broker.order.place', id: '', request: buy(1), at: 1 });
    b.actor.send({ type: 'broker.order.place', id: 7 as unknown as string, request: buy(1), at: 1 });
    b.actor.send({ type: 'broker.order.place', id: 'x', request: null as unknown as OrderRequest, at: 1 });
    b.actor.send({ type: 'broker.order.place', id: 'y', request: 'buy' as unknown as OrderRequest, at: 1 });
    expect(b.account().orders).toEqual({});
    expect(b.facts).toEqual([]);
  });

  it('ignores a cancel of an order that is not working', () => {
    const b = startBroker({ feeRate: 0 });
    b.place('o1', buy(1));
    b.feed(flat('AAA', 1, 10));
    const before = b.account();
    b.cancel('o1');
    b.cancel('nope');
    expect(b.account()).toBe(before);
  });

  it('records when the cancel was asked for on a cancelled order', () => {
    const b = startBroker();
    b.place('o1', buy(1, { type: 'limit', price: 1 }));
    b.cancel('o1');
    expect(b.account().orders['o1']!.context).toMatchObject({ cancelRequestedAt: 2, updatedAt: 2 });
  });

  it('ignores bars that are not objects or not final, and keeps trading', () => {
    const b = startBroker();
    b.place('o1', buy(1));
    for (const bad of [null, 'bar', { ...flat('AAA', 1, 10), final: false }]) b.actor.send({ type: 'market.bar', bar: bad as unknown as Bar });
    expect(b.actor.getSnapshot().status).toBe('active');
    expect(b.order('o1').status).toBe('accepted');
    b.feed(flat('AAA', 2, 10));
    expect(b.order('o1').status).toBe('filled');
  });

  it('emits nothing for a bar that fills nothing', () => {
    const b = startBroker();
    b.place('o1', buy(1, { type: 'limit', price: 1 }));
    b.facts.length = 0;
    b.feed(flat('AAA', 1, 10));
    expect(b.facts).toEqual([]);
  });
});

describe('paper broker: price touches', () => {
  it('fills a limit buy when the low touches the limit exactly, and a limit sell when the high does', () => {
    const b = startBroker({ feeRate: 0 });
    b.place('l1', buy(1, { type: 'limit', price: 99 }));
    b.feed(bar('AAA', 1, { open: 100, high: 101, low: 99, close: 100 }));
    expect(b.order('l1')).toMatchObject({ status: 'filled', averagePrice: 99 });
    b.place('l2', sell(1, { type: 'limit', price: 103 }));
    b.feed(bar('AAA', 2, { open: 100, high: 102, low: 99, close: 100 }));
    expect(b.order('l2').status).toBe('accepted');
    b.feed(bar('AAA', 3, { open: 100, high: 103, low: 99, close: 100 }));
    expect(b.order('l2')).toMatchObject({ status: 'filled', averagePrice: 103 });
  });

  it('triggers a buy stop when the high touches it exactly, and a sell stop when the low does', () => {
    const b = startBroker({ feeRate: 0 });
    b.place('s1', buy(1, { type: 'stop', stopPrice: 101 }));
    b.feed(bar('AAA', 1, { open: 100, high: 101, low: 99, close: 100 }));
    expect(b.order('s1')).toMatchObject({ status: 'filled', averagePrice: 101 });
    b.place('s2', sell(1, { type: 'stop', stopPrice: 98 }));
    b.feed(bar('AAA', 2, { open: 100, high: 101, low: 98.5, close: 100 }));
    expect(b.order('s2').status).toBe('accepted');
    b.feed(bar('AAA', 3, { open: 100, high: 101, low: 98, close: 100 }));
    expect(b.order('s2')).toMatchObject({ status: 'filled', averagePrice: 98 });
  });

  it('treats a stop order as a stop even when its request also carries a price', () => {
    const b = startBroker({ feeRate: 0 });
    b.place('s1', { ...buy(1, { type: 'stop', stopPrice: 120 }), price: 101 });
    b.feed(bar('AAA', 1, { open: 100, high: 110, low: 99, close: 100 }));
    expect(b.order('s1').status).toBe('accepted');
  });

  it('fills the rest of a triggered stop at the next open even when that bar does not reach the stop', () => {
    const b = startBroker({ feeRate: 0, maxVolumeShare: 0.5 });
    b.place('s1', buy(10, { type: 'stop', stopPrice: 105 }));
    b.feed(bar('AAA', 1, { open: 100, high: 106, low: 99, close: 104 }, 10));
    expect(b.order('s1')).toMatchObject({ status: 'partially_filled', filledQuantity: 5 });
    b.feed(bar('AAA', 2, { open: 95, high: 96, low: 94, close: 95 }, 10));
    expect(b.order('s1')).toMatchObject({ status: 'filled', filledQuantity: 10, averagePrice: 100 });
  });

  it('does not fill a limit order on placement with fillOn close', () => {
    const b = startBroker({ fillOn: 'close' });
    b.feed(flat('AAA', 0, 100));
    expect(b.place('l1', buy(1, { type: 'limit', price: 50 })).status).toBe('accepted');
    expect(b.account().fills).toEqual([]);
  });
});

describe('paper broker: funds at placement and fill', () => {
  it('checks a stop order at its stop price on placement', () => {
    const b = startBroker({ initialCash: 1_000 });
    expect(b.place('s1', buy(10, { type: 'stop', stopPrice: 200 }))).toMatchObject({ status: 'rejected', rejectReason: expect.stringContaining('insufficient funds') });
  });

  it('accepts a market sell with no known price and rejects it at the fill when shorts are disabled', () => {
    const b = startBroker({ allowShort: false });
    expect(b.place('m1', sell(1)).status).toBe('accepted');
    b.feed(flat('AAA', 1, 10));
    expect(b.order('m1')).toMatchObject({ status: 'rejected', rejectReason: expect.stringContaining('short selling is disabled') });
    expect(b.facts.at(-1)).toEqual({ type: 'order.rejected', order: b.order('m1'), reason: b.order('m1').rejectReason });
  });

  it('keeps a working sell that is no longer covered until a bar reaches it', () => {
    const b = startBroker({ allowShort: false, feeRate: 0 });
    b.place('b1', buy(2));
    b.feed(flat('AAA', 1, 100));
    // The market sell is matched first on the next bar, so the limit sell meets that bar uncovered.
    b.place('m1', sell(2));
    b.place('l1', sell(2, { type: 'limit', price: 1_000 }));
    b.feed(flat('AAA', 2, 100));
    expect(b.order('m1').status).toBe('filled');
    expect(b.order('l1').status).toBe('accepted');
  });

  it('fills nothing on a bar without volume when fills are capped by volume, whatever the price', () => {
    const b = startBroker({ initialCash: 100, feeRate: 0, shortMarginRate: 0.5, maxVolumeShare: 0.5 });
    b.place('s0', sell(1));
    b.feed(flat('AAA', 1, 100, 1));
    expect(b.position('AAA')).toMatchObject({ quantity: -0.5 });
    b.place('l1', sell(0.5, { type: 'limit', price: 100 }));
    expect(b.order('l1').status).toBe('accepted');
    b.feed(bar('AAA', 2, { open: 390, high: 400, low: 380, close: 390 }, 0));
    expect(b.order('l1').status).toBe('accepted');
    expect(b.order('s0').status).toBe('partially_filled');
  });
});
