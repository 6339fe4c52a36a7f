/**
 * What the order paths are planned over: the events each venue can be made to produce in each order state, a
 * finite abstraction of the order (status, filled quantity, whether a cancel was asked for), and the scenario a
 * driver reads off a whole path before it starts (what the venue does with the placement, how many fills).
 * Quantities are abstract (an order of 4, partial fills of half of what is left, at most two); each driver maps
 * them onto its venue's units, since only the state sequence is compared.
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { OrderContext, OrderEvent, OrderInput } from '../../../machines/order.machine.ts';
import type { PlannedPath } from '../../support/machine-paths/paths.ts';

/** The order every plan starts from. */
export const PLANNED_ORDER: OrderInput = { id: 'planned', request: { symbol: 'X', side: 'buy', type: 'limit', quantity: 4, price: 100 }, at: 0 };

/** What a venue's driver can cause besides submit, accept, fill and cancel. */
export interface VenueAbilities {
  /** `order.cancel` reaches the machine before the venue's answer (paper, IBKR); Binance applies only the answer. */
  readonly cancelRequest: boolean;
  /** An accepted order can be refused when it would fill (paper: the funds are gone by then). */
  readonly rejectAccepted: boolean;
  /** An order can stay unacknowledged (lost, or never confirmed), be cancelled and fail meanwhile (IBKR). */
  readonly lostOrder: boolean;
  /** The venue can cancel a working order on its own, with no request (IBKR: TWS cancels it). */
  readonly venueCancel: boolean;
}

const at = 0;
const ctx = (s: AnyMachineSnapshot) => s.context as OrderContext;

/** The events a venue with these abilities can be made to produce in state `s`. */
export const orderEvents = (abilities: VenueAbilities) => (s: AnyMachineSnapshot): EventObject[] => {
  const { filledQuantity, request, cancelRequestedAt } = ctx(s);
  const requested = cancelRequestedAt !== undefined;
  const out: OrderEvent[] = [];
  if (s.matches('created')) out.push({ type: 'order.submit', at });
  if (s.matches('submitted')) {
    // A cancel before the acknowledgement: TWS confirms it for an order it holds but never acknowledged, and
    // refuses it for a lost one, which the resynchronisation after a reconnect then fails.
    if (requested) out.push({ type: 'order.cancelled', at }, { type: 'order.failed', reason: 'lost', at });
    else {
      out.push({ type: 'order.accepted', at }, { type: 'order.rejected', reason: 'refused', at });
      if (abilities.lostOrder) out.push({ type: 'order.cancel', at }, { type: 'order.failed', reason: 'lost', at });
    }
  }
  if (s.matches('accepted') || s.matches('partially_filled')) {
    if (requested) out.push({ type: 'order.cancelled', at });
    else {
      const left = request.quantity - filledQuantity;
      out.push({ type: 'order.filled', quantity: left, price: 100, fee: 0, at });
      if (filledQuantity < 3) out.push({ type: 'order.filled', quantity: left / 2, price: 100, fee: 0, at });
      out.push(abilities.cancelRequest ? { type: 'order.cancel', at } : { type: 'order.cancelled', at });
      if (abilities.cancelRequest && abilities.venueCancel) out.push({ type: 'order.cancelled', reason: 'cancelled at the venue', at });
      if (abilities.rejectAccepted && s.matches('accepted')) out.push({ type: 'order.rejected', reason: 'no funds at fill time', at });
    }
  }
  return out as EventObject[];
};

/** The finite abstraction of an order state the planner traverses. */
export const serializeOrder = (s: AnyMachineSnapshot): string =>
  JSON.stringify({ value: s.value, filled: ctx(s).filledQuantity, cancel: ctx(s).cancelRequestedAt !== undefined });

/** What a path asks of the venue, read before it runs. */
export interface OrderScenario {
  /**
   * What the venue does with the placement: take it, refuse it, lose it (no answer, never listed), or take it
   * without acknowledging it.
   */
  readonly placement: 'accepted' | 'rejected' | 'lost' | 'unacknowledged';
  /** Fills of the path, and how many of them leave the order partially filled. */
  readonly fills: number;
  readonly partials: number;
}

/** The scenario of a path. */
export const scenarioOf = (path: PlannedPath): OrderScenario => {
  const events = path.steps.slice(1).map((s) => s.event as OrderEvent);
  const states = path.steps.slice(1).map((s) => s.state);
  const next = events[1]?.type;
  const fills = events.filter((e) => e.type === 'order.filled');
  return {
    placement: next === 'order.rejected' ? 'rejected'
      : next !== 'order.cancel' && next !== 'order.failed' ? 'accepted'
        : events.some((e) => e.type === 'order.cancelled') ? 'unacknowledged' : 'lost',
    fills: fills.length,
    partials: states.filter((s, i) => events[i]!.type === 'order.filled' && s.matches('partially_filled')).length,
  };
};
