/**
 * The paper account as plain data (the paper-broker machine's context) and the pure bookkeeping over it:
 * configuration defaults, the funds and margin checks, applying a fill to cash and positions, and the read
 * views (positions, account info, open orders). Everything here is JSON-serialisable and deterministic.
 */
import { isFinalStatus, toOrder, type OrderState } from '../order.machine.ts';
import type { AccountInfo, Fill, Order, OrderSide, Position } from '../../src/domain/trading.ts';
import { DEFAULT_PAPER_CONFIG } from './paper-defaults.ts';

/** Paper broker rules; see {@link DEFAULT_PAPER_CONFIG} for the defaults. */
export interface PaperBrokerConfig {
  /** Cash at the start. */
  readonly initialCash: number;
  /** Currency of cash and prices (display only: one currency per account). */
  readonly currency: string;
  /** Fee per fill as a fraction of its notional (0.001 = 0.1 %). */
  readonly feeRate: number;
  /** Slippage of market and triggered stop fills, in basis points, always against the trader. */
  readonly slippageBps: number;
  /** `next_open`: market orders fill at the next bar's open; `close`: at the last close on placement when one is known. */
  readonly fillOn: 'next_open' | 'close';
  /** Whether a sell may open or increase a short position. */
  readonly allowShort: boolean;
  /** Equity required after a short-increasing sell, as a fraction of all short notional (0.5 = Reg T's 150 %). */
  readonly shortMarginRate: number;
  /** At most this fraction of a bar's volume fills per order and bar (partial fills); null = no limit. */
  readonly maxVolumeShare: number | null;
}

/** Partial configuration accepted as machine input. */
export type PaperBrokerInput = Partial<PaperBrokerConfig>;

// In a module of their own: the `paper` config schema reads them without loading the broker's bookkeeping.
export { DEFAULT_PAPER_CONFIG };

/** A net position; the average price is that of the open quantity, realised P&L is before fees. */
export interface PaperPosition {
  readonly symbol: string;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly realizedPnl: number;
}

/** The last closed bar seen for a symbol: the mark price and the reference for stale bars. */
export interface Mark {
  readonly openTime: number;
  readonly close: number;
  readonly volume: number;
}

/** The whole paper account. */
export interface PaperAccount {
  readonly config: PaperBrokerConfig;
  readonly cash: number;
  readonly fees: number;
  readonly positions: Readonly<Record<string, PaperPosition>>;
  /** Every order ever placed, by id. */
  readonly orders: Readonly<Record<string, OrderState>>;
  /** Working orders in placement order (the order in which a bar fills them). */
  readonly openOrderIds: readonly string[];
  readonly fills: readonly Fill[];
  /**
   * Last price per symbol, in 64 shards by symbol hash: a bar copies one shard (symbols/64 marks) rather than
   * every symbol's, which kept the broker O(symbols) per bar (half the main thread at 1,000 symbols).
   */
  readonly marks: Readonly<Record<string, Readonly<Record<string, Mark>>>>;
}

/** Own-property lookup: symbols are user strings, and `__proto__` must not read the prototype. */
export const lookup = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

const MARK_SHARDS = 64;
const shardOf = (symbol: string): string => {
  let h = 0;
  for (let i = 0; i < symbol.length; i++) h = (h * 31 + symbol.charCodeAt(i)) | 0;
  return String((h >>> 0) % MARK_SHARDS);
};

/** The mark (last bar's close) of `symbol`, if a bar of it was seen. */
export const markLookup = (marks: PaperAccount['marks'], symbol: string): Mark | undefined => {
  const shard = lookup(marks, shardOf(symbol));
  return shard ? lookup(shard, symbol) : undefined;
};

/** `marks` with `symbol` set to `mark`: one shard is copied, the others are shared. */
export const withMark = (marks: PaperAccount['marks'], symbol: string, mark: Mark): PaperAccount['marks'] => {
  const key = shardOf(symbol);
  return { ...marks, [key]: { ...lookup(marks, key), [symbol]: mark } };
};

/** A fresh account with `input` over the defaults (values are not checked here: the registry's schema does that). */
export const openAccount = (input: PaperBrokerInput | undefined): PaperAccount => {
  // Unknown and undefined keys are dropped, so the context holds exactly the config keys, as a JSON log rebuilds it.
  const given = Object.entries(input ?? {}).filter(([key, value]) => value !== undefined && Object.hasOwn(DEFAULT_PAPER_CONFIG, key));
  const config = { ...DEFAULT_PAPER_CONFIG, ...Object.fromEntries(given) } as PaperBrokerConfig;
  return { config, cash: config.initialCash, fees: 0, positions: {}, orders: {}, openOrderIds: [], fills: [], marks: {} };
};

/** `price` moved against the trader by the configured slippage. */
export const slip = (config: PaperBrokerConfig, side: OrderSide, price: number): number =>
  price * (side === 'buy' ? 1 + config.slippageBps / 10_000 : 1 - config.slippageBps / 10_000);

/** The fee of a fill. */
export const feeFor = (config: PaperBrokerConfig, quantity: number, price: number): number => quantity * price * config.feeRate;

const markOf = (account: PaperAccount, symbol: string, override?: { symbol: string; price: number }): number =>
  override?.symbol === symbol
    ? override.price
    : markLookup(account.marks, symbol)?.close ?? lookup(account.positions, symbol)?.averagePrice ?? 0;

/** Cash plus every position at its mark (or at `override` for one symbol). */
export const equityOf = (account: PaperAccount, override?: { symbol: string; price: number }): number =>
  Object.values(account.positions).reduce((sum, p) => sum + p.quantity * markOf(account, p.symbol, override), account.cash);

const snapToZero = (value: number, scale: number): number => (Math.abs(value) <= scale * 1e-9 ? 0 : value);

/** Why the account cannot take this fill, or undefined when it can. */
export const fundsProblem = (
  account: PaperAccount, symbol: string, side: OrderSide, quantity: number, price: number,
): string | undefined => {
  const { config } = account;
  const fee = feeFor(config, quantity, price);
  if (side === 'buy') {
    const cost = quantity * price + fee;
    return cost > account.cash
      ? `insufficient funds: buying ${quantity} ${symbol} at ${price} costs ${cost} ${config.currency} with fees, cash is ${account.cash}`
      : undefined;
  }
  const held = lookup(account.positions, symbol)?.quantity ?? 0;
  const after = snapToZero(held - quantity, Math.max(Math.abs(held), quantity));
  if (after >= 0) return undefined;
  if (!config.allowShort) return `short selling is disabled: selling ${quantity} ${symbol} with a position of ${held}`;
  const override = { symbol, price };
  const equityAfter = equityOf(account, override) - fee;
  const otherShorts = Object.values(account.positions)
    .filter((p) => p.symbol !== symbol)
    .reduce((sum, p) => sum + Math.max(0, -p.quantity) * markOf(account, p.symbol), 0);
  const required = config.shortMarginRate * (otherShorts - after * price);
  return equityAfter < required
    ? `insufficient margin: shorting ${quantity} ${symbol} at ${price} needs equity of ${required} ${config.currency}, equity after the fee would be ${equityAfter}`
    : undefined;
};

/** The account after a fill: cash, fees, fill list and the symbol's position (average price, realised P&L). */
export const applyFill = (account: PaperAccount, fill: Fill): PaperAccount => {
  const notional = fill.quantity * fill.price;
  const signed = fill.side === 'buy' ? fill.quantity : -fill.quantity;
  const before = lookup(account.positions, fill.symbol) ?? { symbol: fill.symbol, quantity: 0, averagePrice: 0, realizedPnl: 0 };
  const quantity = snapToZero(before.quantity + signed, Math.max(Math.abs(before.quantity), fill.quantity));
  let { averagePrice, realizedPnl } = before;
  if (before.quantity === 0 || Math.sign(before.quantity) === Math.sign(signed)) {
    averagePrice = (Math.abs(before.quantity) * before.averagePrice + notional) / Math.abs(before.quantity + signed);
  } else {
    const closed = Math.min(fill.quantity, Math.abs(before.quantity));
    realizedPnl += closed * (fill.price - before.averagePrice) * Math.sign(before.quantity);
    // Flat: no entry price; flipped: the rest opened at this fill's price.
    averagePrice = quantity === 0 ? 0 : Math.sign(quantity) === Math.sign(before.quantity) ? before.averagePrice : fill.price;
  }
  return {
    ...account,
    cash: fill.side === 'buy' ? account.cash - (notional + fill.fee) : account.cash + (notional - fill.fee),
    fees: account.fees + fill.fee,
    positions: { ...account.positions, [fill.symbol]: { symbol: fill.symbol, quantity, averagePrice, realizedPnl } },
    fills: [...account.fills, fill],
  };
};

/** The account with `order` stored, and listed as working or not according to its status. */
export const withOrder = (account: PaperAccount, order: OrderState): PaperAccount => {
  const { id } = order.context;
  const working = !isFinalStatus(order.status);
  const listed = account.openOrderIds.includes(id);
  const openOrderIds = working && !listed ? [...account.openOrderIds, id]
    : !working && listed ? account.openOrderIds.filter((o) => o !== id)
    : account.openOrderIds;
  return { ...account, orders: { ...account.orders, [id]: order }, openOrderIds };
};

/** Open (non-flat) positions marked to the last close. */
export const positionsOf = (account: PaperAccount): Position[] =>
  Object.values(account.positions).filter((p) => p.quantity !== 0).map((p) => {
    const lastPrice = markOf(account, p.symbol);
    return { ...p, unrealizedPnl: (lastPrice - p.averagePrice) * p.quantity, lastPrice };
  });

/** Cash, equity and P&L of the account. */
export const accountInfoOf = (account: PaperAccount): AccountInfo => {
  const positions = Object.values(account.positions);
  return {
    currency: account.config.currency,
    cash: account.cash,
    equity: equityOf(account),
    realizedPnl: positions.reduce((sum, p) => sum + p.realizedPnl, 0),
    unrealizedPnl: positionsOf(account).reduce((sum, p) => sum + p.unrealizedPnl, 0),
    fees: account.fees,
  };
};

/** Working orders in placement order. */
export const openOrdersOf = (account: PaperAccount): Order[] =>
  account.openOrderIds.flatMap((id) => {
    const order = lookup(account.orders, id);
    return order ? [toOrder(order)] : [];
  });
