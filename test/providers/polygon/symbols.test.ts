import { describe, expect, it } from 'vitest';
import { aggregateEvent, normalisePolygonSymbol, parseStreamParam, restTicker, sourceInterval, streamParam } from '../../../src/providers/polygon/symbols.ts';
import { polygonEndpoints } from '../../../src/providers/polygon/urls.ts';

describe('Polygon symbols', () => {
  it.each([
    ['stocks', ' aapl ', 'AAPL'],
    ['stocks', 'brk.a', 'BRK.A'],
    ['options', 'spy251219c00650000', 'O:SPY251219C00650000'],
    ['options', 'O:SPY251219C00650000', 'O:SPY251219C00650000'],
    ['indices', 'spx', 'I:SPX'],
    ['crypto', 'btc/usd', 'BTC-USD'],
    ['crypto', 'X:ETH-USD', 'ETH-USD'],
    ['forex', 'usd-eur', 'USD/EUR'],
    ['forex', 'C:EURUSD', 'EUR/USD'],
  ] as const)('normalises %s %j to %j', (feed, raw, expected) => {
    expect(normalisePolygonSymbol(feed, raw)).toBe(expected);
  });

  it.each([
    ['stocks', 'AAPL!'], ['stocks', ''], ['options', 'SPY'], ['crypto', 'BTCUSD'], ['forex', 'EURO/USD'], ['indices', 'I:'],
  ] as const)('refuses %s %j', (feed, raw) => {
    expect(normalisePolygonSymbol(feed, raw)).toBeUndefined();
  });

  it('maps symbols to REST tickers and subscription parameters', () => {
    expect(restTicker('crypto', 'BTC-USD')).toBe('X:BTCUSD');
    expect(restTicker('forex', 'USD/EUR')).toBe('C:USDEUR');
    expect(restTicker('options', 'O:SPY251219C00650000')).toBe('O:SPY251219C00650000');
    expect(streamParam('AM', 'I:SPX')).toBe('AM.I:SPX');
    expect(parseStreamParam('CA.USD/EUR')).toEqual({ event: 'CA', symbol: 'USD/EUR' });
    expect(parseStreamParam('AM.O:SPY251219C00650000')).toEqual({ event: 'AM', symbol: 'O:SPY251219C00650000' });
    expect(parseStreamParam('AAPL')).toBeUndefined();
  });

  it('builds every interval from the finest pushed bar and never falls back silently', () => {
    expect(sourceInterval('stocks', '1s')).toBe('1s');
    expect(sourceInterval('stocks', '1m')).toBe('1m');
    expect(sourceInterval('stocks', '5m')).toBe('1m');
    expect(sourceInterval('indices', '1w')).toBe('1m');
    expect(sourceInterval('crypto', '1s')).toBe('1s');
    expect(sourceInterval('forex', '1s')).toBe('1s');
    expect(sourceInterval('forex', '1M')).toBe('1m');
    expect([aggregateEvent('stocks', '1s'), aggregateEvent('options', '1m'), aggregateEvent('crypto', '1m'), aggregateEvent('forex', '1m')]).toEqual(['A', 'AM', 'XA', 'CA']);
    expect([aggregateEvent('indices', '1s'), aggregateEvent('crypto', '1s'), aggregateEvent('forex', '1s')]).toEqual(['A', 'XAS', 'CAS']);
  });

  it('defaults to the Massive hosts, keeps the Polygon hosts by config and honours overrides', () => {
    expect(polygonEndpoints({ feed: 'stocks', delayed: false })).toEqual({ ws: 'wss://socket.massive.com/stocks', rest: 'https://api.massive.com' });
    expect(polygonEndpoints({ feed: 'options', delayed: true }).ws).toBe('wss://delayed.massive.com/options');
    expect(polygonEndpoints({ feed: 'indices', delayed: false, ws_url: 'wss://socket.polygon.io', rest_url: 'https://api.polygon.io' })).toEqual({ ws: 'wss://socket.polygon.io/indices', rest: 'https://api.polygon.io' });
    expect(polygonEndpoints({ feed: 'crypto', delayed: false, ws_url: 'ws://127.0.0.1:9/', rest_url: 'http://127.0.0.1:9/' })).toEqual({ ws: 'ws://127.0.0.1:9/crypto', rest: 'http://127.0.0.1:9' });
  });
});
