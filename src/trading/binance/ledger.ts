/**
 * Positions and account figures of a spot account, derived from balances: a position is the base-asset holding
 * of a traded symbol, cash is the quote asset. Balances carry no cost, so the average price and P&L come from
 * the symbol's executions (average-cost method); a holding the executions do not explain (a deposit, the
 * testnet's starting grant) is valued at the last price, with no P&L.
 */
import type { AccountInfo, Fill, Position } from '../types.ts';

/** The fold of one symbol's executions. */
export interface TradeLedger {
  /** Quantity the executions leave held (buys minus sells, never below 0). */
  readonly quantity: number;
  readonly averagePrice: number;
  readonly realizedPnl: number;
  /** Commissions in quote units. */
  readonly fees: number;
}

const EPSILON = 1e-12;

/** Folds executions, oldest first, with the average-cost method (P&L before fees; fees apart). */
export const foldFills = (fills: readonly Fill[]): TradeLedger => {
  let quantity = 0;
  let averagePrice = 0;
  let realizedPnl = 0;
  let fees = 0;
  for (const f of fills) {
    fees += f.fee;
    if (f.side === 'buy') {
      averagePrice = (quantity * averagePrice + f.quantity * f.price) / (quantity + f.quantity);
      quantity += f.quantity;
    } else {
      const closed = Math.min(quantity, f.quantity);
      realizedPnl += (f.price - averagePrice) * closed;
      quantity -= closed;
      if (quantity <= EPSILON) [quantity, averagePrice] = [0, 0];
    }
  }
  return { quantity, averagePrice, realizedPnl, fees };
};

/** The position of a holding, given its symbol's ledger and last price (0 when unknown). */
export const positionOf = (symbol: string, holding: number, ledger: TradeLedger, lastPrice: number): Position => {
  const explained = Math.min(holding, ledger.quantity);
  const mark = lastPrice > 0 ? lastPrice : ledger.averagePrice;
  const averagePrice = holding > 0 ? (explained * ledger.averagePrice + (holding - explained) * mark) / holding : 0;
  return {
    symbol, quantity: holding, averagePrice, realizedPnl: ledger.realizedPnl,
    unrealizedPnl: mark > 0 ? (mark - averagePrice) * holding : 0, lastPrice: mark,
  };
};

/** Cash, equity and P&L from the quote balance, the positions quoted in it and every ledger. */
export const accountOf = (currency: string, cash: number, positions: readonly Position[], ledgers: readonly TradeLedger[]): AccountInfo => ({
  currency,
  cash,
  equity: cash + positions.reduce((sum, p) => sum + p.quantity * p.lastPrice, 0),
  realizedPnl: ledgers.reduce((sum, l) => sum + l.realizedPnl, 0),
  unrealizedPnl: positions.reduce((sum, p) => sum + p.unrealizedPnl, 0),
  fees: ledgers.reduce((sum, l) => sum + l.fees, 0),
});
