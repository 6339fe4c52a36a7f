/**
 * The order machine's fill rules at their exact bounds (overfill tolerance, completion, zero price and fee) and
 * the plain-data helpers' edge cases, through pure `transition()`; fast-check checks that no accepted sequence
 * of fills ever exceeds the order quantity.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  advanceOrder, createOrder, isFinalStatus, orderMachine, toOrder, type OrderEvent, type OrderSnapshot,
} from '../../machines/order.machine.ts';
import type { OrderRequest, OrderStatus } from '../../src/domain/trading.ts';

const request: OrderRequest = { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 10, price: 100 };
const input = { id: 'o-1', request, at: 1_000 };
const begin = (quantity = 10): OrderSnapshot => initialTransition(orderMachine, { ...input, request: { ...request, quantity } })[0];
const run = (events: readonly OrderEvent[], from: OrderSnapshot = begin()): OrderSnapshot =>
  events.reduce((s, e) => transition(orderMachine, s, e)[0], from);
const accepted: OrderEvent[] = [{ type: 'order.submit', at: 1_001 }, { type: 'order.accepted', at: 1_002 }];
const fill = (quantity: number, price = 100, fee = 0, at = 1_003): OrderEvent => ({ type: 'order.filled', quantity, price, fee, at });
// The machine's tolerance: a billionth of the order quantity.
const tol = (q: number): number => q * 1e-9;

describe('order fills at their bounds', () => {
  it('completes on a fill of exactly the quantity plus the tolerance, recording the order quantity', () => {
    const s = run([...accepted, fill(10 + tol(10))]);
    expect(s.value).toBe('filled');
    expect(s.context.filledQuantity).toBe(10);
  });

  it('refuses a fill just past the tolerance, from accepted and from partially filled', () => {
    const acc = run(accepted);
    expect(run([fill(10 + 3 * tol(10))], acc).context).toBe(acc.context);
    const partial = run([fill(4)], acc);
    const after = run([fill(6 + 3 * tol(10))], partial);
    expect(after.value).toBe('partially_filled');
    expect(after.context).toBe(partial.context);
  });

  it('completes on a fill that leaves exactly the tolerance unfilled, and snaps to the quantity', () => {
    const s = run([...accepted, fill(10 - tol(10))]);
    expect(s.value).toBe('filled');
    expect(s.context.filledQuantity).toBe(10);
  });

  it('stays partially filled when more than the tolerance is left, and keeps the exact sum', () => {
    const s = run([...accepted, fill(10 - 3 * tol(10))]);
    expect(s.value).toBe('partially_filled');
    expect(s.context.filledQuantity).toBe(10 - 3 * tol(10));
  });

  it('accepts a fill at price 0 with fee 0', () => {
    const s = run([...accepted, fill(4, 0, 0, 1_010)]);
    expect(s.value).toBe('partially_filled');
    expect(s.context).toMatchObject({ filledQuantity: 4, averagePrice: 0, fees: 0, updatedAt: 1_010 });
  });

  it('refuses a fill with a non-finite fee or an infinite quantity', () => {
    const acc = run(accepted);
    for (const bad of [fill(1, 100, Number.NaN), fill(1, 100, Number.POSITIVE_INFINITY), fill(Number.POSITIVE_INFINITY), fill(1, Number.NaN)]) {
      expect(run([bad], acc).context).toBe(acc.context);
    }
  });

  it('refuses an overfill that would complete the order from partially filled', () => {
    const partial = run([...accepted, fill(4)]);
    const after = run([fill(7)], partial);
    expect(after.value).toBe('partially_filled');
    expect(after.context).toBe(partial.context);
  });

  it('averages fill prices by quantity and sums fees', () => {
    const s = run([...accepted, fill(2, 100, 0.25), fill(6, 104, 0.5)]);
    expect(s.context.averagePrice).toBe(103);
    expect(s.context.fees).toBe(0.75);
  });

  test.prop([fc.array(fc.tuple(fc.double({ min: -1, max: 12, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true })), { maxLength: 12 })])(
    'never fills more than the order quantity, and fills it when the accepted fills sum to it',
    (fills) => {
      let s = run(accepted);
      let expected = 0;
      for (const [quantity, price] of fills) {
        const before = s;
        s = run([fill(quantity, price)], s);
        if (s.context !== before.context) expected += quantity;
        expect(s.context.filledQuantity).toBeLessThanOrEqual(10);
      }
      if (s.value === 'filled') expect(s.context.filledQuantity).toBe(10);
      else expect(s.context.filledQuantity).toBeCloseTo(expected, 9);
    },
  );
});

describe('order reasons and views', () => {
  it('keeps the first cancel request time when a cancel is asked for twice after a fill', () => {
    const s = run([...accepted, fill(2), { type: 'order.cancel', at: 2_000 }, { type: 'order.cancel', at: 3_000 }]);
    expect(s.context).toMatchObject({ cancelRequestedAt: 2_000, updatedAt: 3_000 });
  });

  it('records no reason when the venue cancels without one', () => {
    const s = run([...accepted, { type: 'order.cancelled', at: 5 }]);
    // No `reason` key at all: a JSON event log would drop an undefined one, and live and rebuilt state must match.
    expect(s.context).not.toHaveProperty('reason');
    expect(s.context.updatedAt).toBe(5);
    expect(toOrder({ status: 'cancelled', context: s.context })).not.toHaveProperty('cancelReason');
  });

  it('records no reason key when an event carries an undefined reason', () => {
    const s = run([...accepted, { type: 'order.cancelled', at: 5, reason: undefined }]);
    expect(s.value).toBe('cancelled');
    expect(s.context).not.toHaveProperty('reason');
  });

  it('shows a reason as rejectReason for rejected and failed orders, and as cancelReason only when cancelled', () => {
    const context = { ...createOrder(input).context, reason: 'why' };
    const view = (status: OrderStatus) => toOrder({ status, context });
    expect(view('rejected')).toMatchObject({ rejectReason: 'why' });
    expect(view('rejected')).not.toHaveProperty('cancelReason');
    expect(view('failed')).toMatchObject({ rejectReason: 'why' });
    expect(view('failed')).not.toHaveProperty('cancelReason');
    expect(view('cancelled')).toMatchObject({ cancelReason: 'why' });
    expect(view('cancelled')).not.toHaveProperty('rejectReason');
    for (const status of ['created', 'submitted', 'accepted', 'partially_filled', 'filled'] as const) {
      expect(view(status)).not.toHaveProperty('rejectReason');
      expect(view(status)).not.toHaveProperty('cancelReason');
    }
  });

  it('shows price and stop price only when the request has them', () => {
    const stop = toOrder(createOrder({ id: 's', request: { symbol: 'A', side: 'sell', type: 'stop', quantity: 1, stopPrice: 90 }, at: 0 }));
    expect(stop).toMatchObject({ stopPrice: 90 });
    expect(stop).not.toHaveProperty('price');
    const market = toOrder(createOrder({ id: 'm', request: { symbol: 'A', side: 'buy', type: 'market', quantity: 1 }, at: 0 }));
    expect(market).not.toHaveProperty('price');
    expect(market).not.toHaveProperty('stopPrice');
  });

  it('names exactly four final statuses', () => {
    const all: OrderStatus[] = ['created', 'submitted', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected', 'failed'];
    expect(all.filter(isFinalStatus)).toEqual(['filled', 'cancelled', 'rejected', 'failed']);
  });

  it('returns a new state when an event changes only the context', () => {
    const acc = advanceOrder(advanceOrder(createOrder(input), accepted[0]!), accepted[1]!);
    const asked = advanceOrder(acc, { type: 'order.cancel', at: 7 });
    expect(asked).not.toBe(acc);
    expect(asked).toEqual({ status: 'accepted', context: { ...acc.context, cancelRequestedAt: 7, updatedAt: 7 } });
  });
});
