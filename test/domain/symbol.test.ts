import { describe, expect, it } from 'vitest';
import {
  BINANCE_FUTURES_SYMBOL, BINANCE_SYMBOL, binanceKlineStream, normaliseBinanceFuturesSymbol, normaliseBinanceSymbol, parseBinanceKlineStream,
} from '../../src/domain/symbol.ts';

describe('Binance symbols', () => {
  it('normalises spot pairs as users write them', () => {
    expect(['btcusdt', 'BTC/USDT', 'btc-usdt', ' btc_usdt '].map(normaliseBinanceSymbol)).toEqual(['BTCUSDT', 'BTCUSDT', 'BTCUSDT', 'BTCUSDT']);
  });

  it('keeps the contract suffix of futures symbols', () => {
    expect(['btcusd_perp', 'BTCUSDT_250627', 'BTC/USDT', 'eth-usd_perp'].map(normaliseBinanceFuturesSymbol)).toEqual(['BTCUSD_PERP', 'BTCUSDT_250627', 'BTCUSDT', 'ETHUSD_PERP']);
  });

  it('accepts perpetuals and delivery contracts as futures symbols only', () => {
    for (const s of ['BTCUSDT', 'BTCUSD_PERP', 'BTCUSDT_250627', '1000PEPEUSDT']) expect(BINANCE_FUTURES_SYMBOL.test(s)).toBe(true);
    for (const s of ['BTCUSD_', 'BTCUSD_QUARTER', 'BTCUSD_2506', 'btcusdt']) expect(BINANCE_FUTURES_SYMBOL.test(s)).toBe(false);
    expect(BINANCE_SYMBOL.test('BTCUSD_PERP')).toBe(false);
  });

  it('round-trips futures symbols through kline stream names', () => {
    for (const s of ['BTCUSD_PERP', 'BTCUSDT_250627', 'ETHUSDT']) {
      expect(parseBinanceKlineStream(binanceKlineStream(s, '1m'))).toEqual({ symbol: s, interval: '1m' });
    }
    expect(parseBinanceKlineStream('btcusd_perp@kline_1m')).toEqual({ symbol: 'BTCUSD_PERP', interval: '1m' });
    expect(parseBinanceKlineStream('btc_usd_perp@kline_1m')).toBeUndefined();
  });
});
