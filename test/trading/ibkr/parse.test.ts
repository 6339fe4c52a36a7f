/** Pure mappings of the IBKR provider: TWS times, statuses, orders, configs. */
import { describe, expect, it } from 'vitest';
import { OrderAction, OrderType, SecType } from '@stoqey/ib';
import { decodeIbkrTradingConfig } from '../../../src/trading/ibkr/index.ts';
import { ibOrderOf, invalidRequest, parseTwsTime, requestOf, statusEvent, stockContract } from '../../../src/trading/ibkr/parse.ts';

describe('IBKR parse', () => {
  it('reads TWS times in UTC, in named zones across daylight saving, and refuses the unreadable', () => {
    expect(parseTwsTime('20260102 15:30:00 UTC')).toBe(Date.UTC(2026, 0, 2, 15, 30));
    expect(parseTwsTime('20260102-15:30:00')).toBe(Date.UTC(2026, 0, 2, 15, 30));
    expect(parseTwsTime('20260102  15:30:00')).toBe(Date.UTC(2026, 0, 2, 15, 30));
    expect(parseTwsTime('20260102 10:30:00 US/Eastern')).toBe(Date.UTC(2026, 0, 2, 15, 30));
    expect(parseTwsTime('20260702 10:30:00 US/Eastern')).toBe(Date.UTC(2026, 6, 2, 14, 30));
    expect(parseTwsTime('20260702 10:30:00 Not/AZone')).toBeUndefined();
    expect(parseTwsTime('yesterday')).toBeUndefined();
    expect(parseTwsTime(undefined)).toBeUndefined();
  });

  it('maps TWS statuses to order events, keeping the last TWS message as the reason', () => {
    expect(statusEvent('PreSubmitted', 5, undefined, false)).toEqual({ type: 'order.accepted', at: 5 });
    expect(statusEvent('Submitted', 5, undefined, false)).toEqual({ type: 'order.accepted', at: 5 });
    expect(statusEvent('Cancelled', 5, 'x', true)).toEqual({ type: 'order.cancelled', at: 5 });
    expect(statusEvent('Cancelled', 5, 'halted (error 10197)', false)).toEqual({ type: 'order.cancelled', at: 5, reason: 'halted (error 10197)' });
    expect(statusEvent('ApiCancelled', 5, undefined, false)).toEqual({ type: 'order.cancelled', at: 5, reason: 'cancelled at TWS (ApiCancelled)' });
    expect(statusEvent('Inactive', 5, 'margin (error 201)', false)).toEqual({ type: 'order.rejected', at: 5, reason: 'margin (error 201)' });
    for (const s of ['Filled', 'PendingSubmit', 'PendingCancel', 'ApiPending', 'Unknown']) expect(statusEvent(s, 5, undefined, false)).toBeUndefined();
  });

  it('builds SMART-routed stock day orders, and reads them back', () => {
    expect(stockContract(' aapl ', { exchange: 'SMART', currency: 'USD' })).toEqual({ symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' });
    const limit = ibOrderOf({ symbol: 'AAPL', side: 'sell', type: 'limit', quantity: 3, price: 101.5 }, 'DU1', 'ref');
    expect(limit).toEqual({ action: OrderAction.SELL, totalQuantity: 3, orderType: OrderType.LMT, lmtPrice: 101.5, tif: 'DAY', account: 'DU1', orderRef: 'ref', transmit: true });
    expect(ibOrderOf({ symbol: 'AAPL', side: 'buy', type: 'stop', quantity: 1, stopPrice: 90 }, 'DU1', '')).toMatchObject({ orderType: OrderType.STP, auxPrice: 90 });
    expect(ibOrderOf({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 }, 'DU1', '')).not.toHaveProperty('lmtPrice');
    expect(requestOf({ symbol: 'AAPL' }, limit)).toEqual({ symbol: 'AAPL', side: 'sell', type: 'limit', quantity: 3, price: 101.5, clientOrderId: 'ref' });
    expect(requestOf({ symbol: 'AAPL' }, { ...limit, orderType: OrderType.TRAIL })).toBeUndefined();
  });

  it('finds what makes a request unsendable', () => {
    expect(invalidRequest({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 })).toBeUndefined();
    expect(invalidRequest({ symbol: '', side: 'buy', type: 'market', quantity: 1 })).toMatch(/symbol/);
    expect(invalidRequest({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 0 })).toMatch(/quantity/);
    expect(invalidRequest({ symbol: 'AAPL', side: 'buy', type: 'stop', quantity: 1 })).toMatch(/stopPrice/);
  });

  it('keeps the registry keys and defaults, and refuses unknown keys', () => {
    const paper = decodeIbkrTradingConfig('ibkr-paper', { account_id: 'DU9' });
    expect(paper).toMatchObject({ host: '127.0.0.1', port: 7497, client_id: 1, account_id: 'DU9', currency: 'USD', exchange: 'SMART', mode: 'paper', live: false });
    expect(decodeIbkrTradingConfig('ibkr-live', { port: 4001, live: true })).toMatchObject({ port: 4001, live: true, mode: 'live' });
    expect(() => decodeIbkrTradingConfig('ibkr-paper', { clientId: 3 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
