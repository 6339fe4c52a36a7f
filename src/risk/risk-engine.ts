/**
 * The pre-trade risk engine's decision: `checkOrder(state, request, now)` runs every check against the state
 * folded by `applyRisk` and returns the first that refuses the order, with a reason a person can act on. Pure:
 * no clock (`now` is passed in), no I/O. Position and exposure checks count every working order on the same side
 * as if it filled, so orders in flight can never add up past a limit.
 */
import type { ErrorCode } from '../errors.ts';
import type { OrderRequest, OrderSide } from '../trading/types.ts';
import { markOf, own, priceOf, round, type RiskCheck, type RiskState } from './risk-state.ts';

/** The engine's answer: the order may go to the venue, or the check that refused it and why. */
export type RiskVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly check: RiskCheck; readonly code: ErrorCode; readonly reason: string };

const isPositive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Why a request is not a well-formed order, or undefined. */
export const orderProblem = (request: unknown): string | undefined => {
  if (typeof request !== 'object' || request === null) return 'the order request is not an object';
  const r = request as Partial<Record<keyof OrderRequest, unknown>>;
  if (typeof r.symbol !== 'string' || r.symbol.trim() === '') return 'symbol must be a non-empty string';
  if (r.side !== 'buy' && r.side !== 'sell') return `side must be buy or sell, got ${String(r.side)}`;
  if (r.type !== 'market' && r.type !== 'limit' && r.type !== 'stop') return `type must be market, limit or stop, got ${String(r.type)}`;
  if (!isPositive(r.quantity)) return `quantity must be a positive finite number, got ${String(r.quantity)}`;
  if (r.type === 'limit' && !isPositive(r.price)) return `a limit order needs a positive finite price, got ${String(r.price)}`;
  if (r.type === 'stop' && !isPositive(r.stopPrice)) return `a stop order needs a positive finite stopPrice, got ${String(r.stopPrice)}`;
  return undefined;
};

/** Remaining quantity of the working buys and sells, per symbol. */
type Working = ReadonlyMap<string, { readonly buy: number; readonly sell: number }>;

const workingBySymbol = (state: RiskState): Working => {
  const out = new Map<string, { buy: number; sell: number }>();
  for (const w of Object.values(state.working)) {
    const entry = out.get(w.symbol) ?? { buy: 0, sell: 0 };
    entry[w.side] += w.remaining;
    out.set(w.symbol, entry);
  }
  return out;
};

/** The larger of a symbol's worst long and worst short case (working orders filled), valued at its price, plus an order. */
const symbolExposure = (state: RiskState, working: Working, symbol: string, order?: { side: OrderSide; quantity: number }): number => {
  const q = own(state.books, symbol)?.quantity ?? 0;
  const w = working.get(symbol) ?? { buy: 0, sell: 0 };
  const long = q + w.buy + (order?.side === 'buy' ? order.quantity : 0);
  const short = q - w.sell - (order?.side === 'sell' ? order.quantity : 0);
  return Math.max(Math.abs(long), Math.abs(short)) * (priceOf(state, symbol) ?? 0);
};

const exposureOf = (state: RiskState, working: Working): number => {
  let sum = 0;
  for (const symbol of new Set([...Object.keys(state.books), ...working.keys()])) sum += symbolExposure(state, working, symbol);
  return sum;
};

/** Worst-case position value of one symbol (working orders counted as filled). */
export const positionExposure = (state: RiskState, symbol: string): number => symbolExposure(state, workingBySymbol(state), symbol.toUpperCase());

/** Worst-case value of every position (working orders counted as filled). */
export const totalExposure = (state: RiskState): number => exposureOf(state, workingBySymbol(state));

/** Orders sent within `windowMs` before `now`. */
export const sentWithin = (state: RiskState, now: number, windowMs: number): number => state.sent.filter((t) => t > now - windowMs).length;

// Limits are plain data; the lookup set of their symbols is built once per list.
const allowedSets = new WeakMap<readonly string[], ReadonlySet<string>>();
const allowed = (symbols: readonly string[]): ReadonlySet<string> => {
  let set = allowedSets.get(symbols);
  if (!set) allowedSets.set(symbols, (set = new Set(symbols)));
  return set;
};

// A symbol as a reason quotes it: quoted and clipped when it is not a plain ticker (it may come from a strategy).
const shown = (symbol: string): string => (/^[A-Za-z0-9._:/-]{1,32}$/.test(symbol) ? symbol : JSON.stringify(symbol.slice(0, 32)));

const refuse = (check: RiskCheck, reason: string): RiskVerdict => ({ ok: false, check, code: check === 'kill_switch' ? 'KILL_SWITCH_ACTIVE' : 'RISK_REJECTED', reason });

/** Runs every pre-trade check in {@link RISK_CHECKS} order; the first failure refuses the order. */
export const checkOrder = (state: RiskState, request: OrderRequest, now: number): RiskVerdict => {
  const l = state.limits;
  if (state.kill.status === 'tripped') return refuse('kill_switch', `the kill switch is tripped (${state.kill.reason}): new orders are refused until it is reset`);
  const problem = orderProblem(request);
  if (problem) return refuse('invalid_order', problem);
  const symbol = request.symbol.toUpperCase();
  if (!allowed(l.allowedSymbols).has(symbol)) return refuse('symbol', `${shown(request.symbol)} is not an allowed symbol (allowed: ${l.allowedSymbols.join(', ') || 'none'})`);
  const q = request.quantity;
  if (l.maxOrderQuantity !== null && q > l.maxOrderQuantity) return refuse('order_quantity', `quantity ${round(q)} exceeds max_order_quantity ${round(l.maxOrderQuantity)}`);
  const mark = markOf(state, symbol);
  if (mark === undefined) return refuse('no_price', `no bar of ${symbol} has closed yet: there is no reference price to check the order against`);
  if (request.type === 'limit' && l.priceBandPct !== null) {
    const off = (Math.abs(request.price! - mark) / mark) * 100;
    if (off > l.priceBandPct) return refuse('price_band', `limit price ${round(request.price!)} is ${round(off)}% from the last close ${round(mark)} (price_band_pct ${round(l.priceBandPct)})`);
  }
  const notional = q * Math.max(mark, request.price ?? 0, request.stopPrice ?? 0);
  if (l.maxOrderNotional !== null && notional > l.maxOrderNotional) return refuse('order_notional', `order value ${round(notional)} exceeds max_order_notional ${round(l.maxOrderNotional)}`);
  if (l.maxOrdersPerSecond !== null && sentWithin(state, now, 1_000) >= l.maxOrdersPerSecond) return refuse('rate_second', `${l.maxOrdersPerSecond} orders were sent in the last second (max_orders_per_second)`);
  if (l.maxOrdersPerMinute !== null && sentWithin(state, now, 60_000) >= l.maxOrdersPerMinute) return refuse('rate_minute', `${l.maxOrdersPerMinute} orders were sent in the last minute (max_orders_per_minute)`);
  const open = Object.keys(state.working).length;
  if (l.maxOpenOrders !== null && open >= l.maxOpenOrders) return refuse('open_orders', `${open} orders are working (max_open_orders ${l.maxOpenOrders})`);
  const order = { side: request.side, quantity: q };
  const working = workingBySymbol(state);
  const before = symbolExposure(state, working, symbol);
  const after = symbolExposure(state, working, symbol, order);
  // An order that does not raise the worst case (it reduces a position) always passes: limits must never trap a position.
  if (after <= before) return { ok: true };
  if (l.maxPositionNotional !== null && after > l.maxPositionNotional) {
    return refuse('position', `${symbol} position value would reach ${round(after)} with working orders (max_position_notional ${round(l.maxPositionNotional)})`);
  }
  if (l.maxTotalExposure !== null) {
    const total = exposureOf(state, working) - before + after;
    if (total > l.maxTotalExposure) return refuse('exposure', `total exposure would reach ${round(total)} with working orders (max_total_exposure ${round(l.maxTotalExposure)})`);
  }
  return { ok: true };
};
