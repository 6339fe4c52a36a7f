/**
 * The seed's TradingSystemProvider in TypeScript: place, cancel and inspect orders, read positions, account and
 * fills, and listen to order updates. Every trading venue (paper, Binance, IBKR) implements it, so the session and
 * the strategy host never depend on a venue. A refused order is not an exception: it resolves with status
 * `rejected` and a `rejectReason`; promises reject only with a {@link RealtimeError} (not connected, unknown id).
 */
import type { Bar } from '../domain/bar.ts';
import type { RealtimeError } from '../errors.ts';
import type { LoggedEvent } from '../events/fold.ts';
import type { Unlisten } from '../providers/realtime-provider.ts';
import type { AccountInfo, Fill, Order, OrderRequest, Position } from './types.ts';

/** A change of one order: its new state and, for an execution, the fill. */
export interface OrderUpdate {
  readonly order: Order;
  readonly fill?: Fill;
}

/** A trading venue. */
export interface TradingProvider {
  /** Registry name, e.g. `paper`. */
  readonly name: string;
  /** Opens the venue session; rejects with a {@link RealtimeError} on a fatal failure. */
  connect(signal?: AbortSignal): Promise<void>;
  /** Closes the venue session; working orders stay at the venue. */
  disconnect(): Promise<void>;
  /** True between a successful `connect()` and `disconnect()`. */
  isConnected(): boolean;
  /** Places an order; resolves with it once the venue accepted or rejected it (a rejection is a status, not an error). */
  placeOrder(request: OrderRequest): Promise<Order>;
  /** Cancels a working order; resolves with its final state (unchanged when it was already final). */
  cancelOrder(orderId: string): Promise<Order>;
  /** The order with this id, or undefined when the venue does not know it. */
  getOrderStatus(orderId: string): Promise<Order | undefined>;
  /** Working orders (accepted or partially filled), oldest first. */
  getOpenOrders(): Promise<Order[]>;
  /** Non-flat positions, marked to the last known price. */
  getPositions(): Promise<Position[]>;
  /** Cash, equity and P&L. */
  getAccountInfo(): Promise<AccountInfo>;
  /** Every execution, oldest first. */
  getTrades(): Promise<Fill[]>;
  /** Registers a listener for order changes (accepted, rejected, filled, cancelled). */
  onOrderUpdate(callback: (update: OrderUpdate) => void): Unlisten;
  /** Feeds a bar to providers that simulate fills from prices (the paper broker). */
  onMarketData?(bar: Bar): void;
  /** Registers a listener for every state-changing event, for providers whose state is a fold of an event log. */
  onEvent?(callback: (event: LoggedEvent) => void): Unlisten;
}
