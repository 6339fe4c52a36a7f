/**
 * The orders of the Binance trading provider: placement (checked against the symbol's filters before sending,
 * idempotent by client order id: a placement without an answer is resolved by looking the order up by that id,
 * never by placing it twice), cancel, status, open orders, and the reconciliation that turns what the venue
 * reports (placement answers, queries, polls) into order updates: each execution once and never past the venue's
 * executed quantity (executions.ts: a copy the venue lists is logged as `order.execution_refused`), then the final
 * state. Every update is a transition of the order machine (order-lifecycle.ts): one it refuses (an execution past
 * the order's quantity, a change to a final order) is logged as `order.transition_refused` and not published.
 */
import { createHash, randomUUID } from 'node:crypto';
import { advanceOrder, isFinalStatus, toOrder as orderOf, type OrderEvent, type OrderState } from '../../../machines/order.machine.ts';
import { realtimeError } from '../../errors.ts';
import type { LoggedEvent } from '../../events/fold.ts';
import type { OrderUpdate } from '../trading-provider.ts';
import type { Order, OrderRequest } from '../types.ts';
import { prepareOrder } from './filters.ts';
import { CLIENT_ORDER_ID, BINANCE_TRADING_CODES as CODES, type BinanceOrder, type BinanceOrderFill, type BinanceTrade } from './messages.ts';
import { chooseExecutions, type Execution } from './executions.ts';
import { acceptedState, rejectedState, venueStatusEvent, venueTime } from './order-lifecycle.ts';
import { feeInQuote, formatOrderId, orderStatusOf, parseOrderId, toOrder } from './parse.ts';
import type { BinanceTradingClient } from './rest-client.ts';
import type { SymbolCatalog } from './symbols.ts';

/** What the tracker needs from the provider. */
export interface OrderTrackerContext {
  readonly client: BinanceTradingClient;
  readonly catalog: SymbolCatalog;
  /** Clock of the order times the tracker stamps itself (orders rejected before sending). */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Publishes an order update and the fact to log. */
  readonly emit: (update: OrderUpdate | undefined, fact: LoggedEvent) => void;
  /** Called when the venue's account changed (placement, fill, cancel). */
  readonly touched: (symbol: string) => void;
}

interface Tracked {
  readonly symbol: string;
  readonly orderId: number;
  /** The caller's id when it had one (the venue may hold a hashed form). */
  readonly clientOrderId: string;
  /** The order's lifecycle, advanced through the order machine only. */
  state: OrderState;
  /** Executions already applied. */
  readonly tradeIds: Set<number>;
  /** Executions refused so far (logged once; not seen, so a later reading may still apply them). */
  readonly refusedIds: Set<number>;
  /** The venue's executed quantity last reported as not accounted for by the listed executions. */
  missingReportedAt?: number;
  /** The executed quantity the venue last reported: executions not yet applied are still to be read. */
  executed: number;
  lock: Promise<unknown>;
}

/** How an order came to be tracked. */
interface Adoption {
  /** Placed through this provider just now (reported as `order.placed`). */
  readonly placed?: boolean;
  /** The caller's client order id. */
  readonly clientOrderId?: string;
  /** Executions of a FULL placement answer. */
  readonly fills?: readonly BinanceOrderFill[];
  /** The request's free-text reason, kept in the log. */
  readonly why?: string;
}

const EPSILON = 1e-9;

const filledOf = (t: Tracked): number => t.state.context.filledQuantity;
/** True while the venue reported more executed quantity than the order machine has applied. */
const owed = (t: Pick<Tracked, 'state' | 'executed'>): boolean => t.executed > t.state.context.filledQuantity + EPSILON;
const PLACE_ATTEMPTS = 3;

/** Binance's client id for a caller's id: itself when valid, else a stable hash (so a retry maps to the same id). */
export const venueClientId = (callerId: string | undefined): string =>
  callerId === undefined ? `argo-${randomUUID().replace(/-/g, '').slice(0, 24)}`
    : CLIENT_ORDER_ID.test(callerId) ? callerId : `argo-${createHash('sha256').update(callerId).digest('hex').slice(0, 31)}`;

/** Orders placed or seen through one provider. */
export class OrderTracker {
  readonly #ctx: OrderTrackerContext;
  readonly #byId = new Map<string, Tracked>();
  readonly #byCaller = new Map<string, Promise<Order>>();
  readonly #rejected = new Map<string, Order>();

  constructor(context: OrderTrackerContext) {
    this.#ctx = context;
  }

  /** Places an order once per client order id; refusals resolve as rejected orders. */
  place(request: OrderRequest): Promise<Order> {
    if (typeof request !== 'object' || request === null) throw realtimeError('ORDER_INVALID', 'the order request is not an object');
    const caller = request.clientOrderId;
    const known = caller === undefined ? undefined : this.#byCaller.get(caller);
    if (known) return known.then((o) => this.#current(o));
    const placing = this.#place(request);
    if (caller !== undefined) {
      this.#byCaller.set(caller, placing);
      // A placement that failed without a verdict may be tried again with the same id.
      placing.catch(() => this.#byCaller.delete(caller));
    }
    return placing;
  }

  /** Cancels a working order; resolves with its final state. */
  async cancel(id: string): Promise<Order> {
    const rejected = this.#rejected.get(id);
    if (rejected) return rejected;
    const tracked = this.#byId.get(id) ?? (await this.#adoptById(id));
    if (!tracked) throw realtimeError('ORDER_NOT_FOUND', `Binance has no order with id ${id}`, { orderId: id });
    if (isFinalStatus(tracked.state.status)) return orderOf(tracked.state);
    const params = { symbol: tracked.symbol, orderId: tracked.orderId };
    const result = await this.#ctx.client.signed<BinanceOrder>('DELETE', '/api/v3/order', params, 1);
    this.#ctx.touched(tracked.symbol);
    // Already final (-2011) or no answer: the order itself says what became of it.
    if (result.kind === 'ok') return this.#reconcile(tracked, result.body);
    const now = await this.#query(tracked.symbol, { orderId: tracked.orderId });
    if (now === 'absent' || now === 'unknown') {
      throw realtimeError(result.kind === 'refused' ? 'ORDER_REJECTED' : 'REQUEST_FAILED', `cancelling ${id}: ${result.kind === 'refused' ? `${result.msg} (${result.code})` : result.reason}`, { orderId: id });
    }
    return this.#reconcile(tracked, now);
  }

  /** The order with this id, refreshed from the venue unless final; undefined when unknown. */
  async status(id: string): Promise<Order | undefined> {
    const rejected = this.#rejected.get(id);
    if (rejected) return rejected;
    const tracked = this.#byId.get(id);
    if (tracked && isFinalStatus(tracked.state.status) && !owed(tracked)) return orderOf(tracked.state);
    const ref = tracked ?? parseOrderId(id);
    if (!ref) return undefined;
    const venue = await this.#query(ref.symbol, { orderId: ref.orderId });
    if (venue === 'absent') return undefined;
    if (venue === 'unknown') {
      if (tracked) return orderOf(tracked.state);
      throw realtimeError('REQUEST_FAILED', `could not read order ${id} from Binance`, { orderId: id });
    }
    return tracked ? this.#reconcile(tracked, venue) : this.#adopt(venue);
  }

  /** Working orders at the venue (every symbol), oldest first; they are tracked from now on. */
  async openOrders(): Promise<Order[]> {
    const result = await this.#ctx.client.signed<BinanceOrder[]>('GET', '/api/v3/openOrders', {}, 80);
    if (result.kind !== 'ok') {
      throw realtimeError(result.kind === 'refused' ? 'REQUEST_REFUSED' : 'REQUEST_FAILED', `could not read the open orders: ${result.kind === 'refused' ? `${result.msg} (${result.code})` : result.reason}`);
    }
    const orders = await Promise.all(result.body.map((v) => {
      const tracked = this.#byId.get(formatOrderId(v.symbol, v.orderId));
      return tracked ? this.#reconcile(tracked, v) : this.#adopt(v);
    }));
    return orders.filter((o) => !isFinalStatus(o.status)).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Asks the venue about every working order (one request per symbol, plus one per order that left the book). */
  async poll(): Promise<void> {
    const pending = [...this.#byId.values()].filter((t) => !isFinalStatus(t.state.status) || owed(t));
    for (const symbol of new Set(pending.map((t) => t.symbol))) {
      const result = await this.#ctx.client.signed<BinanceOrder[]>('GET', '/api/v3/openOrders', { symbol }, 6);
      if (result.kind !== 'ok') {
        this.#ctx.emit(undefined, { type: 'venue.poll_failed', symbol, reason: result.kind === 'refused' ? `${result.msg} (${result.code})` : result.reason });
        continue;
      }
      const open = new Map(result.body.map((v) => [v.orderId, v]));
      for (const t of pending.filter((p) => p.symbol === symbol)) {
        const v = open.get(t.orderId);
        if (v && Number(v.executedQty) <= filledOf(t) + EPSILON && orderStatusOf(v.status) === t.state.status) continue;
        const venue = v ?? (await this.#query(symbol, { orderId: t.orderId }));
        if (typeof venue === 'object') await this.#reconcile(t, venue);
      }
    }
  }

  /** Takes over a working order found at the venue without reporting it as new (e.g. on connect). */
  async adoptOpen(orders: readonly BinanceOrder[]): Promise<void> {
    for (const v of orders) if (!this.#byId.has(formatOrderId(v.symbol, v.orderId))) await this.#adopt(v);
  }

  async #place(request: OrderRequest): Promise<Order> {
    const symbol = String(request.symbol ?? '').toUpperCase();
    const clientId = venueClientId(request.clientOrderId);
    const reject = (reason: string): Order => {
      const refused: OrderRequest = {
        symbol, side: request.side, type: request.type, quantity: request.quantity,
        ...(request.price !== undefined ? { price: request.price } : {}), clientOrderId: request.clientOrderId ?? clientId,
      };
      const order = orderOf(rejectedState(`rejected:${clientId}`, refused, reason, this.#ctx.now()));
      this.#rejected.set(order.id, order);
      this.#ctx.emit({ order }, { type: 'order.rejected', order, reason, ...(request.reason ? { why: request.reason } : {}) });
      return order;
    };
    if (request.side !== 'buy' && request.side !== 'sell') return reject(`side must be buy or sell, not ${String(request.side)}`);
    if (request.type !== 'market' && request.type !== 'limit') return reject(`Binance spot orders here are market or limit, not ${String(request.type)}`);
    if (!(typeof request.quantity === 'number' && request.quantity > 0 && Number.isFinite(request.quantity))) return reject('quantity must be a number > 0');
    const rules = await this.#ctx.catalog.rules(symbol);
    if (!rules) return reject(`Binance does not list ${symbol} (-1121 Invalid symbol.)`);
    const reference = request.type === 'market' ? await this.#ctx.catalog.price(symbol) : undefined;
    const prepared = prepareOrder(rules, request, reference);
    if (!prepared.ok) return reject(prepared.reason);

    const params = {
      symbol, side: request.side.toUpperCase(), type: request.type.toUpperCase(),
      ...(prepared.price !== undefined ? { timeInForce: 'GTC', price: prepared.price } : {}),
      quantity: prepared.quantity, newClientOrderId: clientId, newOrderRespType: 'FULL',
    };
    const caller = request.clientOrderId ?? clientId;
    let lastReason = '';
    for (let attempt = 1; attempt <= PLACE_ATTEMPTS; attempt++) {
      const result = await this.#ctx.client.signed<BinanceOrder>('POST', '/api/v3/order', params, 1, { isOrder: true });
      this.#ctx.touched(symbol);
      if (result.kind === 'ok') return this.#adopt(result.body, { placed: true, clientOrderId: caller, why: request.reason, fills: result.body.fills });
      const duplicate = result.kind === 'refused' && result.code === CODES.newOrderRejected && /duplicate/i.test(result.msg);
      if (result.kind === 'refused' && !duplicate) return reject(`${result.msg} (${result.code})`);
      // No answer (or a duplicate of an earlier try): the venue may hold the order. Look it up by client id.
      lastReason = result.kind === 'unknown' ? result.reason : result.msg;
      this.#ctx.emit(undefined, { type: 'order.outcome_unknown', symbol, clientOrderId: caller, attempt, reason: lastReason });
      let absent = 0;
      for (let look = 1; look <= 4 && absent < 2; look++) {
        await this.#ctx.sleep(250 * look);
        const found = await this.#query(symbol, { origClientOrderId: clientId });
        if (typeof found === 'object') return this.#adopt(found, { placed: true, clientOrderId: caller, why: request.reason });
        absent = found === 'absent' ? absent + 1 : 0;
      }
      if (absent < 2) {
        throw realtimeError('ORDER_OUTCOME_UNKNOWN', `placing ${caller} on ${symbol}: the outcome is unknown (${lastReason}); look the order up by its client order id later`, { symbol, clientOrderId: caller });
      }
      // Binance does not know the order (asked twice): it never arrived, so sending it again cannot duplicate it.
    }
    throw realtimeError('REQUEST_FAILED', `placing ${caller} on ${symbol}: no answer after ${PLACE_ATTEMPTS} tries and Binance does not know the order (${lastReason})`, { symbol, clientOrderId: caller });
  }

  /** The order by Binance id or client id: the order, 'absent' (-2013), or 'unknown' (no verdict). */
  async #query(symbol: string, ref: { orderId: number } | { origClientOrderId: string }): Promise<BinanceOrder | 'absent' | 'unknown'> {
    const result = await this.#ctx.client.signed<BinanceOrder>('GET', '/api/v3/order', { symbol, ...ref }, 4);
    if (result.kind === 'ok') return result.body;
    return result.kind === 'refused' && result.code === CODES.noSuchOrder ? 'absent' : 'unknown';
  }

  async #adoptById(id: string): Promise<Tracked | undefined> {
    const ref = parseOrderId(id);
    if (!ref) return undefined;
    const venue = await this.#query(ref.symbol, { orderId: ref.orderId });
    if (typeof venue !== 'object') return undefined;
    await this.#adopt(venue);
    return this.#byId.get(id);
  }

  /**
   * Starts tracking a venue order. A placement is reported as a new order, then its executions; an order found
   * otherwise (an earlier run's) is taken as it stands, and only what happens to it from now on is reported.
   */
  async #adopt(venue: BinanceOrder, how: Adoption = {}): Promise<Order> {
    const { placed = false, clientOrderId, fills, why } = how;
    const first = toOrder(venue, clientOrderId);
    const existing = this.#byId.get(first.id);
    if (existing) return this.#reconcile(existing, venue, fills);
    const tracked: Tracked = {
      symbol: venue.symbol, orderId: venue.orderId, clientOrderId: first.clientOrderId, state: acceptedState(venue, first.clientOrderId, why),
      tradeIds: new Set(), refusedIds: new Set(), executed: 0, lock: Promise.resolve(),
    };
    this.#byId.set(first.id, tracked);
    if (placed) {
      const accepted = orderOf(tracked.state);
      this.#ctx.emit({ order: accepted }, { type: 'order.placed', order: accepted, ...(why ? { why } : {}) });
    } else {
      if (Number(venue.executedQty) > 0) await this.#applyFills(tracked, venue, undefined, true);
      if (!owed({ ...tracked, executed: Number(venue.executedQty) })) this.#applyStatus(tracked, venue, true);
    }
    return this.#reconcile(tracked, venue, fills);
  }

  /** Reports what changed since the last report: each new execution, then a new final state. */
  #reconcile(t: Tracked, venue: BinanceOrder, fills?: readonly BinanceOrderFill[]): Promise<Order> {
    const run = t.lock.then(async () => {
      t.executed = Number(venue.executedQty);
      if (owed(t)) await this.#applyFills(t, venue, fills);
      // A venue's final status waits for the executions before it: applied first, it would refuse them.
      if (!owed(t)) this.#applyStatus(t, venue);
      return orderOf(t.state);
    });
    t.lock = run.catch(() => undefined);
    return run;
  }

  /** Applies the venue's status when it ends the order otherwise than by executions (`silent`: not reported). */
  #applyStatus(t: Tracked, venue: BinanceOrder, silent = false): void {
    const event = venueStatusEvent(venue, venueTime(venue, this.#ctx.now()));
    if (!event || orderStatusOf(venue.status) === t.state.status || !this.#advance(t, event)) return;
    const order = orderOf(t.state);
    if (!silent) this.#ctx.emit({ order }, { type: event.type, order });
  }

  /**
   * Applies the order's executions not applied yet, within the venue's executed quantity (executions.ts): one past
   * it is logged as `order.execution_refused` and weighed again at the next reading; a listing short of it is
   * logged once per executed quantity as `order.executions_missing` (`silent`: only records them as known).
   */
  async #applyFills(t: Tracked, venue: BinanceOrder, fills?: readonly BinanceOrderFill[], silent = false): Promise<void> {
    const rules = await this.#ctx.catalog.rules(t.symbol);
    const assets = rules ?? { baseAsset: '', quoteAsset: '' };
    let trades: Execution[];
    if (fills && fills.length > 0) {
      const at = venue.transactTime ?? this.#ctx.now();
      trades = fills.map((f) => ({ id: f.tradeId, price: Number(f.price), qty: Number(f.qty), commission: Number(f.commission), commissionAsset: f.commissionAsset, time: at }));
    } else {
      const result = await this.#ctx.client.signed<BinanceTrade[]>('GET', '/api/v3/myTrades', { symbol: t.symbol, orderId: t.orderId }, 5);
      if (result.kind !== 'ok') return; // reported on a later poll: the order stays pending until its trades are seen
      trades = result.body.map((x) => ({ id: x.id, price: Number(x.price), qty: Number(x.qty), commission: Number(x.commission), commissionAsset: x.commissionAsset, time: x.time }));
    }
    this.#ctx.touched(t.symbol);
    // The cumulative comes from the same answer as the fills, or from a reading taken before myTrades: a trade
    // list is never older than it, so a genuine execution it counts is listed.
    const executed = Number(venue.executedQty);
    const { filledQuantity, averagePrice } = t.state.context;
    const choice = chooseExecutions(trades, t.tradeIds, {
      executed, executedQuote: Number(venue.cummulativeQuoteQty), applied: filledQuantity, appliedQuote: filledQuantity * averagePrice,
    });
    for (const x of choice.apply) {
      t.tradeIds.add(x.id);
      t.refusedIds.delete(x.id);
      const fee = feeInQuote(x.commission, x.commissionAsset, x.price, assets);
      if (!this.#advance(t, { type: 'order.filled', quantity: x.qty, price: x.price, fee, at: x.time }, { tradeId: x.id }) || silent) continue;
      const order = orderOf(t.state);
      const fill = { orderId: order.id, symbol: t.symbol, side: order.side, quantity: x.qty, price: x.price, fee, at: x.time };
      this.#ctx.emit({ order, fill }, { type: 'order.filled', order, fill, tradeId: x.id, commission: x.commission, commissionAsset: x.commissionAsset });
    }
    // Logged after the applied ones, so `applied` is the total the refusal was judged against.
    for (const { execution: x, reason } of choice.refused) {
      if (t.refusedIds.has(x.id)) continue;
      t.refusedIds.add(x.id);
      this.#ctx.emit(undefined, { type: 'order.execution_refused', orderId: t.state.context.id, tradeId: x.id, quantity: x.qty, price: x.price, applied: filledOf(t), venueExecuted: executed, reason });
    }
    // A lost execution: nothing is invented from the cumulative (its price and fee are unknown); the order stays
    // pending and its trades are read again on every poll until they account for what the venue executed.
    if (!fills?.length && executed > filledOf(t) + EPSILON && t.missingReportedAt !== executed) {
      t.missingReportedAt = executed;
      this.#ctx.emit(undefined, { type: 'order.executions_missing', orderId: t.state.context.id, applied: filledOf(t), venueExecuted: executed });
    }
  }

  /** Moves the order through the machine; a transition it refuses is logged, and the order stays as it was. */
  #advance(t: Tracked, event: OrderEvent, detail: Record<string, unknown> = {}): boolean {
    const next = advanceOrder(t.state, event);
    if (next === t.state) {
      this.#ctx.emit(undefined, { type: 'order.transition_refused', orderId: t.state.context.id, status: t.state.status, event, ...detail });
      return false;
    }
    t.state = next;
    return true;
  }

  #current(order: Order): Order {
    const tracked = this.#byId.get(order.id);
    return tracked ? orderOf(tracked.state) : this.#rejected.get(order.id) ?? order;
  }
}
