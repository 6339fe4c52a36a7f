/**
 * What the risk engine knows, as plain JSON data, and the pure fold that keeps it: `applyRisk(state, input)`.
 * Inputs are the facts the guarded provider sees (bars, orders sent, venue answers and updates, fills, kill and
 * reset); every input carries its time, so the fold never reads a clock. A breach of the daily loss limit trips
 * the kill switch inside the fold; the guarded provider acts on the trip (cancels, flattens).
 */
import type { Fill, Order, OrderRequest, OrderSide } from '../trading/types.ts';
import type { RiskLimits } from './config.ts';

/** Every pre-trade check, in the order they run. */
export const RISK_CHECKS = [
  'kill_switch', 'invalid_order', 'symbol', 'order_quantity', 'no_price', 'price_band', 'order_notional',
  'rate_second', 'rate_minute', 'open_orders', 'position', 'exposure',
] as const;

/** One of {@link RISK_CHECKS}: the check that refused an order. */
export type RiskCheck = (typeof RISK_CHECKS)[number];

/** Armed (orders pass the checks) or tripped (every new order is refused until a reset). */
export type KillSwitch =
  | { readonly status: 'armed' }
  | { readonly status: 'tripped'; readonly reason: string; readonly source: 'manual' | 'daily_loss'; readonly at: number };

/** A net position as the engine tracks it from fills. */
export interface RiskBook {
  readonly quantity: number;
  readonly averagePrice: number;
  readonly realizedPnl: number;
}

/** An order sent to the venue and not final yet, with the quantity still to fill. */
export interface WorkingOrder {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly remaining: number;
}

/** The whole risk state. */
export interface RiskState {
  readonly limits: RiskLimits;
  readonly books: Readonly<Record<string, RiskBook>>;
  /** Last close per symbol, in shards by symbol hash (see {@link markOf}). */
  readonly marks: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** By venue order id, or by a pending key while the venue has not answered. */
  readonly working: Readonly<Record<string, WorkingOrder>>;
  /** Updates of ids not (yet) working here: the venue may report a fill before `placeOrder` resolves. */
  readonly seen: Readonly<Record<string, { readonly final: boolean; readonly filled: number }>>;
  /** Times orders were sent to the venue during the last minute, oldest first. */
  readonly sent: readonly number[];
  readonly fees: number;
  /** Account equity when the engine synced with the venue (null when the venue does not report it). */
  readonly equityBase: number | null;
  /** Tracked P&L at that moment: equity now is `equityBase + pnl − pnlBase`. */
  readonly pnlBase: number;
  /** The UTC day (days since the epoch) the daily loss counts from, and the equity it started with. */
  readonly day: number | null;
  readonly dayStartEquity: number;
  readonly kill: KillSwitch;
  readonly rejected: Readonly<Record<RiskCheck, number>>;
  readonly trips: number;
}

/** A fact the engine folds. */
export type RiskInput =
  | { readonly type: 'synced'; readonly positions: readonly { readonly symbol: string; readonly quantity: number; readonly averagePrice: number }[]; readonly openOrders: readonly Order[]; readonly equity: number | null; readonly dayStart?: { readonly day: number; readonly equity: number }; readonly at: number }
  | { readonly type: 'bar'; readonly symbol: string; readonly close: number; readonly at: number }
  | { readonly type: 'submitted'; readonly key: string; readonly request: OrderRequest; readonly at: number }
  | { readonly type: 'placed'; readonly key: string; readonly order: Order }
  | { readonly type: 'dropped'; readonly key: string }
  | { readonly type: 'updated'; readonly order: Order }
  | { readonly type: 'filled'; readonly fill: Fill }
  | { readonly type: 'rejected'; readonly check: RiskCheck }
  | { readonly type: 'kill'; readonly reason: string; readonly source: 'manual' | 'daily_loss'; readonly at: number }
  | { readonly type: 'reset'; readonly at: number };

const DAY_MS = 86_400_000;
const MAX_SEEN = 1_000;
const FINAL = new Set(['filled', 'cancelled', 'rejected', 'failed']);

/** Own-property lookup: symbols and ids are user strings (`__proto__` must not read the prototype). */
export const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

const without = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _gone, ...rest } = record;
  return rest;
};

/** A fresh state under `limits`, armed (or tripped by `kill`, e.g. carried over from a resumed session). */
export const initialRiskState = (limits: RiskLimits, kill: KillSwitch = { status: 'armed' }): RiskState => ({
  limits, books: {}, marks: {}, working: {}, seen: {}, sent: [], fees: 0, equityBase: null, pnlBase: 0, day: null, dayStartEquity: 0,
  kill, rejected: Object.fromEntries(RISK_CHECKS.map((c) => [c, 0])) as Record<RiskCheck, number>, trips: 0,
});

// A bar copies one shard (symbols/64 marks), not every symbol's: one flat record cost 0.6 ms per bar at 1,000 symbols.
const MARK_SHARDS = 64;
const shardOf = (symbol: string): string => {
  let h = 0;
  for (let i = 0; i < symbol.length; i++) h = (h * 31 + symbol.charCodeAt(i)) | 0;
  return String((h >>> 0) % MARK_SHARDS);
};

/** The last close of `symbol` (upper case), if a bar of it closed. */
export const markOf = (state: RiskState, symbol: string): number | undefined => {
  const shard = own(state.marks, shardOf(symbol));
  return shard ? own(shard, symbol) : undefined;
};

const withMark = (marks: RiskState['marks'], symbol: string, close: number): RiskState['marks'] => {
  const key = shardOf(symbol);
  return { ...marks, [key]: { ...own(marks, key), [symbol]: close } };
};

/** The price positions of `symbol` are valued at: its last close, else its average entry price. */
export const priceOf = (state: RiskState, symbol: string): number | undefined => markOf(state, symbol) ?? own(state.books, symbol)?.averagePrice;

/** Realised plus unrealised P&L at the marks, after fees, since the engine started tracking. */
export const trackedPnl = (state: RiskState): number =>
  Object.entries(state.books).reduce((sum, [symbol, b]) => sum + b.realizedPnl + b.quantity * ((priceOf(state, symbol) ?? b.averagePrice) - b.averagePrice), -state.fees);

/** Account equity now, as far as the engine can tell. */
export const equityNow = (state: RiskState): number => (state.equityBase ?? 0) + trackedPnl(state) - state.pnlBase;

/** Equity change since the start of the day (negative is a loss). */
export const dailyPnl = (state: RiskState): number => equityNow(state) - state.dayStartEquity;

/** The loss that trips the kill switch today, or null when no loss limit applies. */
export const dailyLossLimit = (state: RiskState): number | null => {
  const { maxDailyLoss, maxDailyLossPct } = state.limits;
  const pct = maxDailyLossPct !== null && state.equityBase !== null && state.dayStartEquity > 0 ? (state.dayStartEquity * maxDailyLossPct) / 100 : null;
  if (maxDailyLoss === null) return pct;
  return pct === null ? maxDailyLoss : Math.min(maxDailyLoss, pct);
};

const dayOf = (at: number): number => Math.floor(at / DAY_MS);

const rollDay = (state: RiskState, at: number): RiskState =>
  state.day === null || dayOf(at) > state.day ? { ...state, day: dayOf(at), dayStartEquity: equityNow(state) } : state;

const tripIfBreached = (state: RiskState, at: number): RiskState => {
  const limit = dailyLossLimit(state);
  const loss = -dailyPnl(state);
  if (state.kill.status !== 'armed' || limit === null || loss < limit) return state;
  return {
    ...state, trips: state.trips + 1,
    kill: { status: 'tripped', source: 'daily_loss', at, reason: `daily loss ${round(loss)} reached the limit of ${round(limit)}` },
  };
};

/** A number short enough for a message. */
export const round = (x: number): string => String(Number(x.toPrecision(8)));

const bookAfterFill = (before: RiskBook | undefined, fill: Fill): RiskBook => {
  const b = before ?? { quantity: 0, averagePrice: 0, realizedPnl: 0 };
  const signed = fill.side === 'buy' ? fill.quantity : -fill.quantity;
  const raw = b.quantity + signed;
  const quantity = Math.abs(raw) <= Math.max(Math.abs(b.quantity), fill.quantity) * 1e-9 ? 0 : raw;
  if (b.quantity === 0 || Math.sign(b.quantity) === Math.sign(signed)) {
    return { quantity, realizedPnl: b.realizedPnl, averagePrice: (Math.abs(b.quantity) * b.averagePrice + fill.quantity * fill.price) / Math.abs(raw) };
  }
  const closed = Math.min(fill.quantity, Math.abs(b.quantity));
  return {
    quantity,
    realizedPnl: b.realizedPnl + closed * (fill.price - b.averagePrice) * Math.sign(b.quantity),
    averagePrice: quantity === 0 ? 0 : Math.sign(quantity) === Math.sign(b.quantity) ? b.averagePrice : fill.price,
  };
};

const working = (order: Order): WorkingOrder => ({ symbol: order.symbol.toUpperCase(), side: order.side, remaining: Math.max(0, order.quantity - order.filledQuantity) });

const remember = (seen: RiskState['seen'], id: string, entry: { final: boolean; filled: number }): RiskState['seen'] => {
  const next = { ...seen, [id]: entry };
  const keys = Object.keys(next);
  return keys.length > MAX_SEEN ? without(next, keys[0]!) : next;
};

/** The state after one input. */
export const applyRisk = (state: RiskState, input: RiskInput): RiskState => {
  switch (input.type) {
    case 'synced': {
      const books = Object.fromEntries(input.positions.filter((p) => p.quantity !== 0).map((p) => [p.symbol.toUpperCase(), { quantity: p.quantity, averagePrice: p.averagePrice, realizedPnl: 0 }]));
      const open = Object.fromEntries(input.openOrders.filter((o) => !FINAL.has(o.status)).map((o) => [o.id, working(o)]));
      const synced: RiskState = { ...state, books, fees: 0, working: { ...state.working, ...open } };
      const based: RiskState = { ...synced, equityBase: input.equity, pnlBase: trackedPnl(synced) };
      const resumedDay = input.dayStart && input.dayStart.day === dayOf(input.at) ? { day: input.dayStart.day, dayStartEquity: input.dayStart.equity } : {};
      return tripIfBreached(rollDay({ ...based, ...resumedDay }, input.at), input.at);
    }
    case 'bar': {
      if (!Number.isFinite(input.close) || input.close <= 0) return state;
      const rolled = rollDay(state, input.at);
      return tripIfBreached({ ...rolled, marks: withMark(rolled.marks, input.symbol.toUpperCase(), input.close) }, input.at);
    }
    case 'submitted': {
      const { request: r } = input;
      const sent = [...state.sent.filter((t) => t > input.at - 60_000), input.at];
      return { ...state, sent, working: { ...state.working, [input.key]: { symbol: r.symbol.toUpperCase(), side: r.side, remaining: r.quantity } } };
    }
    case 'placed': {
      const rest = without(state.working, input.key);
      const early = own(state.seen, input.order.id);
      const seen = early ? without(state.seen, input.order.id) : state.seen;
      const filled = Math.max(input.order.filledQuantity, early?.filled ?? 0);
      if (FINAL.has(input.order.status) || early?.final) return { ...state, working: without(rest, input.order.id), seen };
      return { ...state, seen, working: { ...rest, [input.order.id]: working({ ...input.order, filledQuantity: filled }) } };
    }
    case 'dropped':
      return { ...state, working: without(state.working, input.key) };
    case 'updated': {
      const { order } = input;
      const final = FINAL.has(order.status);
      if (!own(state.working, order.id)) return { ...state, seen: remember(state.seen, order.id, { final, filled: order.filledQuantity }) };
      return { ...state, working: final ? without(state.working, order.id) : { ...state.working, [order.id]: working(order) } };
    }
    case 'filled': {
      const { fill } = input;
      if (!Number.isFinite(fill.quantity) || !Number.isFinite(fill.price) || fill.quantity <= 0) return state;
      const symbol = fill.symbol.toUpperCase();
      const rolled = rollDay(state, fill.at);
      const next = { ...rolled, fees: rolled.fees + (Number.isFinite(fill.fee) ? fill.fee : 0), books: { ...rolled.books, [symbol]: bookAfterFill(own(rolled.books, symbol), fill) } };
      return tripIfBreached(next, fill.at);
    }
    case 'rejected':
      return { ...state, rejected: { ...state.rejected, [input.check]: state.rejected[input.check] + 1 } };
    case 'kill':
      if (state.kill.status === 'tripped') return state;
      return { ...state, trips: state.trips + 1, kill: { status: 'tripped', reason: input.reason, source: input.source, at: input.at } };
    case 'reset': {
      // Refused (the switch stays as it was) while the loss limit is still breached: it would trip again at once.
      const armed = rollDay({ ...state, kill: { status: 'armed' } }, input.at);
      return tripIfBreached(armed, input.at).kill.status === 'armed' ? armed : state;
    }
  }
};
