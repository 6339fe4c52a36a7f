/**
 * The simulated IBKR account behind the TWS simulator: orders per (client id, order id), a price per symbol,
 * deterministic fills, positions with IB's commission-inclusive average cost, cash, and commission reports with
 * realized P&L. Market orders fill at the symbol's price on arrival; limit orders fill at that price when
 * marketable on arrival, otherwise at their limit once `setPrice` crosses them; stop orders fill at the price
 * that triggers them. Commissions follow IBKR Fixed pricing (per share, with a minimum and a 1 % cap). No I/O:
 * every action returns the facts the server must send.
 */

/** A stock contract as the simulator knows it. */
export interface SimContract {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly exchange: string;
  readonly primaryExchange: string;
  readonly currency: string;
}

/** TWS order statuses the simulator uses. */
export type SimOrderStatus = 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

/** One order at the simulated TWS. */
export interface SimOrder {
  readonly clientId: number;
  readonly orderId: number;
  readonly permId: number;
  readonly account: string;
  readonly contract: SimContract;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly orderType: 'MKT' | 'LMT' | 'STP';
  readonly limitPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly orderRef: string;
  status: SimOrderStatus;
  filled: number;
  avgFillPrice: number;
  lastFillPrice: number;
}

/** One execution with its commission report. */
export interface SimExecution {
  readonly execId: string;
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly account: string;
  readonly contract: SimContract;
  readonly exchange: string;
  readonly side: 'BOT' | 'SLD';
  readonly shares: number;
  readonly price: number;
  /** `yyyyMMdd HH:mm:ss UTC`, as TWS prints execution times (with its own zone). */
  readonly time: string;
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly orderRef: string;
  readonly commission: number;
  /** Realized P&L net of commission; undefined for an opening trade (TWS sends Double.MAX_VALUE). */
  readonly realizedPnl: number | undefined;
  /** 1 added, 2 removed liquidity. */
  readonly liquidity: number;
}

/** A position of one account in one contract; closed positions stay listed with quantity 0, as in TWS. */
export interface SimPosition {
  readonly account: string;
  readonly contract: SimContract;
  readonly quantity: number;
  readonly averageCost: number;
}

/** What the server must tell clients after a broker action; orders are copies taken when the fact happened. */
export type BrokerOutput =
  | { readonly kind: 'order'; readonly order: SimOrder }
  | { readonly kind: 'execution'; readonly execution: SimExecution }
  | { readonly kind: 'orderError'; readonly clientId: number; readonly orderId: number; readonly code: number; readonly message: string }
  | { readonly kind: 'position'; readonly position: SimPosition }
  | { readonly kind: 'account'; readonly account: string };

/** An order as the client asked for it. */
export interface PlaceRequest {
  readonly orderId: number;
  readonly contract: Omit<SimContract, 'conId'>;
  readonly action: string;
  readonly quantity: number;
  readonly orderType: string;
  readonly limitPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
}

/** Account and pricing rules. */
export interface BrokerSettings {
  readonly accounts: readonly string[];
  readonly initialCash: number;
  readonly currency: string;
  readonly commissionPerShare: number;
  readonly minCommission: number;
  readonly maxCommissionRate: number;
  readonly firstOrderId: number;
  readonly now: () => number;
}

const EPSILON = 1e-9;
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const pad = (n: number): string => String(n).padStart(2, '0');

/** `yyyyMMdd HH:mm:ss UTC` of a Unix ms time. */
export const twsTime = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
};

/** A stable contract id per symbol (FNV-1a), so every connection sees the same conId. */
export const conIdOf = (symbol: string): number => {
  let h = 0x811c9dc5;
  for (const ch of symbol) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 1_000_000 + (h % 900_000_000);
};

/** The position after a fill: IB's average cost includes commission; realized P&L only on closing quantity. */
export const applyFill = (quantity: number, averageCost: number, signed: number, price: number, commission: number) => {
  if (quantity === 0 || Math.sign(quantity) === Math.sign(signed)) {
    const next = quantity + signed;
    // A long pays the commission into its cost; a short nets it off its proceeds.
    const basis = Math.abs(quantity) * averageCost + Math.abs(signed) * price + Math.sign(signed) * commission;
    return { quantity: next, averageCost: basis / Math.abs(next), realized: undefined };
  }
  const closing = Math.min(Math.abs(quantity), Math.abs(signed));
  const opening = Math.abs(signed) - closing;
  const closeCommission = (commission * closing) / Math.abs(signed);
  const realized = (price - averageCost) * closing * Math.sign(quantity) - closeCommission;
  const raw = quantity + signed;
  const next = Math.abs(raw) < EPSILON ? 0 : raw;
  if (opening < EPSILON) return { quantity: next, averageCost: next === 0 ? 0 : averageCost, realized };
  const openCommission = commission - closeCommission;
  return { quantity: next, averageCost: (opening * price + Math.sign(signed) * openCommission) / opening, realized };
};

/** The simulated account(s), orders and market prices. */
export class SimBroker {
  readonly settings: BrokerSettings;
  readonly #orders = new Map<string, SimOrder>();
  readonly #executions: SimExecution[] = [];
  readonly #positions = new Map<string, SimPosition>();
  readonly #cash = new Map<string, number>();
  readonly #prices = new Map<string, number>();
  readonly #nextIds = new Map<number, number>();
  #permId = 1_000_000;
  #rejectNext: string | undefined;
  #partialFills = 0;
  #loseOrders = 0;
  #silentOrders = 0;

  constructor(settings: BrokerSettings, prices: Readonly<Record<string, number>> = {}) {
    this.settings = settings;
    for (const a of settings.accounts) this.#cash.set(a, settings.initialCash);
    for (const [s, p] of Object.entries(prices)) this.#prices.set(s.toUpperCase(), p);
  }

  /** The order id TWS would hand this client as `nextValidId`. */
  nextOrderId(clientId: number): number {
    return this.#nextIds.get(clientId) ?? this.settings.firstOrderId;
  }

  /** The current price of `symbol`, if set. */
  price(symbol: string): number | undefined {
    return this.#prices.get(symbol.toUpperCase());
  }

  /** Makes the next order placed be rejected with error 201 and this reason. */
  rejectNextOrder(reason: string): void {
    this.#rejectNext = reason;
  }

  /** Fault: the next `count` fills each execute half of what is left of their order (whole shares, at least one left). */
  partialNextFills(count: number): void {
    this.#partialFills += count;
  }

  /** Fault: the next `count` orders placed are lost on the way in: TWS never answers and never lists them. */
  loseNextOrders(count: number): void {
    this.#loseOrders += count;
  }

  /** Fault: the next `count` orders placed work, but their acknowledgement (openOrder, orderStatus) is never sent. */
  silenceNextOrders(count: number): void {
    this.#silentOrders += count;
  }

  /** Sets a price and fills the working orders it crosses (and the rest of partially filled market orders). */
  setPrice(symbol: string, price: number): BrokerOutput[] {
    if (!(price > 0) || !Number.isFinite(price)) throw new RangeError(`price of ${symbol} must be a positive number`);
    const s = symbol.toUpperCase();
    this.#prices.set(s, price);
    const out: BrokerOutput[] = [];
    for (const o of this.#orders.values()) {
      if (o.status !== 'Submitted' || o.contract.symbol !== s) continue;
      const buy = o.action === 'BUY';
      if (o.orderType === 'MKT') out.push(...this.#fill(o, price));
      if (o.orderType === 'LMT' && o.limitPrice !== undefined && (buy ? price <= o.limitPrice : price >= o.limitPrice)) out.push(...this.#fill(o, o.limitPrice));
      if (o.orderType === 'STP' && o.auxPrice !== undefined && (buy ? price >= o.auxPrice : price <= o.auxPrice)) out.push(...this.#fill(o, price));
    }
    return out;
  }

  /** Places an order for `clientId`: an error, or the accepted order and any immediate fill. */
  place(clientId: number, r: PlaceRequest): BrokerOutput[] {
    const key = `${clientId}:${r.orderId}`;
    const reject = (code: number, message: string): BrokerOutput[] => [{ kind: 'orderError', clientId, orderId: r.orderId, code, message }];
    if (this.#orders.has(key)) return reject(103, 'Duplicate order id');
    if (r.orderId < this.nextOrderId(clientId)) return reject(103, 'Duplicate order id');
    this.#nextIds.set(clientId, r.orderId + 1);
    if (this.#loseOrders > 0) {
      this.#loseOrders--;
      return [];
    }
    const symbol = r.contract.symbol.toUpperCase();
    if (r.contract.secType !== 'STK' || r.contract.currency !== this.settings.currency || symbol === '') {
      return reject(200, 'No security definition has been found for the request');
    }
    const account = r.account || this.settings.accounts[0]!;
    const type = r.orderType === 'MKT' || r.orderType === 'LMT' || r.orderType === 'STP' ? r.orderType : undefined;
    const action = r.action === 'BUY' || r.action === 'SELL' ? r.action : undefined;
    const market = this.#prices.get(symbol);
    const why = this.#rejectNext ?? (
      !this.#cash.has(account) ? `account ${account} is not managed by this login`
        : !action ? `unknown action ${r.action}`
          : !type ? `order type ${r.orderType} is not supported by the simulator`
            : !(r.quantity > 0) || !Number.isFinite(r.quantity) ? 'the order size must be positive'
              : type === 'LMT' && !(r.limitPrice! > 0) ? 'a limit order needs a positive limit price'
                : type === 'STP' && !(r.auxPrice! > 0) ? 'a stop order needs a positive stop price'
                  : type === 'MKT' && market === undefined ? `no market price for ${symbol}`
                    : undefined);
    this.#rejectNext = undefined;
    if (why === undefined && action === 'BUY') {
      const unit = type === 'LMT' ? Math.min(r.limitPrice!, market ?? r.limitPrice!) : market ?? r.auxPrice!;
      const cost = r.quantity * unit + this.#commission(r.quantity, r.quantity * unit);
      const cash = this.#cash.get(account)!;
      if (cost > cash) return this.#rejectOrder(clientId, r.orderId, `insufficient cash: the order needs ${round(cost, 2)}, the account has ${round(cash, 2)}`);
    }
    if (why !== undefined) return this.#rejectOrder(clientId, r.orderId, why);
    const order: SimOrder = {
      clientId, orderId: r.orderId, permId: ++this.#permId, account,
      contract: { conId: conIdOf(symbol), symbol, secType: 'STK', exchange: r.contract.exchange || 'SMART', primaryExchange: r.contract.primaryExchange, currency: r.contract.currency },
      action: action!, quantity: r.quantity, orderType: type!, limitPrice: r.limitPrice, auxPrice: r.auxPrice,
      tif: r.tif || 'DAY', orderRef: r.orderRef, status: 'Submitted', filled: 0, avgFillPrice: 0, lastFillPrice: 0,
    };
    this.#orders.set(key, order);
    const silent = this.#silentOrders > 0;
    if (silent) this.#silentOrders--;
    const out: BrokerOutput[] = silent ? [] : [{ kind: 'order', order: { ...order } }];
    if (market === undefined) return out;
    const buy = order.action === 'BUY';
    if (type === 'MKT') out.push(...this.#fill(order, market));
    else if (type === 'LMT' && (buy ? market <= order.limitPrice! : market >= order.limitPrice!)) out.push(...this.#fill(order, market));
    else if (type === 'STP' && (buy ? market >= order.auxPrice! : market <= order.auxPrice!)) out.push(...this.#fill(order, market));
    return out;
  }

  /** Cancels an order of `clientId`: error 202 and the cancelled order, or 10147 / 10148 when it cannot be. */
  cancel(clientId: number, orderId: number): BrokerOutput[] {
    const order = this.#orders.get(`${clientId}:${orderId}`);
    if (!order) return [{ kind: 'orderError', clientId, orderId, code: 10147, message: `OrderId ${orderId} that needs to be cancelled is not found.` }];
    if (order.status !== 'Submitted') {
      return [{ kind: 'orderError', clientId, orderId, code: 10148, message: `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${order.status}.` }];
    }
    order.status = 'Cancelled';
    return [{ kind: 'orderError', clientId, orderId, code: 202, message: 'Order Canceled - reason:' }, { kind: 'order', order: { ...order } }];
  }

  /** Orders of one client (or all), optionally only working ones, in placement order. */
  orders(clientId?: number, workingOnly = false): SimOrder[] {
    return [...this.#orders.values()].filter((o) => (clientId === undefined || o.clientId === clientId) && (!workingOnly || o.status === 'Submitted'));
  }

  /** Executions matching a filter (0 / empty matches all), oldest first. */
  executions(filter: { clientId?: number; account?: string; symbol?: string; side?: string } = {}): SimExecution[] {
    const side = filter.side === 'BUY' ? 'BOT' : filter.side === 'SELL' ? 'SLD' : filter.side;
    return this.#executions.filter((e) => (!filter.clientId || e.clientId === filter.clientId) && (!filter.account || e.account === filter.account) &&
      (!filter.symbol || e.contract.symbol === filter.symbol.toUpperCase()) && (!side || e.side === side));
  }

  /** Every position, closed ones (quantity 0) included. */
  positions(): SimPosition[] {
    return [...this.#positions.values()];
  }

  /** Cash of an account. */
  cash(account: string): number {
    return this.#cash.get(account) ?? 0;
  }

  /** Account summary values: `[tag, value, currency]` for each requested tag the simulator knows. */
  summary(account: string, tags: readonly string[]): [string, string, string][] {
    const cash = this.cash(account);
    const held = this.positions().filter((p) => p.account === account);
    const value = held.reduce((sum, p) => sum + p.quantity * (this.price(p.contract.symbol) ?? p.averageCost), 0);
    const gross = held.reduce((sum, p) => sum + Math.abs(p.quantity * (this.price(p.contract.symbol) ?? p.averageCost)), 0);
    const ccy = this.settings.currency;
    const known: Record<string, [string, string]> = {
      AccountType: ['INDIVIDUAL', ''], NetLiquidation: [(cash + value).toFixed(2), ccy], TotalCashValue: [cash.toFixed(2), ccy],
      SettledCash: [cash.toFixed(2), ccy], EquityWithLoanValue: [(cash + value).toFixed(2), ccy], GrossPositionValue: [gross.toFixed(2), ccy],
      AvailableFunds: [cash.toFixed(2), ccy], BuyingPower: [cash.toFixed(2), ccy],
    };
    return tags.filter((t) => t in known).map((t) => [t, known[t]![0], known[t]![1]]);
  }

  #commission(shares: number, notional: number): number {
    const s = this.settings;
    return round(Math.min(Math.max(s.minCommission, shares * s.commissionPerShare), s.maxCommissionRate * notional), 4);
  }

  #rejectOrder(clientId: number, orderId: number, reason: string): BrokerOutput[] {
    return [{ kind: 'orderError', clientId, orderId, code: 201, message: `Order rejected - reason:${reason}` }];
  }

  #fill(order: SimOrder, price: number): BrokerOutput[] {
    const remaining = order.quantity - order.filled;
    const partial = this.#partialFills > 0 && remaining > 1;
    if (partial) this.#partialFills--;
    const shares = partial ? Math.floor(remaining / 2) : remaining;
    const notional = shares * price;
    const commission = this.#commission(shares, notional);
    const buy = order.action === 'BUY';
    const key = `${order.account}|${order.contract.symbol}`;
    const before = this.#positions.get(key) ?? { account: order.account, contract: order.contract, quantity: 0, averageCost: 0 };
    const after = applyFill(before.quantity, before.averageCost, buy ? shares : -shares, price, commission);
    const position: SimPosition = { account: order.account, contract: order.contract, quantity: after.quantity, averageCost: after.averageCost };
    this.#positions.set(key, position);
    this.#cash.set(order.account, this.cash(order.account) + (buy ? -notional - commission : notional - commission));
    order.avgFillPrice = (order.avgFillPrice * order.filled + notional) / (order.filled + shares);
    order.filled += shares;
    order.lastFillPrice = price;
    order.status = order.filled < order.quantity ? 'Submitted' : 'Filled';
    const seq = this.#executions.length + 1;
    const execution: SimExecution = {
      execId: `0000e0d5.${seq.toString(16).padStart(8, '0')}.01.01`, orderId: order.orderId, clientId: order.clientId, permId: order.permId,
      account: order.account, contract: order.contract, exchange: 'SIMX', side: buy ? 'BOT' : 'SLD', shares, price,
      time: twsTime(this.settings.now()), cumQty: order.filled, avgPrice: order.avgFillPrice, orderRef: order.orderRef, commission,
      realizedPnl: after.realized === undefined ? undefined : round(after.realized, 6), liquidity: order.orderType === 'LMT' && price === order.limitPrice ? 1 : 2,
    };
    this.#executions.push(execution);
    return [{ kind: 'execution', execution }, { kind: 'order', order: { ...order } }, { kind: 'position', position }, { kind: 'account', account: order.account }];
  }
}
