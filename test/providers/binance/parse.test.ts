import { describe, expect, it } from 'vitest';
import fixture from '../../fixtures/binance/ws_kline.json' with { type: 'json' };
import { klineRowToBar, parseBinanceFrame } from '../../../src/providers/binance/parse.ts';

const raw = JSON.stringify(fixture.frame);

describe('parseBinanceFrame', () => {
  it('decodes the documented kline frame into a bar with VWAP from quote volume', () => {
    const f = parseBinanceFrame(raw, 42);
    expect(f.kind).toBe('kline');
    if (f.kind !== 'kline') return;
    expect(f.stream).toBe('bnbbtc@kline_1m');
    expect(f.eventTime).toBe(1672515782136);
    expect(f.bar).toEqual({
      provider: 'binance', symbol: 'BNBBTC', interval: '1m', openTime: 1672515780000, closeTime: 1672515839999,
      open: 0.001, high: 0.0025, low: 0.0015, close: 0.002, volume: 1000, vwap: 0.001, tradeCount: 100, final: false, receivedAt: 42,
    });
  });

  it('unwraps the combined form and keeps the stream name', () => {
    const f = parseBinanceFrame(JSON.stringify({ stream: 'bnbbtc@kline_1m', data: fixture.frame }), 0);
    expect(f.kind === 'kline' && f.stream).toBe('bnbbtc@kline_1m');
  });

  it('reads control answers, nested and flat errors, and serverShutdown', () => {
    expect(parseBinanceFrame('{"result":null,"id":7}', 0)).toEqual({ kind: 'ack', id: 7, result: null });
    expect(parseBinanceFrame('{"result":["btcusdt@kline_1m"],"id":3}', 0)).toEqual({ kind: 'ack', id: 3, result: ['btcusdt@kline_1m'] });
    expect(parseBinanceFrame('{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":2}', 0)).toEqual({ kind: 'error', id: 2, code: 2, message: 'Invalid request: invalid stream' });
    expect(parseBinanceFrame('{"code":3,"msg":"Invalid JSON","id":null}', 0)).toEqual({ kind: 'error', id: null, code: 3, message: 'Invalid JSON' });
    expect(parseBinanceFrame('{"e":"serverShutdown","E":1770123456789}', 0)).toEqual({ kind: 'shutdown', at: 1770123456789 });
    expect(parseBinanceFrame('{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":5}}', 0)).toEqual({ kind: 'shutdown', at: 5 });
  });

  it.each([
    ['truncated JSON', raw.slice(0, 40)],
    ['non-JSON text', 'hello'],
    ['an array', '[1,2]'],
    ['a null price', JSON.stringify({ ...fixture.frame, k: { ...fixture.frame.k, o: null } })],
    ['a missing close flag', JSON.stringify({ ...fixture.frame, k: { ...fixture.frame.k, x: undefined } })],
    ['an unknown interval', JSON.stringify({ ...fixture.frame, k: { ...fixture.frame.k, i: '7m' } })],
    ['high below low', JSON.stringify({ ...fixture.frame, k: { ...fixture.frame.k, h: '0.0001' } })],
    ['negative volume', JSON.stringify({ ...fixture.frame, k: { ...fixture.frame.k, v: '-1' } })],
    ['an unknown event type', '{"e":"trade","E":1}'],
    ['an unrecognised object', '{"hello":1}'],
  ])('classifies %s as malformed without throwing', (_name, text) => {
    expect(parseBinanceFrame(text, 0).kind).toBe('malformed');
  });
});

describe('klineRowToBar', () => {
  it('turns a REST row into a closed bar', () => {
    const row = [1499040000000, '0.01634790', '0.80000000', '0.01575800', '0.01577100', '148976.11427815', 1499644799999, '2434.19055334', 308, '1756.87402397', '28.46694368', '0'];
    const bar = klineRowToBar(row, 'LTCBTC', '1m', 1);
    expect(typeof bar).toBe('object');
    if (typeof bar === 'string') return;
    expect(bar).toMatchObject({ symbol: 'LTCBTC', openTime: 1499040000000, closeTime: 1499644799999, final: true, tradeCount: 308, close: 0.015771 });
    expect(bar.vwap).toBeCloseTo(2434.19055334 / 148976.11427815, 12);
  });

  it('rejects a short row', () => {
    expect(typeof klineRowToBar([1, '2'], 'X', '1m', 0)).toBe('string');
  });
});
