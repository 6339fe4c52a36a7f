/**
 * The order machine: one order's lifecycle, `created → submitted → accepted → partially_filled → filled`, or
 * `cancelled | rejected | failed`. Pure: no I/O and no clock (every event carries its time `at`). Live providers
 * drive it with venue facts; the paper broker keeps orders as plain data and advances them with
 * {@link advanceOrder}, so the lifecycle rules (no overfill, final states stay final) live here only.
 */
import { assign, initialTransition, setup, transition, type SnapshotFrom } from 'xstate';
import type { Order, OrderRequest, OrderStatus } from '../src/domain/trading.ts';

/** What the order machine remembers; JSON-serialisable. */
export interface OrderContext {
  readonly id: string;
  readonly request: OrderRequest;
  readonly filledQuantity: number;
  /** Quantity-weighted average fill price, 0 before any fill. */
  readonly averagePrice: number;
  readonly fees: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When a cancel was asked for; a fill may still race it until the venue confirms `order.cancelled`. */
  readonly cancelRequestedAt?: number;
  /** Why the order was rejected, failed, or cancelled by the venue. */
  readonly reason?: string;
}

/** Input of a new order: the caller assigns the id so that event logs replay deterministically. */
export interface OrderInput {
  readonly id: string;
  readonly request: OrderRequest;
  readonly at: number;
}

/** Commands (`order.submit`, `order.cancel`) and venue facts the order machine accepts. */
export type OrderEvent =
  | { readonly type: 'order.submit'; readonly at: number }
  | { readonly type: 'order.accepted'; readonly at: number }
  | { readonly type: 'order.rejected'; readonly reason: string; readonly at: number }
  | { readonly type: 'order.filled'; readonly quantity: number; readonly price: number; readonly fee: number; readonly at: number }
  | { readonly type: 'order.cancel'; readonly at: number }
  | { readonly type: 'order.cancelled'; readonly at: number; readonly reason?: string }
  | { readonly type: 'order.failed'; readonly reason: string; readonly at: number };

// Fill quantities are doubles: 0.1 + 0.2 must complete an order of 0.3.
const tolerance = (quantity: number): number => quantity * 1e-9;

const isValidFill = (context: OrderContext, event: OrderEvent): boolean =>
  event.type === 'order.filled' &&
  Number.isFinite(event.quantity) && event.quantity > 0 &&
  Number.isFinite(event.price) && event.price >= 0 &&
  Number.isFinite(event.fee) && event.fee >= 0 &&
  context.filledQuantity + event.quantity <= context.request.quantity + tolerance(context.request.quantity);

// Undefined-valued keys would not survive a JSON event log; dropping them keeps live and rebuilt state equal.
const cleanRequest = (request: OrderRequest): OrderRequest =>
  Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)) as unknown as OrderRequest;

/** The order lifecycle machine. */
export const orderMachine = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderEvent,
    input: {} as OrderInput,
  },
  guards: {
    isValidFill: ({ context, event }) => isValidFill(context, event),
    completesOrder: ({ context, event }) =>
      isValidFill(context, event) && event.type === 'order.filled' &&
      context.filledQuantity + event.quantity >= context.request.quantity - tolerance(context.request.quantity),
  },
  actions: {
    stamp: assign({ updatedAt: ({ event }) => event.at }),
    recordReason: assign(({ event }) =>
      'reason' in event && event.reason !== undefined ? { reason: event.reason, updatedAt: event.at } : { updatedAt: event.at }),
    recordCancelRequest: assign(({ context, event }) => ({ cancelRequestedAt: context.cancelRequestedAt ?? event.at, updatedAt: event.at })),
    recordFill: assign(({ context, event }) => {
      if (event.type !== 'order.filled') return {};
      const raw = context.filledQuantity + event.quantity;
      const quantity = context.request.quantity;
      // Within the tolerance of the quantity is a complete fill (the `completesOrder` bound): `filled` always
      // records exactly the order quantity, never a rounding error above or below it.
      const filledQuantity = raw >= quantity - tolerance(quantity) ? quantity : raw;
      const averagePrice = (context.averagePrice * context.filledQuantity + event.price * event.quantity) / raw;
      return { filledQuantity, averagePrice, fees: context.fees + event.fee, updatedAt: event.at };
    }),
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({
    id: input.id,
    request: cleanRequest(input.request),
    filledQuantity: 0,
    averagePrice: 0,
    fees: 0,
    createdAt: input.at,
    updatedAt: input.at,
  }),
  initial: 'created',
  states: {
    created: {
      on: {
        'order.submit': { target: 'submitted', actions: 'stamp' },
        // Never sent to a venue: nothing to wait for.
        'order.cancel': { target: 'cancelled', actions: 'stamp' },
        'order.failed': { target: 'failed', actions: 'recordReason' },
      },
    },
    submitted: {
      on: {
        'order.accepted': { target: 'accepted', actions: 'stamp' },
        'order.rejected': { target: 'rejected', actions: 'recordReason' },
        'order.cancel': { actions: 'recordCancelRequest' },
        'order.cancelled': { target: 'cancelled', actions: 'recordReason' },
        'order.failed': { target: 'failed', actions: 'recordReason' },
      },
    },
    accepted: {
      on: {
        'order.filled': [
          { guard: 'completesOrder', target: 'filled', actions: 'recordFill' },
          { guard: 'isValidFill', target: 'partially_filled', actions: 'recordFill' },
        ],
        'order.cancel': { actions: 'recordCancelRequest' },
        'order.cancelled': { target: 'cancelled', actions: 'recordReason' },
        // A venue may still refuse an accepted order when it triggers (e.g. funds or margin at fill time).
        'order.rejected': { target: 'rejected', actions: 'recordReason' },
        'order.failed': { target: 'failed', actions: 'recordReason' },
      },
    },
    partially_filled: {
      on: {
        'order.filled': [
          { guard: 'completesOrder', target: 'filled', actions: 'recordFill' },
          { guard: 'isValidFill', target: 'partially_filled', actions: 'recordFill' },
        ],
        'order.cancel': { actions: 'recordCancelRequest' },
        'order.cancelled': { target: 'cancelled', actions: 'recordReason' },
        'order.failed': { target: 'failed', actions: 'recordReason' },
      },
    },
    filled: { type: 'final' },
    cancelled: { type: 'final' },
    rejected: { type: 'final' },
    failed: { type: 'final' },
  },
});

/** A snapshot of the order machine. */
export type OrderSnapshot = SnapshotFrom<typeof orderMachine>;

/** An order as plain data (status and context), the form other machines embed and event logs rebuild. */
export interface OrderState {
  readonly status: OrderStatus;
  readonly context: OrderContext;
}

/** True for the statuses an order never leaves. */
export const isFinalStatus = (status: OrderStatus): boolean =>
  status === 'filled' || status === 'cancelled' || status === 'rejected' || status === 'failed';

/** The plain-data form of an order machine snapshot. */
export const orderStateOf = (snapshot: OrderSnapshot): OrderState => ({
  status: snapshot.value as OrderStatus,
  context: snapshot.context,
});

/** A new order in `created`. */
export const createOrder = (input: OrderInput): OrderState => orderStateOf(initialTransition(orderMachine, input)[0]);

/** Applies one event through the order machine; returns `state` itself when the machine ignores the event. */
export const advanceOrder = (state: OrderState, event: OrderEvent): OrderState => {
  const snapshot = orderMachine.resolveState({ value: state.status, context: state.context });
  const [next] = transition(orderMachine, snapshot, event);
  if (next.value === state.status && next.context === state.context) return state;
  return orderStateOf(next);
};

/** The provider-facing {@link Order} view of an order state. */
export const toOrder = (state: OrderState): Order => {
  const { context, status } = state;
  const { request } = context;
  return {
    id: context.id,
    clientOrderId: request.clientOrderId ?? context.id,
    symbol: request.symbol,
    side: request.side,
    type: request.type,
    quantity: request.quantity,
    ...(request.price !== undefined ? { price: request.price } : {}),
    ...(request.stopPrice !== undefined ? { stopPrice: request.stopPrice } : {}),
    status,
    filledQuantity: context.filledQuantity,
    averagePrice: context.averagePrice,
    createdAt: context.createdAt,
    updatedAt: context.updatedAt,
    ...(context.reason !== undefined && (status === 'rejected' || status === 'failed') ? { rejectReason: context.reason } : {}),
    ...(context.reason !== undefined && status === 'cancelled' ? { cancelReason: context.reason } : {}),
  };
};

/** The {@link Order} view of an order machine snapshot. */
export const snapshotToOrder = (snapshot: OrderSnapshot): Order => toOrder(orderStateOf(snapshot));
