/**
 * Pure mappings between the trading domain and TWS API objects: order requests to stock contracts and orders,
 * order statuses to order-machine events, executions to fills, positions and the account summary to the
 * domain's {@link Position} and {@link AccountInfo}, and TWS time stamps to Unix ms.
 */
import type { Contract, Order as IbOrder } from '@stoqey/ib';
import { ib } from './ib-module.ts';
import type { OrderEvent } from '../../../machines/order.machine.ts';
import type { AccountInfo, OrderRequest, OrderSide, OrderType as DomainOrderType, Position } from '../types.ts';
import type { IbOrderStatus } from './messages.ts';

/** Where orders go and in which currency. */
export interface ContractDefaults {
  readonly exchange: string;
  readonly currency: string;
}

/** The stock contract of a symbol (SMART-routed, USD by default). */
export const stockContract = (symbol: string, d: ContractDefaults): Contract => ({
  symbol: symbol.trim().toUpperCase(), secType: ib().SecType.STK, exchange: d.exchange, currency: d.currency,
});

/** Why a request cannot be sent, or undefined when it can. */
export const invalidRequest = (r: OrderRequest): string | undefined => {
  if (typeof r.symbol !== 'string' || r.symbol.trim() === '') return 'the order has no symbol';
  if (r.side !== 'buy' && r.side !== 'sell') return `unknown side ${JSON.stringify(r.side)}`;
  if (!(r.quantity > 0) || !Number.isFinite(r.quantity)) return 'the quantity must be a positive number';
  if (r.type === 'limit' && !(r.price! > 0)) return 'a limit order needs a positive price';
  if (r.type === 'stop' && !(r.stopPrice! > 0)) return 'a stop order needs a positive stopPrice';
  if (r.type !== 'market' && r.type !== 'limit' && r.type !== 'stop') return `unknown order type ${JSON.stringify(r.type)}`;
  return undefined;
};

/** The TWS order for a valid request: a day order, transmitted, with the client order id as order reference. */
export const ibOrderOf = (r: OrderRequest, account: string, orderRef: string): IbOrder => ({
  action: r.side === 'buy' ? ib().OrderAction.BUY : ib().OrderAction.SELL,
  totalQuantity: r.quantity,
  orderType: r.type === 'market' ? ib().OrderType.MKT : r.type === 'limit' ? ib().OrderType.LMT : ib().OrderType.STP,
  ...(r.type === 'limit' ? { lmtPrice: r.price! } : {}),
  ...(r.type === 'stop' ? { auxPrice: r.stopPrice! } : {}),
  tif: ib().TimeInForce.DAY,
  account,
  orderRef,
  transmit: true,
});

/** The domain request behind an order TWS reports (an order this process did not place, e.g. after a restart). */
export const requestOf = (contract: Contract, order: IbOrder): OrderRequest | undefined => {
  const side: OrderSide | undefined = order.action === ib().OrderAction.BUY ? 'buy' : order.action === ib().OrderAction.SELL ? 'sell' : undefined;
  const type: DomainOrderType | undefined = order.orderType === ib().OrderType.MKT ? 'market' : order.orderType === ib().OrderType.LMT ? 'limit' : order.orderType === ib().OrderType.STP ? 'stop' : undefined;
  if (!side || !type || !contract.symbol || !(order.totalQuantity! > 0)) return undefined;
  return {
    symbol: contract.symbol, side, type, quantity: order.totalQuantity!,
    ...(type === 'limit' && order.lmtPrice !== undefined ? { price: order.lmtPrice } : {}),
    ...(type === 'stop' && order.auxPrice !== undefined ? { stopPrice: order.auxPrice } : {}),
    ...(order.orderRef ? { clientOrderId: order.orderRef } : {}),
  };
};

/**
 * The order-machine event a TWS status means, if any. Fills never come from statuses (executions carry the
 * quantity and price of each), and a cancel or rejection keeps the last message TWS sent about the order.
 */
export const statusEvent = (status: string, at: number, lastMessage: string | undefined, cancelRequested: boolean): OrderEvent | undefined => {
  switch (status as IbOrderStatus) {
    case 'PreSubmitted':
    case 'Submitted':
      return { type: 'order.accepted', at };
    case 'Cancelled':
    case 'ApiCancelled':
      return cancelRequested ? { type: 'order.cancelled', at } : { type: 'order.cancelled', at, reason: lastMessage ?? `cancelled at TWS (${status})` };
    case 'Inactive':
      return { type: 'order.rejected', at, reason: lastMessage ?? 'TWS reports the order inactive' };
    default:
      return undefined;
  }
};

/** `BOT` / `SLD` of an execution as a side. */
export const sideOfExecution = (side: string | undefined): OrderSide | undefined => (side === 'BOT' ? 'buy' : side === 'SLD' ? 'sell' : undefined);

/** Unix ms of a TWS time `yyyyMMdd HH:mm:ss [zone]` (also `yyyyMMdd-HH:mm:ss` or two spaces); undefined if unreadable. */
export const parseTwsTime = (text: string | undefined): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})[ -]+(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const zone = m[7];
  if (!zone || zone === 'UTC' || zone === 'GMT') return wall;
  try {
    // The zone's offset at that wall time: format the UTC reading in the zone and compare.
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(wall));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const offset = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - wall;
    return wall - offset;
  } catch {
    return undefined;
  }
};

/** A position as TWS reports it (average cost includes commissions), marked to the last known price. */
export const positionOf = (symbol: string, quantity: number, averageCost: number, lastPrice: number | undefined, realizedPnl: number): Position => {
  const mark = lastPrice ?? averageCost;
  return { symbol, quantity, averagePrice: averageCost, realizedPnl, unrealizedPnl: (mark - averageCost) * quantity, lastPrice: mark };
};

/** Account info from the summary values (`NetLiquidation` is the equity, `TotalCashValue` the cash). */
export const accountInfoOf = (
  values: ReadonlyMap<string, { readonly value: string; readonly currency: string }>,
  fallbackCurrency: string,
  totals: { readonly realizedPnl: number; readonly unrealizedPnl: number; readonly fees: number },
): AccountInfo => {
  const num = (tag: string) => {
    const n = Number.parseFloat(values.get(tag)?.value ?? '');
    return Number.isFinite(n) ? n : 0;
  };
  return {
    currency: values.get('NetLiquidation')?.currency || values.get('TotalCashValue')?.currency || fallbackCurrency,
    cash: num('TotalCashValue'),
    equity: num('NetLiquidation'),
    ...totals,
  };
};
