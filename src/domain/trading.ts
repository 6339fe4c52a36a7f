/**
 * Trading domain types shared by trading providers (paper, Binance, IBKR), the order and paper-broker machines,
 * the session's event log and the strategy host API. `src/trading/types.ts` re-exports them.
 */
import type { ErrorCode } from '../errors.ts';

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop';

/** Order lifecycle states (the `order` machine's states). */
export type OrderStatus =
  | 'created' | 'submitted' | 'accepted' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'failed';

/** What a strategy asks for. */
export interface OrderRequest {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  /** Base-asset quantity, > 0. */
  readonly quantity: number;
  /** Limit price (limit orders). */
  readonly price?: number;
  /** Trigger price (stop orders: a stop becomes a market order once the price crosses it). */
  readonly stopPrice?: number;
  /** Caller-chosen id; makes placement idempotent. Generated when absent. */
  readonly clientOrderId?: string;
  /** Free text kept in the event log (why the strategy traded). */
  readonly reason?: string;
}

/** An order as the provider knows it. */
export interface Order {
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: number;
  readonly price?: number;
  readonly stopPrice?: number;
  readonly status: OrderStatus;
  readonly filledQuantity: number;
  /** Quantity-weighted average fill price, 0 before any fill. */
  readonly averagePrice: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Why it was rejected or failed. */
  readonly rejectReason?: string;
  /** The error code of a rejection by the session itself (the risk engine: `RISK_REJECTED`, `KILL_SWITCH_ACTIVE`). */
  readonly rejectCode?: ErrorCode;
  /** Why the venue cancelled it (e.g. the rest of a partial fill became unaffordable); absent when the caller cancelled. */
  readonly cancelReason?: string;
}

/** One execution. */
export interface Fill {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly at: number;
}

/** A net position in one symbol; quantity < 0 is short. */
export interface Position {
  readonly symbol: string;
  readonly quantity: number;
  /** Average entry price of the open quantity. */
  readonly averagePrice: number;
  readonly realizedPnl: number;
  /** Mark-to-market P&L at the last known price. */
  readonly unrealizedPnl: number;
  readonly lastPrice: number;
}

/** Cash and equity. */
export interface AccountInfo {
  readonly currency: string;
  readonly cash: number;
  readonly equity: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
}
