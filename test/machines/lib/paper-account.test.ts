/**
 * The paper account's bookkeeping as pure functions: configuration defaults, marks, slippage and fees, the funds
 * and short-margin checks at their exact bounds, and how a fill moves cash, fees, average price and realised P&L.
 */
import { describe, expect, it } from 'vitest';
import { advanceOrder, createOrder } from '../../../machines/order.machine.ts';
import {
  accountInfoOf, applyFill, DEFAULT_PAPER_CONFIG, equityOf, feeFor, fundsProblem, lookup, markLookup, openAccount,
  openOrdersOf, positionsOf, slip, withMark, withOrder, type PaperAccount, type PaperBrokerInput,
} from '../../../machines/lib/paper-account.ts';
import type { Fill, OrderSide } from '../../../src/domain/trading.ts';

const fill = (side: OrderSide, quantity: number, price: number, fee = 0, symbol = 'AAA'): Fill =>
  ({ orderId: 'o', symbol, side, quantity, price, fee, at: 1 });
const account = (input: PaperBrokerInput = {}, fills: Fill[] = []): PaperAccount =>
  fills.reduce(applyFill, openAccount({ feeRate: 0, ...input }));
const marked = (a: PaperAccount, symbol: string, close: number): PaperAccount =>
  ({ ...a, marks: withMark(a.marks, symbol, { openTime: 0, close, volume: 1 }) });

describe('paper account: setup and marks', () => {
  it('opens with the defaults, dropping unknown and undefined keys', () => {
    const a = openAccount({ feeRate: undefined, initialCash: 500, bogus: 1 } as PaperBrokerInput);
    expect(a).toEqual({ config: { ...DEFAULT_PAPER_CONFIG, initialCash: 500 }, cash: 500, fees: 0, positions: {}, orders: {}, openOrderIds: [], fills: [], marks: {} });
    expect(openAccount(undefined).config).toEqual(DEFAULT_PAPER_CONFIG);
  });

  it('looks up own keys only', () => {
    expect(lookup({ a: 1 }, '__proto__')).toBeUndefined();
    expect(lookup({ a: 1 }, 'a')).toBe(1);
  });

  it('stores marks by symbol, copying only the shard of the symbol it sets', () => {
    const one = withMark({}, 'AAA', { openTime: 1, close: 10, volume: 2 });
    const symbols = Array.from({ length: 200 }, (_, i) => `S${i}`);
    const many = symbols.reduce((m, s, i) => withMark(m, s, { openTime: i, close: i, volume: 1 }), one);
    expect(markLookup(many, 'AAA')).toEqual({ openTime: 1, close: 10, volume: 2 });
    expect(symbols.every((s, i) => markLookup(many, s)?.close === i)).toBe(true);
    expect(Object.keys(many).length).toBeLessThanOrEqual(64);
    expect(Object.keys(many).length).toBeGreaterThan(32);
    const next = withMark(many, 'AAA', { openTime: 2, close: 11, volume: 1 });
    const changed = Object.keys(next).filter((k) => next[k] !== many[k]);
    expect(changed).toHaveLength(1);
    expect(markLookup(next, 'ZZZ')).toBeUndefined();
    expect(markLookup({}, 'AAA')).toBeUndefined();
  });

  it('slips against the trader and charges the fee rate on the notional', () => {
    const config = { ...DEFAULT_PAPER_CONFIG, slippageBps: 10, feeRate: 0.001 };
    expect(slip(config, 'buy', 100)).toBeCloseTo(100.1, 12);
    expect(slip(config, 'sell', 100)).toBeCloseTo(99.9, 12);
    expect(feeFor(config, 2, 50)).toBeCloseTo(0.1, 12);
  });
});

describe('paper account: funds and margin', () => {
  it('lets a buy spend exactly the cash, fee included, and refuses one cent more', () => {
    const a = account({ initialCash: 1_010, feeRate: 0.01 });
    expect(fundsProblem(a, 'AAA', 'buy', 10, 100)).toBeUndefined();
    expect(fundsProblem(a, 'AAA', 'buy', 10, 100.01)).toBe('insufficient funds: buying 10 AAA at 100.01 costs 1010.101 USD with fees, cash is 1010');
  });

  it('lets a sell close a long position whatever the short rules', () => {
    const a = account({ allowShort: false }, [fill('buy', 0.3, 10)]);
    expect(fundsProblem(a, 'AAA', 'sell', 0.1 + 0.2, 10)).toBeUndefined();
    expect(fundsProblem(a, 'AAA', 'sell', 0.4, 10)).toBe('short selling is disabled: selling 0.4 AAA with a position of 0.3');
  });

  it('requires equity after the fee of at least the margin rate times all short notional, exactly at the bound', () => {
    // Cash 100, short 1 BBB marked at 50 (cash 150, equity 100); shorting 1 AAA at 100: required 0.5 * (50 + 100) = 75.
    const a = marked(account({ initialCash: 100, shortMarginRate: 0.5 }, [fill('sell', 1, 50, 0, 'BBB')]), 'BBB', 50);
    expect(equityOf(a)).toBe(100);
    expect(fundsProblem(a, 'AAA', 'sell', 1, 100)).toBeUndefined();
    const tighter = { ...a, config: { ...a.config, shortMarginRate: 100 / 150 + 1e-9 } };
    expect(fundsProblem(tighter, 'AAA', 'sell', 1, 100)).toMatch(/^insufficient margin: shorting 1 AAA at 100 needs equity of 100\.0000\d* USD, equity after the fee would be 100$/);
    // A long position elsewhere counts as equity, not as short notional.
    const withLong = marked(account({ initialCash: 100, shortMarginRate: 0.5 }, [fill('buy', 1, 50, 0, 'CCC')]), 'CCC', 50);
    expect(fundsProblem(withLong, 'AAA', 'sell', 2, 50)).toBeUndefined();
  });

  it('counts the fee of a short sale against equity', () => {
    const a = account({ initialCash: 100, shortMarginRate: 1, feeRate: 0.01 });
    // Shorting 1 at 100: equity 100 - fee 1 = 99 < required 100.
    expect(fundsProblem(a, 'AAA', 'sell', 1, 100)).toContain('equity after the fee would be 99');
  });

  it('marks a position without a bar at its average price, and at its override price for one symbol', () => {
    const a = account({ initialCash: 1_000 }, [fill('buy', 2, 100)]);
    expect(equityOf(a)).toBe(1_000);
    expect(equityOf(a, { symbol: 'AAA', price: 150 })).toBe(1_100);
    expect(equityOf(a, { symbol: 'BBB', price: 150 })).toBe(1_000);
    expect(equityOf(marked(a, 'AAA', 90))).toBe(980);
  });
});

describe('paper account: fills', () => {
  it('moves cash by notional and fee each way, and keeps every fill', () => {
    const a = account({ initialCash: 1_000 }, [fill('buy', 2, 100, 1), fill('sell', 1, 110, 0.5)]);
    expect(a.cash).toBe(1_000 - 201 + 109.5);
    expect(a.fees).toBe(1.5);
    expect(a.fills).toHaveLength(2);
  });

  it('averages the entry price of additions and realises P&L on reductions', () => {
    const a = account({}, [fill('buy', 2, 100), fill('buy', 2, 110)]);
    expect(lookup(a.positions, 'AAA')).toEqual({ symbol: 'AAA', quantity: 4, averagePrice: 105, realizedPnl: 0 });
    const reduced = applyFill(a, fill('sell', 1, 115));
    expect(lookup(reduced.positions, 'AAA')).toEqual({ symbol: 'AAA', quantity: 3, averagePrice: 105, realizedPnl: 10 });
  });

  it('goes flat with no entry price, and flips at the fill price with P&L on the closed part only', () => {
    const flat = account({}, [fill('buy', 2, 100), fill('sell', 2, 90)]);
    expect(lookup(flat.positions, 'AAA')).toEqual({ symbol: 'AAA', quantity: 0, averagePrice: 0, realizedPnl: -20 });
    const flipped = account({}, [fill('buy', 2, 100), fill('sell', 5, 120)]);
    expect(lookup(flipped.positions, 'AAA')).toEqual({ symbol: 'AAA', quantity: -3, averagePrice: 120, realizedPnl: 40 });
    const covered = applyFill(flipped, fill('buy', 1, 100));
    expect(lookup(covered.positions, 'AAA')).toEqual({ symbol: 'AAA', quantity: -2, averagePrice: 120, realizedPnl: 60 });
  });

  it('snaps a position that rounding leaves a hair from zero to flat', () => {
    const a = account({}, [fill('buy', 0.1, 10), fill('buy', 0.2, 10), fill('sell', 0.3, 10)]);
    expect(lookup(a.positions, 'AAA')?.quantity).toBe(0);
    expect(positionsOf(a)).toEqual([]);
  });

  it('reports open positions marked to the last close, and the account totals', () => {
    const a = marked(account({ initialCash: 1_000 }, [fill('buy', 2, 100, 1), fill('sell', 1, 50, 0, 'BBB'), fill('buy', 1, 40, 0, 'BBB')]), 'AAA', 110);
    expect(positionsOf(a)).toEqual([{ symbol: 'AAA', quantity: 2, averagePrice: 100, realizedPnl: 0, unrealizedPnl: 20, lastPrice: 110 }]);
    expect(accountInfoOf(a)).toEqual({ currency: 'USD', cash: 1_000 - 201 + 50 - 40, equity: 1_000 - 201 + 10 + 220, realizedPnl: 10, unrealizedPnl: 20, fees: 1 });
  });
});

describe('paper account: orders', () => {
  it('lists an order while it works and unlists it once final, in placement order', () => {
    const o1 = advanceOrder(advanceOrder(createOrder({ id: 'o1', request: { symbol: 'A', side: 'buy', type: 'market', quantity: 1 }, at: 0 }), { type: 'order.submit', at: 0 }), { type: 'order.accepted', at: 0 });
    const o2 = { ...o1, context: { ...o1.context, id: 'o2' } };
    let a = withOrder(withOrder(openAccount({}), o1), o2);
    expect(a.openOrderIds).toEqual(['o1', 'o2']);
    a = withOrder(a, o1);
    expect(a.openOrderIds).toEqual(['o1', 'o2']);
    expect(openOrdersOf(a).map((o) => o.id)).toEqual(['o1', 'o2']);
    a = withOrder(a, advanceOrder(o1, { type: 'order.cancelled', at: 1 }));
    expect(a.openOrderIds).toEqual(['o2']);
    expect(lookup(a.orders, 'o1')?.status).toBe('cancelled');
    expect(openOrdersOf({ ...a, openOrderIds: ['gone', 'o2'] }).map((o) => o.id)).toEqual(['o2']);
    const final = advanceOrder(o2, { type: 'order.cancelled', at: 1 });
    expect(withOrder(a, final).openOrderIds).toEqual([]);
    expect(withOrder(openAccount({}), final).openOrderIds).toEqual([]);
  });
});

describe('paper account: shorts against an existing position', () => {
  // Short 1 AAA at 50 from `cash`: position -1 marked at 50.
  const short = (cash: number) => marked(account({ initialCash: cash, shortMarginRate: 0.5 }, [fill('sell', 1, 50)]), 'AAA', 50);

  it('values the position being added to at the sale price, not at its mark', () => {
    // Cash 150; at the sale price 100 the position is worth -100: equity 50 < required 0.5 * 2 * 100 (at the mark it would be 100).
    expect(fundsProblem(short(100), 'AAA', 'sell', 1, 100)).toContain('insufficient margin');
  });

  it('counts the symbol being sold once, at the sale price, in the short notional', () => {
    // Equity at 100 is 110, required 0.5 * 2 * 100 = 100 (not 0.5 * (50 + 200) = 125).
    expect(fundsProblem(short(160), 'AAA', 'sell', 1, 100)).toBeUndefined();
  });

  it('accepts a short that leaves equity exactly at the requirement', () => {
    // Short 1 BBB at 50 (equity 100); shorting 1 AAA at 150 needs 0.5 * (50 + 150) = 100.
    const a = marked(account({ initialCash: 100, shortMarginRate: 0.5 }, [fill('sell', 1, 50, 0, 'BBB')]), 'BBB', 50);
    expect(fundsProblem(a, 'AAA', 'sell', 1, 150)).toBeUndefined();
    expect(fundsProblem(a, 'AAA', 'sell', 1, 150.5)).toContain('insufficient margin');
  });

  it('keeps the shard layout persisted snapshots were written with', () => {
    expect(Object.keys(withMark({}, 'AAA', { openTime: 0, close: 1, volume: 1 }))).toEqual(['33']);
    expect(Object.keys(withMark({}, 'BTCUSDT', { openTime: 0, close: 1, volume: 1 }))).toMatchInlineSnapshot(`
      [
        "31",
      ]
    `);
  });
});
