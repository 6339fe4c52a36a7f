/**
 * What the IBKR provider knows of the account, built only from TWS messages: orders (each advanced by the
 * order machine through {@link advanceOrder}, keyed by TWS order id), executions (deduplicated by exec id, each
 * becoming a fill once its commission report arrived), positions as TWS reports them, realized P&L and fees
 * from commission reports, and the last price per symbol for marks. No I/O and no timers.
 */
import { advanceOrder, createOrder, isFinalStatus, toOrder, type OrderEvent, type OrderState } from '../../../machines/order.machine.ts';
import type { OrderUpdate } from '../trading-provider.ts';
import type { Fill, OrderRequest, OrderSide, Position } from '../types.ts';
import { positionOf } from './parse.ts';

/** An execution as TWS reported it. */
export interface ExecutionReport {
  readonly execId: string;
  readonly orderId: number;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly shares: number;
  readonly price: number;
  readonly at: number;
}

/** The provider's view of the account. */
export class IbkrBook {
  readonly #orders = new Map<number, OrderState>();
  readonly #byClientOrderId = new Map<string, number>();
  readonly #messages = new Map<number, string>();
  readonly #fills: Fill[] = [];
  /** Exec ids seen: waiting for their commission report, or applied. */
  readonly #execs = new Map<string, ExecutionReport | 'applied'>();
  #positions = new Map<string, { quantity: number; averageCost: number }>();
  readonly #realized = new Map<string, number>();
  readonly #lastPrice = new Map<string, number>();
  #fees = 0;

  /** The order with TWS id `id`. */
  order(id: number): OrderState | undefined {
    return this.#orders.get(id);
  }

  /** The order placed with this client order id (TWS order reference). */
  byClientOrderId(clientOrderId: string): OrderState | undefined {
    const id = this.#byClientOrderId.get(clientOrderId);
    return id === undefined ? undefined : this.#orders.get(id);
  }

  /** Every order that is not final, with its TWS id. */
  working(): [number, OrderState][] {
    return [...this.#orders].filter(([, o]) => !isFinalStatus(o.status));
  }

  /** Every order, oldest first. */
  orders(): OrderState[] {
    return [...this.#orders.values()].sort((a, b) => a.context.createdAt - b.context.createdAt);
  }

  /** Records a new order as submitted to TWS. */
  add(id: number, request: OrderRequest, at: number): OrderState {
    const state = advanceOrder(createOrder({ id: String(id), request, at }), { type: 'order.submit', at });
    this.#orders.set(id, state);
    if (request.clientOrderId !== undefined) this.#byClientOrderId.set(request.clientOrderId, id);
    return state;
  }

  /**
   * Applies an order event; returns an update when the status changed (to anything but `submitted`) or a fill
   * happened, never for a mere cancel request, which the session would otherwise count as a new order.
   */
  apply(id: number, event: OrderEvent, fill?: Fill): OrderUpdate | undefined {
    const before = this.#orders.get(id);
    if (!before) return undefined;
    const after = advanceOrder(before, event);
    if (after === before) return undefined;
    this.#orders.set(id, after);
    if (after.status === 'submitted' || (after.status === before.status && !fill)) return undefined;
    return { order: toOrder(after), ...(fill ? { fill } : {}) };
  }

  /** Keeps the last message TWS sent about an order (the reason of a later cancel or rejection). */
  noteMessage(id: number, message: string): void {
    this.#messages.set(id, message);
  }

  /** The last message TWS sent about an order. */
  lastMessage(id: number): string | undefined {
    return this.#messages.get(id);
  }

  /** Records an execution; false when its exec id was seen before (a replay after a reconnect). */
  addExecution(report: ExecutionReport): boolean {
    if (this.#execs.has(report.execId)) return false;
    this.#execs.set(report.execId, report);
    this.#lastPrice.set(report.symbol, report.price);
    return true;
  }

  /** True while an execution of order `id` waits for its commission report. */
  hasPendingExecution(id: number): boolean {
    return [...this.#execs.values()].some((e) => typeof e === 'object' && e.orderId === id);
  }

  /** True while an execution waits for its commission report. */
  awaitsCommission(execId: string): boolean {
    return typeof this.#execs.get(execId) === 'object';
  }

  /**
   * Turns a waiting execution into a fill with its commission and realized P&L; returns the fill and the order
   * update (none for an order this process does not know, e.g. placed before a restart).
   */
  completeExecution(execId: string, fee: number, realizedPnl: number | undefined): { fill: Fill; update?: OrderUpdate } | undefined {
    const report = this.#execs.get(execId);
    if (typeof report !== 'object') return undefined;
    this.#execs.set(execId, 'applied');
    const fill: Fill = { orderId: String(report.orderId), symbol: report.symbol, side: report.side, quantity: report.shares, price: report.price, fee, at: report.at };
    this.#fills.push(fill);
    this.#fees += fee;
    if (realizedPnl !== undefined) this.#realized.set(report.symbol, (this.#realized.get(report.symbol) ?? 0) + realizedPnl);
    // An execution is proof of acceptance, whatever order the status messages arrive in.
    if (this.#orders.get(report.orderId)?.status === 'submitted') this.apply(report.orderId, { type: 'order.accepted', at: report.at });
    const update = this.apply(report.orderId, { type: 'order.filled', quantity: report.shares, price: report.price, fee, at: report.at }, fill);
    return { fill, ...(update ? { update } : {}) };
  }

  /** Every fill, oldest first (by execution time, then arrival). */
  fills(): Fill[] {
    return [...this.#fills].sort((a, b) => a.at - b.at);
  }

  /** Replaces every position (a complete `reqPositions` answer). */
  setPositions(positions: ReadonlyMap<string, { quantity: number; averageCost: number }>): void {
    this.#positions = new Map(positions);
  }

  /** Updates one position (a pushed `position` message). */
  setPosition(symbol: string, quantity: number, averageCost: number): void {
    this.#positions.set(symbol, { quantity, averageCost });
  }

  /** Notes a market price for marks. */
  mark(symbol: string, price: number): void {
    this.#lastPrice.set(symbol, price);
  }

  /** Non-flat positions marked to the last known price, by symbol. */
  positions(): Position[] {
    return [...this.#positions]
      .filter(([, p]) => p.quantity !== 0)
      .map(([symbol, p]) => positionOf(symbol, p.quantity, p.averageCost, this.#lastPrice.get(symbol), this.#realized.get(symbol) ?? 0))
      .sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  /** Realized P&L and fees of the executions seen, and unrealized P&L of the positions. */
  totals(): { realizedPnl: number; unrealizedPnl: number; fees: number } {
    const realizedPnl = [...this.#realized.values()].reduce((a, b) => a + b, 0);
    const unrealizedPnl = this.positions().reduce((a, p) => a + p.unrealizedPnl, 0);
    return { realizedPnl, unrealizedPnl, fees: this.#fees };
  }
}
