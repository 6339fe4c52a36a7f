import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import {
  advanceOrder, createOrder, isFinalStatus, orderMachine, snapshotToOrder, toOrder,
  type OrderEvent, type OrderSnapshot,
} from '../../machines/order.machine.ts';
import type { OrderRequest, OrderStatus } from '../../src/trading/types.ts';

const request: OrderRequest = { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 10, price: 100 };
const input = { id: 'o-1', request, at: 1_000 };

const run = (events: readonly OrderEvent[], start: OrderSnapshot = initialTransition(orderMachine, input)[0]): OrderSnapshot =>
  events.reduce((snapshot, event) => transition(orderMachine, snapshot, event)[0], start);

const submitted: OrderEvent[] = [{ type: 'order.submit', at: 1_001 }];
const accepted: OrderEvent[] = [...submitted, { type: 'order.accepted', at: 1_002 }];
const fill = (quantity: number, price: number, at = 1_003, fee = 0.1): OrderEvent => ({ type: 'order.filled', quantity, price, fee, at });

const ALL_STATUSES: OrderStatus[] = ['created', 'submitted', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected', 'failed'];

const SAMPLE_EVENTS: OrderEvent[] = [
  { type: 'order.submit', at: 2 },
  { type: 'order.accepted', at: 3 },
  { type: 'order.rejected', reason: 'insufficient funds', at: 4 },
  fill(4, 99, 5),
  fill(6, 101, 6),
  fill(10, 100, 7),
  fill(11, 100, 8),
  { type: 'order.cancel', at: 9 },
  { type: 'order.cancelled', at: 10 },
  { type: 'order.failed', reason: 'connection lost', at: 11 },
];

describe('order machine transitions', () => {
  it('starts in created with nothing filled and the creation time', () => {
    const s = initialTransition(orderMachine, input)[0];
    expect(s.value).toBe('created');
    expect(s.context).toEqual({ id: 'o-1', request, filledQuantity: 0, averagePrice: 0, fees: 0, createdAt: 1_000, updatedAt: 1_000 });
  });

  it('goes created → submitted → accepted → filled on one full fill', () => {
    const s = run([...accepted, fill(10, 99.5, 1_010, 0.5)]);
    expect(s.value).toBe('filled');
    expect(s.status).toBe('done');
    expect(s.context).toMatchObject({ filledQuantity: 10, averagePrice: 99.5, fees: 0.5, updatedAt: 1_010 });
  });

  it('accumulates partial fills into quantity, average price and fees', () => {
    const partial = run([...accepted, fill(4, 100)]);
    expect(partial.value).toBe('partially_filled');
    const done = run([fill(6, 105)], partial);
    expect(done.value).toBe('filled');
    expect(done.context.filledQuantity).toBe(10);
    expect(done.context.averagePrice).toBeCloseTo(103, 10);
    expect(done.context.fees).toBeCloseTo(0.2, 12);
  });

  it('completes an order whose fills sum to its quantity within rounding', () => {
    const s = run([...accepted, fill(0.1, 1), fill(0.2, 1)], initialTransition(orderMachine, { ...input, request: { ...request, quantity: 0.3 } })[0]);
    expect(s.value).toBe('filled');
    expect(s.context.filledQuantity).toBe(0.3);
  });

  it('refuses a fill that would exceed the order quantity', () => {
    const partial = run([...accepted, fill(8, 100)]);
    const after = run([fill(3, 100)], partial);
    expect(after.value).toBe('partially_filled');
    expect(after.context).toBe(partial.context);
  });

  it('refuses fills with a non-positive quantity, a negative price or fee, or non-finite numbers', () => {
    const acc = run(accepted);
    for (const bad of [fill(0, 100), fill(-1, 100), fill(1, -1), fill(1, 100, 1, -0.1), fill(Number.NaN, 100), fill(1, Number.POSITIVE_INFINITY)]) {
      expect(run([bad], acc).context).toBe(acc.context);
    }
  });

  it('refuses fills before the venue accepted the order', () => {
    expect(run([fill(1, 100)]).value).toBe('created');
    expect(run([...submitted, fill(1, 100)]).value).toBe('submitted');
  });

  it('records the reason of a rejection, both on submission and after acceptance', () => {
    expect(run([...submitted, { type: 'order.rejected', reason: 'bad symbol', at: 5 }]).context).toMatchObject({ reason: 'bad symbol', updatedAt: 5 });
    const late = run([...accepted, { type: 'order.rejected', reason: 'insufficient margin', at: 6 }]);
    expect([late.value, late.context.reason]).toEqual(['rejected', 'insufficient margin']);
  });

  it('cancels an order never submitted at once', () => {
    expect(run([{ type: 'order.cancel', at: 5 }]).value).toBe('cancelled');
  });

  it('records a cancel request on a working order and waits for the venue to confirm it', () => {
    const asked = run([...accepted, { type: 'order.cancel', at: 5 }, { type: 'order.cancel', at: 6 }]);
    expect(asked.value).toBe('accepted');
    expect(asked.context.cancelRequestedAt).toBe(5);
    const raced = run([fill(4, 100, 7)], asked);
    expect(raced.value).toBe('partially_filled');
    const done = run([{ type: 'order.cancelled', at: 8, reason: 'venue expired it' }], raced);
    expect(done.value).toBe('cancelled');
    expect(toOrder({ status: 'cancelled', context: done.context })).toMatchObject({ filledQuantity: 4, cancelReason: 'venue expired it' });
  });

  it('fails from every working state with the reason', () => {
    for (const prefix of [[], submitted, accepted, [...accepted, fill(1, 100)]]) {
      const s = run([...prefix, { type: 'order.failed', reason: 'connection lost', at: 9 }]);
      expect([s.value, s.context.reason]).toEqual(['failed', 'connection lost']);
    }
  });

  it('ignores every event in a final state', () => {
    const finals = [
      run([...accepted, fill(10, 100)]),
      run([...accepted, { type: 'order.cancelled', at: 5 }]),
      run([...submitted, { type: 'order.rejected', reason: 'no', at: 5 }]),
      run([{ type: 'order.failed', reason: 'no', at: 5 }]),
    ];
    for (const final of finals) {
      for (const event of SAMPLE_EVENTS) {
        const next = run([event], final);
        expect(next.value).toBe(final.value);
        expect(next.context).toBe(final.context);
      }
    }
  });
});

describe('order helpers', () => {
  it('returns the same state object when the machine ignores an event', () => {
    const created = createOrder(input);
    expect(advanceOrder(created, fill(1, 100))).toBe(created);
    expect(advanceOrder(created, { type: 'order.submit', at: 2 }).status).toBe('submitted');
  });

  it('drops undefined request fields so that a JSON log rebuilds the same context', () => {
    const state = createOrder({ id: 'x', request: { symbol: 'A', side: 'sell', type: 'market', quantity: 1, price: undefined }, at: 0 });
    expect(Object.keys(state.context.request)).toEqual(['symbol', 'side', 'type', 'quantity']);
  });

  it('turns a snapshot into an Order with the client id defaulting to the order id', () => {
    expect(snapshotToOrder(run([...accepted, fill(4, 100)]))).toEqual({
      id: 'o-1', clientOrderId: 'o-1', symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 10, price: 100,
      status: 'partially_filled', filledQuantity: 4, averagePrice: 100, createdAt: 1_000, updatedAt: 1_003,
    });
    const rejected = run([...submitted, { type: 'order.rejected', reason: 'no funds', at: 3 }], initialTransition(orderMachine, { ...input, request: { ...request, clientOrderId: 'mine' } })[0]);
    expect(snapshotToOrder(rejected)).toMatchObject({ clientOrderId: 'mine', status: 'rejected', rejectReason: 'no funds' });
  });
});

describe('order machine graph', () => {
  // Context is part of the default vertex key; keep fills and status only so the graph stays small.
  const serializeState = (s: OrderSnapshot): string => `${String(s.value)}|${s.context.filledQuantity}`;

  it('reaches every state by a shortest path that replays to the same vertex', () => {
    const paths = getShortestPaths(orderMachine, { input, events: SAMPLE_EVENTS, serializeState });
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(ALL_STATUSES));
    for (const path of paths) {
      const replayed = run(path.steps.map((step) => step.event));
      expect(serializeState(replayed)).toBe(serializeState(path.state));
    }
  });

  it('keeps fills within the quantity and final states final on every simple path', () => {
    const paths = getSimplePaths(orderMachine, { input, events: SAMPLE_EVENTS, serializeState });
    expect(paths.some((p) => p.state.value === 'filled' && p.steps.some((s) => s.state.value === 'partially_filled'))).toBe(true);
    for (const path of paths) {
      let finalSeen: string | undefined;
      for (const { state } of path.steps) {
        expect(state.context.filledQuantity).toBeLessThanOrEqual(state.context.request.quantity);
        if (finalSeen !== undefined) expect(state.value).toBe(finalSeen);
        if (isFinalStatus(state.value as OrderStatus)) finalSeen = String(state.value);
      }
    }
  });
});
