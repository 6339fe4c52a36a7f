import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import fixture from '../../fixtures/binance/ws_kline.json' with { type: 'json' };
import { isFastKlineFrame, parseBinanceFrame, parseGeneral } from '../../../src/providers/binance/parse.ts';
import live from '../../fixtures/binance/live_spot_kline_frame.json' with { type: 'json' };
import usdm from '../../fixtures/binance/nautilus_usdm_kline_stream_closed.json' with { type: 'json' };

// Values a kline field may hold on the wire, and some it must not: the fast path must agree with JSON.parse on all.
const decimal = fc.oneof(
  fc.double({ min: 0, max: 1e9, noNaN: true }).map((d) => d.toFixed(8)),
  fc.constantFrom('0', '00.10', '1e5', '-1.5', '', 'abc', '1.', '.5', ' 1', 'Infinity'),
);
const integer = fc.oneof(fc.integer({ min: -1, max: 2 ** 53 }), fc.constantFrom(1.5, -0, 1e21));
const kline = fc.record({
  t: integer, T: integer, s: fc.oneof(fc.constantFrom('BTCUSDT', 'BNBBTC', ''), fc.string({ maxLength: 6 })),
  i: fc.constantFrom('1m', '1s', '1h', '7m', '1M'), f: integer, L: integer,
  o: decimal, c: decimal, h: decimal, l: decimal, v: decimal, n: integer, x: fc.boolean(), q: decimal, V: decimal, Q: decimal,
  B: fc.string({ maxLength: 3 }),
});

// Well-formed klines as Binance sends them: prices as 8-decimal strings with low ≤ open, close ≤ high.
const price = fc.integer({ min: 0, max: 1e12 });
const validKline = fc.record({
  t: fc.nat(), s: fc.constantFrom('BTCUSDT', 'BNBBTC', 'ETHUSDT'), i: fc.constantFrom('1s', '1m', '1h', '1d'),
  f: fc.integer({ min: -1, max: 1e9 }), L: fc.integer({ min: -1, max: 1e9 }), prices: fc.tuple(price, price, price, price),
  v: price, n: fc.nat(), x: fc.boolean(), q: price, V: price, Q: price,
}).map(({ prices, ...k }) => {
  const d = (p: number): string => (p / 1e8).toFixed(8);
  const sorted = [...prices].sort((x, y) => x - y);
  return {
    t: k.t, T: k.t + 59_999, s: k.s, i: k.i, f: k.f, L: k.L, o: d(prices[0]), c: d(prices[1]), h: d(sorted[3]!), l: d(sorted[0]!),
    v: d(k.v), n: k.n, x: k.x, q: d(k.q), V: d(k.V), Q: d(k.Q), B: '0',
  };
});

describe('the fast kline path', () => {
  test.prop([validKline, fc.nat()])('takes well-formed frames and decodes them as JSON.parse does', (k, E) => {
    const text = JSON.stringify({ e: 'kline', E, s: k.s, k });
    expect(isFastKlineFrame(text)).toBe(true);
    const frame = parseBinanceFrame(text, 7);
    expect(frame.kind).toBe('kline');
    expect(frame).toEqual(parseGeneral(text, 7));
  });

  test.prop([kline, integer])('decodes every frame exactly as JSON.parse does', (k, E) => {
    const text = JSON.stringify({ e: 'kline', E, s: k.s, k });
    expect(parseBinanceFrame(text, 7)).toEqual(parseGeneral(text, 7));
  });

  test.prop([kline, fc.nat({ max: 400 }), fc.string({ minLength: 1, maxLength: 2 })])('agrees with JSON.parse on damaged frames', (k, at, junk) => {
    const text = JSON.stringify({ e: 'kline', E: 1, s: k.s, k });
    const damaged = text.slice(0, at) + junk + text.slice(at);
    expect(parseBinanceFrame(damaged, 7)).toEqual(parseGeneral(damaged, 7));
  });

  it('takes the documented and the recorded frames, and leaves other layouts to JSON.parse', () => {
    for (const f of [fixture.frame, live.frame, usdm.frame]) expect(isFastKlineFrame(JSON.stringify(f))).toBe(true);
    expect(isFastKlineFrame(JSON.stringify({ stream: 'bnbbtc@kline_1m', data: fixture.frame }))).toBe(false);
    expect(isFastKlineFrame(JSON.stringify(fixture.frame, null, 1))).toBe(false);
  });
});
