/**
 * Binance orders as order-machine states: what the venue reports is turned into order-machine events
 * (`machines/order.machine.ts`), so every update the provider publishes is a transition the machine accepted (no
 * overfill, final states stay final) and the lifecycle rules live in one place, as for the paper broker.
 */
import { advanceOrder, createOrder, type OrderEvent, type OrderState } from '../../../machines/order.machine.ts';
import type { OrderRequest } from '../types.ts';
import type { BinanceOrder } from './messages.ts';
import { orderStatusOf, toOrder as venueOrder } from './parse.ts';

/** The request the venue holds for an order (its rounded quantity and price), under the caller's client id. */
const venueRequest = (venue: BinanceOrder, clientOrderId: string, why?: string): OrderRequest => {
  const o = venueOrder(venue, clientOrderId);
  return {
    symbol: o.symbol, side: o.side, type: o.type, quantity: o.quantity,
    ...(o.price !== undefined ? { price: o.price } : {}),
    ...(o.stopPrice !== undefined ? { stopPrice: o.stopPrice } : {}),
    clientOrderId, ...(why ? { reason: why } : {}),
  };
};

/** A venue order as an accepted order with no execution yet: created, submitted and accepted at its venue time. */
export const acceptedState = (venue: BinanceOrder, clientOrderId: string, why?: string): OrderState => {
  const o = venueOrder(venue, clientOrderId);
  const at = o.createdAt;
  const created = createOrder({ id: o.id, request: venueRequest(venue, clientOrderId, why), at });
  return advanceOrder(advanceOrder(created, { type: 'order.submit', at }), { type: 'order.accepted', at });
};

/** An order refused before it was sent: created, submitted and rejected at `at` with `reason`. */
export const rejectedState = (id: string, request: OrderRequest, reason: string, at: number): OrderState =>
  advanceOrder(advanceOrder(createOrder({ id, request, at }), { type: 'order.submit', at }), { type: 'order.rejected', reason, at });

/**
 * The event for the venue's status when it ends the order otherwise than by executions (cancelled, expired,
 * rejected); undefined for the statuses the executions themselves lead to (new, partially filled, filled).
 */
export const venueStatusEvent = (venue: BinanceOrder, at: number): OrderEvent | undefined => {
  const status = orderStatusOf(venue.status);
  if (status === 'cancelled') {
    const reason = venueOrder(venue).cancelReason;
    return { type: 'order.cancelled', at, ...(reason ? { reason } : {}) };
  }
  if (status === 'rejected') return { type: 'order.rejected', reason: `rejected by Binance (${venue.status})`, at };
  return undefined;
};

/** The time of the venue's latest change to an order. */
export const venueTime = (venue: BinanceOrder, fallback: number): number => venue.updateTime ?? venue.transactTime ?? fallback;
