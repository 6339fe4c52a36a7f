/**
 * The simulator's trading endpoints: signed `POST/DELETE/GET /api/v3/order`, `GET /api/v3/openOrders`,
 * `GET /api/v3/account` and `GET /api/v3/myTrades` over the matching engine, plus the public
 * `GET /api/v3/ticker/price` clients use to value orders and holdings. Bodies follow Binance's documented
 * shapes; a fault can swallow the answer to an order that was placed (the connection closes first).
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints
 */
import type { BinanceRestError } from '../../providers/binance/messages.ts';
import type { Instrument } from './instruments.ts';
import { MatchingEngine, type SimOrder, type SimTrade } from './matching.ts';
import { checkSignedRequest } from './signing.ts';

/** An HTTP answer of the REST API. */
export interface RestReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** A request to a trading endpoint. */
export interface TradingRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body: string;
  readonly apiKey: string | undefined;
}

/** The endpoints, mounted by the REST API. */
export interface TradingEndpoints {
  /** The request weight of a trading endpoint, or undefined when `method path` is not one. */
  weight(method: string, path: string, query: URLSearchParams): number | undefined;
  /** Answers a request; 'drop' means: close the connection without answering. */
  handle(request: TradingRequest): RestReply | 'drop';
  /**
   * The connection of the next `count` order placements closes without an answer: after the order was carried
   * out (`placed`, the default), or before it reached the engine.
   */
  dropNextOrderResponses(count: number, placed?: boolean): void;
}

/** What the endpoints need from the simulator. */
export interface TradingContext {
  readonly engine: MatchingEngine;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** Secret of an API key, or undefined for an unknown key. */
  readonly secretOf: (apiKey: string) => string | undefined;
  /** The clock `timestamp` is checked against. */
  readonly serverTime: () => number;
}

const fmt = (x: number): string => x.toFixed(8);
const fail = (code: number, msg: string, status = 400): RestReply => ({ status, body: { code, msg } satisfies BinanceRestError });
const ok = (body: unknown): RestReply => ({ status: 200, body });

const WEIGHTS: Readonly<Record<string, (q: URLSearchParams) => number>> = {
  'POST /api/v3/order': () => 1,
  'DELETE /api/v3/order': () => 1,
  'GET /api/v3/order': () => 4,
  'GET /api/v3/openOrders': (q) => (q.has('symbol') ? 6 : 80),
  'GET /api/v3/account': () => 20,
  'GET /api/v3/myTrades': (q) => (q.has('orderId') ? 5 : 20),
  'GET /api/v3/ticker/price': (q) => (q.has('symbol') ? 2 : 4),
};

/** The `GET /api/v3/order` shape of an order. */
const orderBody = (o: SimOrder, inst: Instrument) => ({
  symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId,
  price: fmt(o.priceTicks / 10 ** inst.priceDecimals), origQty: fmt(o.qtyLots / 10 ** inst.qtyDecimals),
  executedQty: fmt(o.executedLots / 10 ** inst.qtyDecimals), cummulativeQuoteQty: fmt(o.cumQuote), status: o.status,
  timeInForce: o.timeInForce ?? 'GTC', type: o.type, side: o.side, stopPrice: fmt(0), icebergQty: fmt(0), time: o.time,
  updateTime: o.updateTime, isWorking: true, workingTime: o.time, origQuoteOrderQty: fmt(0), selfTradePreventionMode: 'NONE',
});

const tradeBody = (t: SimTrade) => ({
  symbol: t.symbol, id: t.id, orderId: t.orderId, orderListId: -1, price: fmt(t.price), qty: fmt(t.qty),
  quoteQty: fmt(t.quoteQty), commission: fmt(t.commission), commissionAsset: t.commissionAsset, time: t.time,
  isBuyer: t.isBuyer, isMaker: t.isMaker, isBestMatch: true,
});

/** The answer to a new order in the requested `newOrderRespType` (FULL by default for MARKET and LIMIT). */
const newOrderBody = (o: SimOrder, fills: readonly SimTrade[], inst: Instrument, respType: string) => {
  const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.time };
  if (respType === 'ACK') return ack;
  const { stopPrice: _s, icebergQty: _i, time: _t, updateTime: _u, isWorking: _w, origQuoteOrderQty: _q, clientOrderId: _c, ...rest } = orderBody(o, inst);
  const result = { ...ack, ...rest };
  if (respType === 'RESULT') return result;
  const full = fills.map((t) => ({ price: fmt(t.price), qty: fmt(t.qty), commission: fmt(t.commission), commissionAsset: t.commissionAsset, tradeId: t.id }));
  return { ...result, fills: full };
};

/** Creates the trading endpoints over a matching engine. */
export const createTradingEndpoints = (context: TradingContext): TradingEndpoints => {
  const { engine, instruments } = context;
  let drop = { count: 0, placed: true };

  const orderRef = (p: URLSearchParams): { orderId?: number; clientOrderId?: string } | RestReply => {
    const id = p.get('orderId');
    const client = p.get('origClientOrderId');
    if (id) return /^[0-9]{1,20}$/.test(id) ? { orderId: Number(id) } : fail(-1100, "Illegal characters found in parameter 'orderId'.");
    if (client) return { clientOrderId: client };
    return fail(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  };
  const symbolOf = (p: URLSearchParams, required: boolean): Instrument | undefined | RestReply => {
    const raw = p.get('symbol');
    if (!raw) return required ? fail(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.") : undefined;
    return instruments.get(raw.toUpperCase()) ?? fail(-1121, 'Invalid symbol.');
  };
  const isReply = (x: unknown): x is RestReply => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

  const signed = (method: string, path: string, apiKey: string, p: URLSearchParams): RestReply | 'drop' => {
    const route = `${method} ${path}`;
    if (route === 'POST /api/v3/order') {
      if (drop.count > 0 && !drop.placed) {
        drop = { ...drop, count: drop.count - 1 };
        return 'drop';
      }
      const placed = engine.place(apiKey, p);
      if ('code' in placed) return fail(placed.code, placed.msg);
      if (drop.count > 0) {
        drop = { ...drop, count: drop.count - 1 };
        return 'drop';
      }
      const inst = instruments.get(placed.order.symbol)!;
      return ok(newOrderBody(placed.order, placed.fills, inst, p.get('newOrderRespType') ?? 'FULL'));
    }
    if (route === 'GET /api/v3/account') {
      const omitZero = p.get('omitZeroBalances') === 'true';
      const balances = [...engine.balances(apiKey)].filter(([, b]) => !omitZero || b.free + b.locked > 0)
        .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
      const rate = fmt(0.001);
      return ok({
        makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
        commissionRates: { maker: rate, taker: rate, buyer: fmt(0), seller: fmt(0) },
        canTrade: true, canWithdraw: true, canDeposit: true, brokered: false, requireSelfTradePrevention: false,
        preventSor: false, updateTime: context.serverTime(), accountType: 'SPOT', balances, permissions: ['SPOT'], uid: 1,
      });
    }
    const symbol = symbolOf(p, route !== 'GET /api/v3/openOrders');
    if (isReply(symbol)) return symbol;
    if (route === 'GET /api/v3/openOrders') {
      return ok(engine.openOrders(apiKey, symbol?.symbol).map((o) => orderBody(o, instruments.get(o.symbol)!)));
    }
    const inst = symbol!;
    if (route === 'GET /api/v3/myTrades') {
      const num = (name: string): number | undefined => (p.has(name) ? Number(p.get(name)) : undefined);
      const [orderId, fromId, start, end] = [num('orderId'), num('fromId'), num('startTime'), num('endTime')];
      const limit = Math.min(1000, Math.max(1, num('limit') ?? 500));
      let trades = engine.trades(apiKey, inst.symbol).filter((t) =>
        (orderId === undefined || t.orderId === orderId) && (fromId === undefined || t.id >= fromId) &&
        (start === undefined || t.time >= start) && (end === undefined || t.time <= end));
      // From an id: the first `limit` trades; otherwise the most recent ones.
      trades = fromId !== undefined ? trades.slice(0, limit) : trades.slice(-limit);
      return ok(trades.map(tradeBody));
    }
    const ref = orderRef(p);
    if (isReply(ref)) return ref;
    if (route === 'GET /api/v3/order') {
      const order = engine.find(apiKey, inst.symbol, ref);
      return order ? ok(orderBody(order, inst)) : fail(-2013, 'Order does not exist.');
    }
    const cancelled = engine.cancel(apiKey, inst.symbol, ref);
    if ('code' in cancelled) return fail(cancelled.code, cancelled.msg);
    const { stopPrice: _s, icebergQty: _i, time: _t, updateTime: _u, isWorking: _w, origQuoteOrderQty: _q, workingTime: _wt, ...rest } = orderBody(cancelled, inst);
    return ok({ ...rest, origClientOrderId: cancelled.clientOrderId, clientOrderId: p.get('newClientOrderId') ?? `sim-cancel-${cancelled.orderId}`, transactTime: cancelled.updateTime });
  };

  return {
    weight: (method, path, query) => WEIGHTS[`${method} ${path}`]?.(query),
    handle(request) {
      const { method, path } = request;
      if (method === 'GET' && path === '/api/v3/ticker/price') {
        const query = new URLSearchParams(request.query);
        const symbol = symbolOf(query, false);
        if (isReply(symbol)) return symbol;
        const price = (i: Instrument) => ({ symbol: i.symbol, price: fmt(engine.priceTicks(i) / 10 ** i.priceDecimals) });
        return ok(symbol ? price(symbol) : [...instruments.values()].map(price));
      }
      const check = checkSignedRequest(request, context.secretOf, context.serverTime());
      if (!check.ok) return fail(check.error.code, check.error.msg, check.status);
      return signed(method, path, check.apiKey, check.params);
    },
    dropNextOrderResponses(count, placed = true) {
      drop = { count, placed };
    },
  };
};
