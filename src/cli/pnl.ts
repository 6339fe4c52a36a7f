/**
 * P&L as every CLI surface shows it (live status, plain status line, end-of-session summary): one definition,
 * net of fees (realised + unrealised − fees, i.e. equity minus the starting cash), labelled as such.
 */
import type { AccountInfo } from '../trading/types.ts';

/** Realised plus unrealised P&L minus fees paid. */
export const netPnl = (a: AccountInfo): number => a.realizedPnl + a.unrealizedPnl - a.fees;

/** A signed amount with two decimals (`+12.30`, `-4.00`). */
export const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;

/** `+12.30 USDT net of fees (realized +20.00, unrealized -5.00, fees 2.70)`; `colour` wraps the signed figures. */
export const pnlText = (a: AccountInfo, colour: (n: number, text: string) => string = (_n, t) => t): string => {
  const c = (n: number) => colour(n, signed(n));
  return `${c(netPnl(a))} ${a.currency} net of fees (realized ${c(a.realizedPnl)}, unrealized ${c(a.unrealizedPnl)}, fees ${a.fees.toFixed(2)})`;
};
