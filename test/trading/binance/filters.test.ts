import { describe, expect, it } from 'vitest';
import { prepareOrder, roundToStep, symbolRules } from '../../../src/trading/binance/filters.ts';
import type { BinanceSymbol } from '../../../src/trading/binance/messages.ts';

// BTCUSDT as `GET /api/v3/exchangeInfo?symbol=BTCUSDT` returned it on Binance Spot (trimmed to the fields used;
// shape from https://developers.binance.com/docs/binance-spot-api-docs/filters).
const BTCUSDT: BinanceSymbol = {
  symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT',
  orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
    { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
    { filterType: 'ICEBERG_PARTS', limit: 10 },
    { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '83.26371550', stepSize: '0.00000000' },
    { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
  ],
};
const rules = symbolRules(BTCUSDT);

describe('symbol filters', () => {
  it('reads PRICE_FILTER, LOT_SIZE and NOTIONAL, ignoring a MARKET_LOT_SIZE with a zero step', () => {
    expect(rules).toEqual({
      symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT', orderTypes: BTCUSDT.orderTypes,
      tickSize: '0.01000000', minPrice: 0.01, maxPrice: 1_000_000, stepSize: '0.00001000', minQty: 0.00001, maxQty: 9000,
      minNotional: 5, maxNotional: 9_000_000, applyMinToMarket: true, applyMaxToMarket: false,
    });
  });

  it('reads the older MIN_NOTIONAL filter', () => {
    const legacy = symbolRules({ ...BTCUSDT, filters: [{ filterType: 'MIN_NOTIONAL', minNotional: '10.00000000', applyToMarket: false, avgPriceMins: 5 }] });
    expect(legacy).toMatchObject({ minNotional: 10, applyMinToMarket: false, maxNotional: 0 });
  });

  it('rounds to a step exactly, down or up, despite binary fractions', () => {
    expect(roundToStep(0.3, '0.10000000', 'down')).toBe('0.3');
    expect(roundToStep(0.0123456, '0.00001000', 'down')).toBe('0.01234');
    expect(roundToStep(0.0123456, '0.00001000', 'up')).toBe('0.01235');
    expect(roundToStep(95_000.129, '0.01000000', 'down')).toBe('95000.12');
    expect(roundToStep(123.7, '5.00000000', 'down')).toBe('120');
    expect(roundToStep(1.1, '0.00000000', 'down')).toBe('1.10000000');
  });

  it('rounds quantities down to the lot and limit prices in the trader\'s favour', () => {
    expect(prepareOrder(rules, { side: 'buy', type: 'limit', quantity: 0.0123456, price: 95_000.129 }, undefined))
      .toEqual({ ok: true, quantity: '0.01234', price: '95000.12' });
    expect(prepareOrder(rules, { side: 'sell', type: 'limit', quantity: 0.01, price: 95_000.121 }, undefined))
      .toEqual({ ok: true, quantity: '0.01000', price: '95000.13' });
    expect(prepareOrder(rules, { side: 'buy', type: 'market', quantity: 0.001 }, 95_000)).toEqual({ ok: true, quantity: '0.00100' });
  });

  it('rejects violations with a reason before anything is sent', () => {
    const reason = (r: ReturnType<typeof prepareOrder>) => (r.ok ? 'ok' : r.reason);
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'market', quantity: 0.000009 }, 95_000))).toMatch(/below the LOT_SIZE minimum 0.00001/);
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'limit', quantity: 10_000, price: 1 }, undefined))).toMatch(/above the LOT_SIZE maximum 9000/);
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'limit', quantity: 1, price: 0.001 }, undefined))).toMatch(/below the PRICE_FILTER minimum/);
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'limit', quantity: 1, price: 2_000_000 }, undefined))).toMatch(/above the PRICE_FILTER maximum/);
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'limit', quantity: 1 }, undefined))).toBe('a limit order needs a price > 0');
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'market', quantity: 0.00005 }, 95_000))).toMatch(/notional 4.75000000 .* below the NOTIONAL minimum 5/);
    expect(reason(prepareOrder(rules, { side: 'buy', type: 'limit', quantity: 0.00005, price: 95_000 }, undefined))).toMatch(/NOTIONAL minimum/);
    // Without a price to value it, a market order's notional is left to the venue.
    expect(prepareOrder(rules, { side: 'buy', type: 'market', quantity: 0.00005 }, undefined).ok).toBe(true);
    expect(reason(prepareOrder({ ...rules, status: 'BREAK' }, { side: 'buy', type: 'market', quantity: 1 }, 1))).toBe('BTCUSDT is not trading (status BREAK)');
    expect(reason(prepareOrder({ ...rules, orderTypes: ['LIMIT'] }, { side: 'buy', type: 'market', quantity: 1 }, 1))).toBe('BTCUSDT does not accept MARKET orders');
  });
});
