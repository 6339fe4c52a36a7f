/**
 * Binance Spot trading wire shapes (signed REST answers) and the error codes the provider acts on.
 * Prices and quantities are decimal strings on the wire.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints
 */

/** Order states on the wire. */
export type BinanceOrderStatus =
  | 'NEW' | 'PENDING_NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'PENDING_CANCEL' | 'REJECTED' | 'EXPIRED'
  | 'EXPIRED_IN_MATCH';

/** An order as `GET /api/v3/order`, `GET /api/v3/openOrders` and (mostly) `POST /api/v3/order` return it. */
export interface BinanceOrder {
  readonly symbol: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly price: string;
  readonly origQty: string;
  readonly executedQty: string;
  readonly cummulativeQuoteQty: string;
  readonly status: BinanceOrderStatus;
  readonly type: string;
  readonly side: 'BUY' | 'SELL';
  readonly stopPrice?: string;
  /** Creation time (order queries). */
  readonly time?: number;
  readonly updateTime?: number;
  /** Time of a placement or cancel answer. */
  readonly transactTime?: number;
  /** The client id of the cancelled order (cancel answers, whose `clientOrderId` is the cancel's own). */
  readonly origClientOrderId?: string;
  /** Executions of a FULL placement answer. */
  readonly fills?: readonly BinanceOrderFill[];
}

/** One execution inside a FULL placement answer. */
export interface BinanceOrderFill {
  readonly price: string;
  readonly qty: string;
  readonly commission: string;
  readonly commissionAsset: string;
  readonly tradeId: number;
}

/** One execution of `GET /api/v3/myTrades`. */
export interface BinanceTrade {
  readonly symbol: string;
  readonly id: number;
  readonly orderId: number;
  readonly price: string;
  readonly qty: string;
  readonly quoteQty: string;
  readonly commission: string;
  readonly commissionAsset: string;
  readonly time: number;
  readonly isBuyer: boolean;
  readonly isMaker: boolean;
}

/** `GET /api/v3/account` (the fields used). */
export interface BinanceAccount {
  readonly canTrade: boolean;
  readonly balances: readonly { readonly asset: string; readonly free: string; readonly locked: string }[];
}

/** One filter of a symbol in exchangeInfo. */
export interface BinanceFilter {
  readonly filterType: string;
  readonly [key: string]: unknown;
}

/** One symbol of `GET /api/v3/exchangeInfo`. */
export interface BinanceSymbol {
  readonly symbol: string;
  readonly status: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly orderTypes: readonly string[];
  readonly filters: readonly BinanceFilter[];
}

/** One limit of exchangeInfo's `rateLimits`. */
export interface BinanceRateLimit {
  readonly rateLimitType: 'REQUEST_WEIGHT' | 'ORDERS' | 'RAW_REQUESTS';
  readonly interval: 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';
  readonly intervalNum: number;
  readonly limit: number;
}

/** `GET /api/v3/exchangeInfo` (the fields used). */
export interface BinanceExchangeInfo {
  readonly rateLimits: readonly BinanceRateLimit[];
  readonly symbols: readonly BinanceSymbol[];
}

/** Error codes the trading provider acts on. */
export const BINANCE_TRADING_CODES = {
  tooManyRequests: -1003,
  timestampOutsideRecvWindow: -1021,
  invalidSignature: -1022,
  invalidSymbol: -1121,
  newOrderRejected: -2010,
  cancelRejected: -2011,
  noSuchOrder: -2013,
  invalidApiKeyFormat: -2014,
  invalidApiKey: -2015,
} as const;

/** Binance's own client-order-id pattern. */
export const CLIENT_ORDER_ID = /^[a-zA-Z0-9-_]{1,36}$/;
