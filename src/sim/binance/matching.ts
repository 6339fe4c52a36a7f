/**
 * The simulator's matching engine: accounts with balances, MARKET and LIMIT orders checked against the symbol
 * filters exchangeInfo publishes (-1013) and the balance (-2010), market orders and marketable limits filled
 * at the current simulated price (the last trade at the market clock), resting limits filled at their price
 * once a market step trades through them. Commission is taken from the asset received, as on Binance.
 * Prices are whole ticks and quantities whole lots of the instrument, so notional arithmetic is exact.
 */
import type { BinanceRestError } from '../../providers/binance/messages.ts';
import type { Instrument } from './instruments.ts';
import type { MarketData } from './prices.ts';

/** Filter bounds every symbol shares (tick and lot come from the instrument); exchangeInfo publishes them. */
export const SYMBOL_LIMITS = { maxPrice: 1_000_000, maxQty: 9_000_000, minNotional: 5, maxNotional: 9_000_000 } as const;

/** Binance's order states that the engine uses. */
export type SimOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';

/** One order in the engine. */
export interface SimOrder {
  readonly account: string;
  readonly symbol: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: 'MARKET' | 'LIMIT';
  readonly timeInForce: 'GTC' | 'IOC' | 'FOK' | undefined;
  /** Limit price in ticks; 0 for a market order. */
  readonly priceTicks: number;
  readonly qtyLots: number;
  executedLots: number;
  cumQuote: number;
  status: SimOrderStatus;
  readonly time: number;
  updateTime: number;
  /** Quote (buy) or base (sell) held while the order rests. */
  locked: number;
}

/** One execution. */
export interface SimTrade {
  readonly account: string;
  readonly symbol: string;
  readonly id: number;
  readonly orderId: number;
  readonly price: number;
  readonly qty: number;
  readonly quoteQty: number;
  readonly commission: number;
  readonly commissionAsset: string;
  readonly time: number;
  readonly isBuyer: boolean;
  readonly isMaker: boolean;
}

/** A balance of one asset. */
export interface SimBalance {
  free: number;
  locked: number;
}

/** What the engine needs from the simulator. */
export interface MatchingContext {
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly market: MarketData;
  /** Market time (ms): order and trade times, and the current price. */
  readonly now: () => number;
  readonly feeRate: number;
}

const round8 = (x: number): number => Math.round(x * 1e8) / 1e8;
const err = (code: number, msg: string): BinanceRestError => ({ code, msg });
const CLIENT_ID = /^[a-zA-Z0-9-_]{1,36}$/;
const DECIMAL = /^[0-9]{1,20}(\.[0-9]{1,20})?$/;

/** A decimal parameter as whole units of 10^−decimals: a number, 'off-step', or an error. */
const units = (raw: string | null, name: string, decimals: number): number | 'off-step' | BinanceRestError => {
  if (raw === null || raw === '') return err(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
  if (!DECIMAL.test(raw)) return err(-1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`);
  const scaled = Number(raw) * 10 ** decimals;
  const whole = Math.round(scaled);
  return Math.abs(scaled - whole) > 1e-6 ? 'off-step' : whole;
};
const isError = (x: unknown): x is BinanceRestError => typeof x === 'object' && x !== null && 'code' in x;

/** The matching engine of every simulated account. */
export class MatchingEngine {
  readonly #ctx: MatchingContext;
  readonly #accounts = new Map<string, Map<string, SimBalance>>();
  readonly #orders: SimOrder[] = [];
  readonly #trades: SimTrade[] = [];
  #nextOrderId = 1;
  #nextTradeId = 1;
  #duplicateExecutions = 0;
  #partialExecutions = 0;

  constructor(context: MatchingContext) {
    this.#ctx = context;
  }

  /** Opens (or resets) an account with starting balances. */
  openAccount(account: string, balances: Readonly<Record<string, number>>): void {
    this.#accounts.set(account, new Map(Object.entries(balances).map(([asset, free]) => [asset, { free, locked: 0 }])));
  }

  /** The balances of an account, by asset. */
  balances(account: string): ReadonlyMap<string, Readonly<SimBalance>> {
    return this.#accounts.get(account) ?? new Map();
  }

  /** Every order of every account, in placement order. */
  orders(): readonly SimOrder[] {
    return this.#orders;
  }

  /** Every execution of `account` (optionally one symbol), oldest first. */
  trades(account: string, symbol?: string): SimTrade[] {
    return this.#trades.filter((t) => t.account === account && (symbol === undefined || t.symbol === symbol));
  }

  /** The order of `account` on `symbol` with this id or client id. */
  find(account: string, symbol: string, ref: { orderId?: number; clientOrderId?: string }): SimOrder | undefined {
    const mine = this.#orders.filter((o) => o.account === account && o.symbol === symbol);
    if (ref.orderId !== undefined) return mine.find((o) => o.orderId === ref.orderId);
    // A client id may be reused once its order is final: the newest one wins.
    return mine.findLast((o) => o.clientOrderId === ref.clientOrderId);
  }

  /** Working orders of `account`, oldest first. */
  openOrders(account: string, symbol?: string): SimOrder[] {
    return this.#orders.filter((o) => o.account === account && (symbol === undefined || o.symbol === symbol) && isOpen(o));
  }

  /** The current price of an instrument, in ticks: the last trade at the market clock. */
  priceTicks(instrument: Instrument): number {
    return this.#ctx.market.lastPriceBefore(instrument, Math.floor(this.#ctx.now() / 1000) + 1);
  }

  /** Places an order from request parameters; returns it with its immediate fills, or the Binance error. */
  place(account: string, p: URLSearchParams): { order: SimOrder; fills: SimTrade[] } | BinanceRestError {
    const inst = this.#ctx.instruments.get((p.get('symbol') ?? '').toUpperCase());
    if (!p.get('symbol')) return err(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    if (!inst) return err(-1121, 'Invalid symbol.');
    const side = p.get('side');
    if (side !== 'BUY' && side !== 'SELL') return err(-1117, 'Invalid side.');
    const type = p.get('type');
    if (type !== 'MARKET' && type !== 'LIMIT') return err(-1116, 'Invalid orderType.');
    const clientOrderId = p.get('newClientOrderId') ?? `sim-${this.#nextOrderId}`;
    if (!CLIENT_ID.test(clientOrderId)) {
      return err(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
    }
    if (this.openOrders(account, inst.symbol).some((o) => o.clientOrderId === clientOrderId)) return err(-2010, 'Duplicate order sent.');
    const tif = p.get('timeInForce');
    if (type === 'LIMIT' && tif === null) return err(-1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
    if (tif !== null && tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK') return err(-1115, 'Invalid timeInForce.');

    const lots = units(p.get('quantity'), 'quantity', inst.qtyDecimals);
    if (isError(lots)) return lots;
    if (lots === 'off-step' || lots < 1 || lots / 10 ** inst.qtyDecimals > SYMBOL_LIMITS.maxQty) return err(-1013, 'Filter failure: LOT_SIZE');
    const current = this.priceTicks(inst);
    let limitTicks = 0;
    if (type === 'LIMIT') {
      const ticks = units(p.get('price'), 'price', inst.priceDecimals);
      if (isError(ticks)) return ticks;
      if (ticks === 'off-step' || ticks < 1 || ticks / 10 ** inst.priceDecimals > SYMBOL_LIMITS.maxPrice) return err(-1013, 'Filter failure: PRICE_FILTER');
      limitTicks = ticks;
    }
    const scale = 10 ** (inst.priceDecimals + inst.qtyDecimals);
    const notional = (lots * (type === 'LIMIT' ? limitTicks : current)) / scale;
    if (notional < SYMBOL_LIMITS.minNotional || (type === 'LIMIT' && notional > SYMBOL_LIMITS.maxNotional)) return err(-1013, 'Filter failure: NOTIONAL');

    const balances = this.#accounts.get(account) ?? new Map<string, SimBalance>();
    this.#accounts.set(account, balances);
    const balance = (asset: string): SimBalance => balances.get(asset) ?? balances.set(asset, { free: 0, locked: 0 }).get(asset)!;
    const paying = side === 'BUY' ? balance(inst.quoteAsset) : balance(inst.baseAsset);
    const needed = side === 'BUY' ? notional : lots / 10 ** inst.qtyDecimals;
    if (paying.free + 1e-12 < needed) return err(-2010, 'Account has insufficient balance for requested action.');

    const at = this.#ctx.now();
    const order: SimOrder = {
      account, symbol: inst.symbol, orderId: this.#nextOrderId++, clientOrderId, side, type,
      timeInForce: type === 'LIMIT' ? (tif as SimOrder['timeInForce']) : undefined, priceTicks: limitTicks, qtyLots: lots,
      executedLots: 0, cumQuote: 0, status: 'NEW', time: at, updateTime: at, locked: 0,
    };
    this.#orders.push(order);
    const marketable = type === 'MARKET' || (side === 'BUY' ? limitTicks >= current : limitTicks <= current);
    if (marketable) {
      const fill = this.#execute(inst, order, current, false);
      // Partially filled (the fault): a limit's rest rests, holding what it may spend; a market's rest fills at the
      // next market step.
      const rest = order.qtyLots - order.executedLots;
      if (type === 'LIMIT' && isOpen(order)) this.#hold(order, paying, side === 'BUY' ? (rest * limitTicks) / scale : rest / 10 ** inst.qtyDecimals);
      return { order, fills: [fill] };
    }
    if (order.timeInForce !== 'GTC') {
      order.status = 'EXPIRED';
      return { order, fills: [] };
    }
    this.#hold(order, paying, needed);
    return { order, fills: [] };
  }

  /** A resting order holds what it may spend. */
  #hold(order: SimOrder, paying: SimBalance, amount: number): void {
    order.locked = round8(amount);
    paying.free = round8(paying.free - order.locked);
    paying.locked = round8(paying.locked + order.locked);
  }

  /** Cancels a working order; returns it, or -2011 when it is not working. */
  cancel(account: string, symbol: string, ref: { orderId?: number; clientOrderId?: string }): SimOrder | BinanceRestError {
    const order = this.find(account, symbol, ref);
    if (!order || !isOpen(order)) return err(-2011, 'Unknown order sent.');
    const inst = this.#ctx.instruments.get(symbol)!;
    const held = this.#accounts.get(account)!.get(order.side === 'BUY' ? inst.quoteAsset : inst.baseAsset)!;
    held.free = round8(held.free + order.locked);
    held.locked = round8(held.locked - order.locked);
    order.locked = 0;
    order.status = 'CANCELED';
    order.updateTime = this.#ctx.now();
    return order;
  }

  /** Ends a working order on the venue's own initiative (EXPIRED); false when it is not working. */
  expire(orderId: number): boolean {
    const order = this.#orders.find((o) => o.orderId === orderId);
    if (!order || !isOpen(order)) return false;
    const cancelled = this.cancel(order.account, order.symbol, { orderId });
    if ('code' in cancelled) return false;
    cancelled.status = 'EXPIRED';
    return true;
  }

  /**
   * Fault: the next `count` executions are each listed twice in the trade history, the copy under a new trade id
   * (balances move once), as a faulty venue would report them: a client that adds both overfills the order.
   */
  duplicateNextExecutions(count: number): void {
    this.#duplicateExecutions += count;
  }

  /**
   * Fault: the next `count` executions each fill half of what is left of their order (whole lots, at least one
   * left), so the order stays PARTIALLY_FILLED until a later market step fills the rest.
   */
  partialNextExecutions(count: number): void {
    this.#partialExecutions += count;
  }

  /**
   * Fills every resting limit order that the trades of the market step (from, to] went through, and the rest of
   * every partially filled market order at the step's price.
   */
  step(from: number, to: number): void {
    // The second containing a market time has begun at that time (the convention of the partial kline).
    const fromSec = Math.floor(from / 1000) + 1;
    const toSec = Math.floor(to / 1000) + 1;
    for (const order of this.#orders) {
      if (!isOpen(order)) continue;
      const inst = this.#ctx.instruments.get(order.symbol)!;
      if (order.type === 'MARKET') {
        this.#execute(inst, order, this.priceTicks(inst), false);
        continue;
      }
      const a = this.#ctx.market.aggregate(inst, fromSec, toSec);
      if (a.n === 0) continue;
      if (order.side === 'BUY' ? a.l <= order.priceTicks : a.h >= order.priceTicks) this.#execute(inst, order, order.priceTicks, true);
    }
  }

  /**
   * Fills the rest of `order` at `ticks` (half of it under the partial fault), moving balances and taking the
   * commission from what is received.
   */
  #execute(inst: Instrument, order: SimOrder, ticks: number, isMaker: boolean): SimTrade {
    const remaining = order.qtyLots - order.executedLots;
    const partial = this.#partialExecutions > 0 && remaining > 1;
    if (partial) this.#partialExecutions--;
    const lots = partial ? Math.floor(remaining / 2) : remaining;
    const qty = lots / 10 ** inst.qtyDecimals;
    const quote = round8((lots * ticks) / 10 ** (inst.priceDecimals + inst.qtyDecimals));
    const balances = this.#accounts.get(order.account)!;
    const balance = (asset: string): SimBalance => balances.get(asset) ?? balances.set(asset, { free: 0, locked: 0 }).get(asset)!;
    const [paidAsset, paid, gotAsset, got] = order.side === 'BUY'
      ? [inst.quoteAsset, quote, inst.baseAsset, qty] : [inst.baseAsset, qty, inst.quoteAsset, quote];
    const source = balance(paidAsset);
    // A resting order spends from its hold (its share for a partial fill) and releases the rest (a buy may fill
    // below its limit).
    const release = partial ? round8((order.locked * lots) / remaining) : order.locked;
    source.locked = round8(source.locked - release);
    source.free = round8(source.free + release - paid);
    order.locked = round8(order.locked - release);
    const commission = round8(got * this.#ctx.feeRate);
    const target = balance(gotAsset);
    target.free = round8(target.free + got - commission);
    const at = this.#ctx.now();
    order.executedLots += lots;
    order.cumQuote = round8(order.cumQuote + quote);
    order.status = order.executedLots === order.qtyLots ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = at;
    const trade: SimTrade = {
      account: order.account, symbol: order.symbol, id: this.#nextTradeId++, orderId: order.orderId,
      price: ticks / 10 ** inst.priceDecimals, qty, quoteQty: quote, commission, commissionAsset: gotAsset, time: at,
      isBuyer: order.side === 'BUY', isMaker,
    };
    this.#trades.push(trade);
    if (this.#duplicateExecutions > 0) {
      this.#duplicateExecutions--;
      this.#trades.push({ ...trade, id: this.#nextTradeId++ });
    }
    return trade;
  }
}

/** True while an order can still fill. */
export const isOpen = (order: SimOrder): boolean => order.status === 'NEW' || order.status === 'PARTIALLY_FILLED';
