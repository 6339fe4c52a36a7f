import { describe, expect, it } from 'vitest';
import * as orderModule from '../../../machines/order.machine.ts';
import { OrderTap } from './order-tap.ts';
import { InspectionRecorder } from './recorder.ts';

const input = { id: 'o-1', request: { symbol: 'X', side: 'buy', type: 'limit', quantity: 2, price: 10 }, at: 0 } as const;

const tapped = () => {
  const tap = new OrderTap();
  const order = tap.wrap(orderModule);
  const recorder = new InspectionRecorder();
  tap.attach(recorder);
  return { tap, order, recorder };
};

describe('order tap', () => {
  it('replicates an order as a live actor whose states and transitions the recorder sees', () => {
    const { tap, order, recorder } = tapped();
    const submitted = order.advanceOrder(order.createOrder(input), { type: 'order.submit', at: 1 });
    order.advanceOrder(order.advanceOrder(submitted, { type: 'order.accepted', at: 2 }), { type: 'order.filled', quantity: 1, price: 10, fee: 0, at: 3 });
    expect(recorder.sequence(tap.first()!.actor)).toEqual(['"created"', '"submitted"', '"accepted"', '"partially_filled"']);
    expect(recorder.seen.get('order')!.transitions).toContain('order.accepted --order.filled[1]--> order.partially_filled');
    expect(tap.mismatches).toEqual([]);
  });

  it('reports a provider that advances a stale copy of an order', () => {
    const { tap, order } = tapped();
    const submitted = order.advanceOrder(order.createOrder(input), { type: 'order.submit', at: 1 });
    order.advanceOrder(submitted, { type: 'order.accepted', at: 2 });
    order.advanceOrder(submitted, { type: 'order.rejected', reason: 'late', at: 3 });
    expect(tap.mismatches).toHaveLength(1);
    expect(tap.mismatches[0]).toMatch(/^order o-1 before order\.rejected: the provider holds .*"submitted".*, the machine .*"accepted"/);
  });

  it('reports an order created twice, and replicates nothing while untapped or detached', () => {
    const { tap, order } = tapped();
    order.createOrder(input);
    tap.untapped(() => order.createOrder(input));
    expect(tap.mismatches).toEqual([]);
    order.createOrder(input);
    expect(tap.mismatches).toEqual(['order o-1 was created twice']);
    tap.detach();
    order.createOrder(input);
    expect(tap.orders()).toEqual([]);
  });
});
