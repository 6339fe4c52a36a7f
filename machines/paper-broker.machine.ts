/**
 * The paper broker: a pure machine whose context is the whole paper account (cash, positions, orders, fills,
 * fees, last price per symbol). Orders are embedded as plain data and advanced through the `order` machine, so
 * the state is JSON and an event log folded with `transition()` rebuilds it exactly. Time and ids come in events.
 *
 * Fill rules (per closed bar of the order's symbol delivered after placement, in placement order):
 * - market: the bar's open (`fillOn: 'next_open'`); with `fillOn: 'close'`, at the last close on placement when
 *   one is known, else at the next open;
 * - limit buy when `low ≤ limit`, at `min(limit, open)`; limit sell when `high ≥ limit`, at `max(limit, open)`
 *   (a gap through the limit fills at the better open);
 * - stop buy when `high ≥ stop`, at `max(stop, open)`; stop sell when `low ≤ stop`, at `min(stop, open)`;
 * - slippage moves market and stop fills against the trader; limit fills never get worse than the limit;
 * - fee = notional × `feeRate`; with `maxVolumeShare`, an order fills at most that share of a bar's volume per bar
 *   (of the last bar for a fill on placement); the rest waits for the next bar.
 * Funds: a buy needs notional + fee ≤ cash (cash never goes negative). A sell that opens or increases a short
 * needs `allowShort` and equity after the fee ≥ `shortMarginRate` × all short notional at marks. Both are
 * checked on placement against a reference price (last close for market orders, when known; the limit or stop
 * price otherwise) and again at each fill: a failing order is rejected, or cancelled if partly filled, with the
 * reason. Bars that are not final, fail validation, or are older than the symbol's last bar are ignored; a bar
 * with the same open time as the last one is a correction and only moves the mark.
 */
import { enqueueActions, setup, type SnapshotFrom } from 'xstate';
import type { Bar } from '../src/domain/bar.ts';
import {
  applyFill, feeFor, fundsProblem, lookup, markLookup, openAccount, slip, withMark, withOrder,
  type PaperAccount, type PaperBrokerInput,
} from './lib/paper-account.ts';
import type { Fill, Order, OrderRequest } from '../src/domain/trading.ts';
import { advanceOrder, createOrder, toOrder, type OrderEvent, type OrderState } from './order.machine.ts';

/** Commands and market data the paper broker accepts; all JSON-serialisable. */
export type PaperBrokerEvent =
  | { readonly type: 'broker.order.place'; readonly id: string; readonly request: OrderRequest; readonly at: number }
  | { readonly type: 'broker.order.cancel'; readonly id: string; readonly at: number }
  | { readonly type: 'market.bar'; readonly bar: Bar };

/** Facts the paper broker emits for the host to log and forward. */
export type PaperBrokerFact =
  | { readonly type: 'order.accepted'; readonly order: Order }
  | { readonly type: 'order.rejected'; readonly order: Order; readonly reason: string }
  | { readonly type: 'order.filled'; readonly order: Order; readonly fill: Fill }
  | { readonly type: 'order.cancelled'; readonly order: Order; readonly reason?: string };

interface Step {
  readonly account: PaperAccount;
  readonly facts: readonly PaperBrokerFact[];
}

const isPositive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

// Events may come from a JSON log written by another version: check what the types cannot.
const requestProblem = (request: OrderRequest): string | undefined => {
  if (typeof request.symbol !== 'string' || request.symbol === '') return 'symbol is empty';
  if (request.side !== 'buy' && request.side !== 'sell') return `side must be buy or sell, got ${String(request.side)}`;
  if (!['market', 'limit', 'stop'].includes(request.type)) return `type must be market, limit or stop, got ${String(request.type)}`;
  if (!isPositive(request.quantity)) return `quantity must be a positive number, got ${String(request.quantity)}`;
  if (request.type === 'limit' && !isPositive(request.price)) return `a limit order needs a positive price, got ${String(request.price)}`;
  if (request.type === 'stop' && !isPositive(request.stopPrice)) return `a stop order needs a positive stopPrice, got ${String(request.stopPrice)}`;
  return undefined;
};

const referencePrice = (account: PaperAccount, request: OrderRequest): number | undefined => {
  if (request.type === 'limit') return request.price;
  const base = request.type === 'stop' ? request.stopPrice : markLookup(account.marks, request.symbol)?.close;
  return base === undefined ? undefined : slip(account.config, request.side, base);
};

// The unslipped price at which a working order trades on `bar`, or undefined when the bar does not reach it.
const matchPrice = (order: OrderState, bar: Bar): number | undefined => {
  const { type, side, price: limit, stopPrice: stop } = order.context.request;
  if (type === 'market') return bar.open;
  if (type === 'limit' && limit !== undefined) {
    if (side === 'buy') return bar.low <= limit ? Math.min(limit, bar.open) : undefined;
    return bar.high >= limit ? Math.max(limit, bar.open) : undefined;
  }
  if (type === 'stop' && stop !== undefined) {
    // A stop with a fill has triggered: its rest is a market order.
    if (order.context.filledQuantity > 0) return bar.open;
    if (side === 'buy') return bar.high >= stop ? Math.max(stop, bar.open) : undefined;
    return bar.low <= stop ? Math.min(stop, bar.open) : undefined;
  }
  return undefined;
};

const settle = (step: Step, order: OrderState, event: OrderEvent, fact: (next: OrderState) => PaperBrokerFact): Step => {
  const next = advanceOrder(order, event);
  return next === order ? step : { account: withOrder(step.account, next), facts: [...step.facts, fact(next)] };
};

const fill = (step: Step, id: string, basePrice: number, volume: number, at: number): Step => {
  const order = lookup(step.account.orders, id);
  if (!order) return step;
  const { config } = step.account;
  const { request } = order.context;
  const remaining = request.quantity - order.context.filledQuantity;
  const quantity = config.maxVolumeShare === null ? remaining : Math.min(remaining, config.maxVolumeShare * volume);
  if (!(quantity > 0)) return step;
  const price = request.type === 'limit' ? basePrice : slip(config, request.side, basePrice);
  const problem = fundsProblem(step.account, request.symbol, request.side, quantity, price);
  if (problem !== undefined) {
    return order.status === 'partially_filled'
      ? settle(step, order, { type: 'order.cancelled', reason: problem, at }, (o) => ({ type: 'order.cancelled', order: toOrder(o), reason: problem }))
      : settle(step, order, { type: 'order.rejected', reason: problem, at }, (o) => ({ type: 'order.rejected', order: toOrder(o), reason: problem }));
  }
  const fee = feeFor(config, quantity, price);
  const next = advanceOrder(order, { type: 'order.filled', quantity, price, fee, at });
  if (next === order) return step;
  const executed: Fill = { orderId: id, symbol: request.symbol, side: request.side, quantity, price, fee, at };
  return {
    account: withOrder(applyFill(step.account, executed), next),
    facts: [...step.facts, { type: 'order.filled', order: toOrder(next), fill: executed }],
  };
};

const place = (account: PaperAccount, { id, request, at }: Extract<PaperBrokerEvent, { type: 'broker.order.place' }>): Step => {
  const submitted = advanceOrder(createOrder({ id, request, at }), { type: 'order.submit', at });
  const invalid = requestProblem(request);
  const reference = invalid === undefined ? referencePrice(account, request) : undefined;
  const problem = invalid ?? (reference === undefined ? undefined : fundsProblem(account, request.symbol, request.side, request.quantity, reference));
  const initial: Step = { account: withOrder(account, submitted), facts: [] };
  if (problem !== undefined) {
    return settle(initial, submitted, { type: 'order.rejected', reason: problem, at }, (o) => ({ type: 'order.rejected', order: toOrder(o), reason: problem }));
  }
  const accepted = settle(initial, submitted, { type: 'order.accepted', at }, (o) => ({ type: 'order.accepted', order: toOrder(o) }));
  const mark = markLookup(account.marks, request.symbol);
  return request.type === 'market' && account.config.fillOn === 'close' && mark
    ? fill(accepted, id, mark.close, mark.volume, at)
    : accepted;
};

const cancel = (account: PaperAccount, { id, at }: Extract<PaperBrokerEvent, { type: 'broker.order.cancel' }>): Step => {
  const order = lookup(account.orders, id);
  if (!order) return { account, facts: [] };
  const requested = advanceOrder(order, { type: 'order.cancel', at });
  return settle({ account, facts: [] }, requested, { type: 'order.cancelled', at }, (o) => ({ type: 'order.cancelled', order: toOrder(o) }));
};

const matchBar = (account: PaperAccount, bar: Bar): Step => {
  let step: Step = { account, facts: [] };
  for (const id of account.openOrderIds) {
    const order = lookup(step.account.orders, id);
    if (!order || order.context.request.symbol !== bar.symbol) continue;
    const price = matchPrice(order, bar);
    // A fill at the open happened at the open; one inside the range is only known once the bar has closed.
    if (price !== undefined) step = fill(step, id, price, bar.volume, price === bar.open ? bar.openTime : bar.closeTime);
  }
  return remark(step, bar);
};

const remark = (step: Step, bar: Bar): Step => ({
  ...step,
  account: { ...step.account, marks: withMark(step.account.marks, bar.symbol, { openTime: bar.openTime, close: bar.close, volume: bar.volume }) },
});

// Bars were validated where they were decoded (the provider's parser): only an unfinished one is ignored.
const isUsableBar = (bar: Bar): boolean => typeof bar === 'object' && bar !== null && bar.final === true;

const reduce = (account: PaperAccount, event: PaperBrokerEvent): Step => {
  switch (event.type) {
    case 'broker.order.place': return place(account, event);
    case 'broker.order.cancel': return cancel(account, event);
    case 'market.bar':
      return (markLookup(account.marks, event.bar.symbol)?.openTime ?? -Infinity) < event.bar.openTime
        ? matchBar(account, event.bar)
        : remark({ account, facts: [] }, event.bar);
  }
};

/** The paper broker machine; input is a partial {@link PaperBrokerInput} over the defaults. */
export const paperBrokerMachine = setup({
  types: {
    context: {} as PaperAccount,
    input: {} as PaperBrokerInput | undefined,
    events: {} as PaperBrokerEvent,
    emitted: {} as PaperBrokerFact,
  },
  guards: {
    isNewOrder: ({ context, event }) =>
      event.type === 'broker.order.place' && typeof event.id === 'string' && event.id !== '' &&
      !Object.hasOwn(context.orders, event.id) && typeof event.request === 'object' && event.request !== null,
    isWorkingOrder: ({ context, event }) => event.type === 'broker.order.cancel' && context.openOrderIds.includes(event.id),
    isCurrentBar: ({ context, event }) => {
      if (event.type !== 'market.bar' || !isUsableBar(event.bar)) return false;
      const last = markLookup(context.marks, event.bar.symbol);
      return last === undefined || event.bar.openTime >= last.openTime;
    },
  },
  actions: {
    apply: enqueueActions(({ context, event, enqueue }) => {
      const { account, facts } = reduce(context, event);
      enqueue.assign(() => account);
      for (const fact of facts) enqueue.emit(fact);
    }),
  },
}).createMachine({
  id: 'paperBroker',
  context: ({ input }) => openAccount(input),
  initial: 'trading',
  states: {
    trading: {
      on: {
        'broker.order.place': { guard: 'isNewOrder', actions: 'apply' },
        'broker.order.cancel': { guard: 'isWorkingOrder', actions: 'apply' },
        'market.bar': { guard: 'isCurrentBar', actions: 'apply' },
      },
    },
  },
});

/** A snapshot of the paper broker. */
export type PaperBrokerSnapshot = SnapshotFrom<typeof paperBrokerMachine>;

