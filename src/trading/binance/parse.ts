/**
 * Pure mapping from Binance trading wire shapes to the domain: orders (ids are `SYMBOL:orderId`, since every
 * Binance order call needs the symbol), order states, and executions with the commission valued in the quote
 * asset.
 */
import type { Fill, Order, OrderStatus, OrderType } from '../types.ts';
import type { BinanceOrder, BinanceOrderStatus, BinanceTrade } from './messages.ts';

const STATUS: Readonly<Record<BinanceOrderStatus, OrderStatus>> = {
  NEW: 'accepted', PENDING_NEW: 'accepted', PARTIALLY_FILLED: 'partially_filled', FILLED: 'filled',
  CANCELED: 'cancelled', PENDING_CANCEL: 'cancelled', REJECTED: 'rejected', EXPIRED: 'cancelled', EXPIRED_IN_MATCH: 'cancelled',
};

/** The domain state of a Binance order state. */
export const orderStatusOf = (status: BinanceOrderStatus): OrderStatus => STATUS[status] ?? 'accepted';

/** The provider's order id of a Binance order. */
export const formatOrderId = (symbol: string, orderId: number): string => `${symbol}:${orderId}`;

/** The symbol and Binance order id inside a provider order id, or undefined for another shape. */
export const parseOrderId = (id: string): { symbol: string; orderId: number } | undefined => {
  const m = /^([A-Z0-9]{1,32}):([0-9]{1,20})$/.exec(id);
  return m ? { symbol: m[1]!, orderId: Number(m[2]) } : undefined;
};

const typeOf = (type: string): OrderType => (type === 'MARKET' ? 'market' : type.startsWith('LIMIT') ? 'limit' : 'stop');

/** A Binance order as a domain order; `clientOrderId` overrides the venue's (the caller's own id). */
export const toOrder = (o: BinanceOrder, clientOrderId?: string): Order => {
  const executed = Number(o.executedQty);
  const type = typeOf(o.type);
  const price = Number(o.price);
  const stop = Number(o.stopPrice ?? 0);
  const createdAt = o.time ?? o.transactTime ?? 0;
  const expired = o.status === 'EXPIRED' || o.status === 'EXPIRED_IN_MATCH';
  return {
    id: formatOrderId(o.symbol, o.orderId),
    clientOrderId: clientOrderId ?? o.origClientOrderId ?? o.clientOrderId,
    symbol: o.symbol,
    side: o.side === 'BUY' ? 'buy' : 'sell',
    type,
    quantity: Number(o.origQty),
    ...(price > 0 ? { price } : {}),
    ...(stop > 0 ? { stopPrice: stop } : {}),
    status: orderStatusOf(o.status),
    filledQuantity: executed,
    averagePrice: executed > 0 ? Number(o.cummulativeQuoteQty) / executed : 0,
    createdAt,
    updatedAt: o.updateTime ?? o.transactTime ?? createdAt,
    ...(expired ? { cancelReason: o.status === 'EXPIRED' ? 'expired at the venue' : 'expired in match (self-trade prevention)' } : {}),
  };
};

/** The commission of an execution in quote units (a commission in a third asset, e.g. BNB, counts 0 here). */
export const feeInQuote = (commission: number, commissionAsset: string, price: number, assets: { baseAsset: string; quoteAsset: string }): number =>
  commissionAsset === assets.quoteAsset ? commission : commissionAsset === assets.baseAsset ? commission * price : 0;

/** A `myTrades` execution as a domain fill. */
export const toFill = (t: BinanceTrade, assets: { baseAsset: string; quoteAsset: string }): Fill => ({
  orderId: formatOrderId(t.symbol, t.orderId),
  symbol: t.symbol,
  side: t.isBuyer ? 'buy' : 'sell',
  quantity: Number(t.qty),
  price: Number(t.price),
  fee: feeInQuote(Number(t.commission), t.commissionAsset, Number(t.price), assets),
  at: t.time,
});
