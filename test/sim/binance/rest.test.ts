import { describe, expect, it } from 'vitest';
import type { BinanceKlineRow } from '../../../src/providers/binance/messages.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();
const START = Date.UTC(2026, 0, 1);
const MIN = 60_000;

const get = async (base: string, path: string): Promise<{ status: number; body: any; headers: Headers }> => {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json(), headers: response.headers };
};

describe('REST API', () => {
  it('serves closed klines equal to bar(), then the bucket in progress with partial values', async () => {
    const sim = await sims.start({ marketStepMs: 45_000 });
    sim.advance(4); // market time START + 3 min
    const { status, body } = await get(sim.restUrl, `/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${START}`);
    expect(status).toBe(200);
    const rows = body as BinanceKlineRow[];
    expect(rows.map((r) => r[0])).toEqual([START, START + MIN, START + 2 * MIN, START + 3 * MIN]);
    const bar = sim.bar('BTCUSDT', '1m', START + MIN);
    expect(rows[1]).toEqual([bar.t, bar.o, bar.h, bar.l, bar.c, bar.v, bar.T, bar.q, bar.n, bar.V, bar.Q, '0']);
    const partial = rows[3]!;
    const final = sim.bar('BTCUSDT', '1m', START + 3 * MIN);
    expect(partial[1]).toBe(final.o);
    expect(partial[8]).toBeLessThan(final.n);
  });

  it('pages through a range with startTime, endTime and limit', async () => {
    const sim = await sims.start();
    const from = START - 25 * MIN;
    const to = START - 1;
    const pages: BinanceKlineRow[][] = [];
    for (let start = from; ; ) {
      const { body } = await get(sim.restUrl, `/api/v3/klines?symbol=ethusdt&interval=1m&startTime=${start}&endTime=${to}&limit=10`);
      if (body.length === 0) break;
      pages.push(body);
      start = body.at(-1)[0] + 1;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    const bars = sim.closedBars('ETHUSDT', '1m', from, to);
    expect(pages.flat()).toEqual(bars.map((k) => [k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, '0']));
  });

  it('returns the latest rows ending with the bucket in progress when no startTime is given', async () => {
    const sim = await sims.start();
    sim.advance(10);
    const { body } = await get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=5m&limit=3');
    expect(body.map((r: BinanceKlineRow) => r[0])).toEqual([START - 10 * MIN, START - 5 * MIN, START]);
    const { body: capped } = await get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5000');
    expect(capped).toHaveLength(1000);
    const { body: byEnd } = await get(sim.restUrl, `/api/v3/klines?symbol=BTCUSDT&interval=1h&endTime=${START - 1}&limit=2`);
    expect(byEnd.map((r: BinanceKlineRow) => r[0])).toEqual([START - 2 * 60 * MIN, START - 60 * MIN]);
  });

  it('starts at the simulated listing', async () => {
    const sim = await sims.start({ historyMs: 2 * 86_400_000 });
    const { body } = await get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1d&startTime=0');
    expect(body.map((r: BinanceKlineRow) => r[0])).toEqual([START - 2 * 86_400_000, START - 86_400_000, START]);
  });

  it('answers bad parameters with Binance error codes', async () => {
    const sim = await sims.start();
    const cases: [string, number, number][] = [
      ['/api/v3/klines?symbol=NOPE&interval=1m', 400, -1121],
      ['/api/v3/klines?symbol=BTCUSDT&interval=7m', 400, -1120],
      ['/api/v3/klines?interval=1m', 400, -1102],
      ['/api/v3/klines?symbol=BTCUSDT', 400, -1102],
      ['/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=ten', 400, -1100],
      ['/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=2&endTime=1', 400, -1023],
      ['/api/v3/exchangeInfo?symbol=NOPE', 400, -1121],
      ['/api/v3/nothing', 404, -1000],
    ];
    for (const [path, status, code] of cases) {
      const response = await get(sim.restUrl, path);
      expect([path, response.status, response.body.code]).toEqual([path, status, code]);
    }
    expect((await get(sim.restUrl, '/api/v3/klines?symbol=NOPE&interval=1m')).body).toEqual({ code: -1121, msg: 'Invalid symbol.' });
  });

  it('reports the used weight per minute, two per klines call', async () => {
    const sim = await sims.start();
    const weights: string[] = [];
    for (let i = 0; i < 3; i++) {
      weights.push((await get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1')).headers.get('x-mbx-used-weight-1m')!);
    }
    expect(weights.map(Number)).toSatisfy((w: number[]) => w[1]! - w[0]! === 2 && w[2]! - w[1]! === 2);
  });

  it('answers 429 with Retry-After, then 418 to a request made during the wait, then recovers at its end', async () => {
    const wall = new ManualClock(START);
    const sim = await sims.start({}, { wall });
    sim.rateLimitNext(1, 1);
    const limited = await get(sim.restUrl, '/api/v3/ping');
    expect([limited.status, limited.headers.get('retry-after'), limited.body]).toEqual([429, '1', { code: -1003, msg: 'Too many requests' }]);
    const banned = await get(sim.restUrl, '/api/v3/ping');
    expect(banned.status).toBe(418);
    expect(banned.headers.get('retry-after')).toBe('1');
    expect(banned.body.code).toBe(-1003);
    // One millisecond before the second is over the ban holds; at its end the next request passes.
    await wall.advance(999);
    expect((await get(sim.restUrl, '/api/v3/ping')).status).toBe(418);
    await wall.advance(1);
    expect((await get(sim.restUrl, '/api/v3/ping')).status).toBe(200);
    expect(sim.stats()).toMatchObject({ restRateLimited: 1, restBanned: 2, restRequests: 4 });
    expect(sim.requests().map((r) => [r.status, r.at - START])).toEqual([[429, 0], [418, 0], [418, 999], [200, 1_000]]);
  });

  it('answers 429 once the weight per minute is used up, and resets the weight when the minute turns', async () => {
    const wall = new ManualClock(START + 30_000);
    const sim = await sims.start({ restWeightPerMinute: 4 }, { wall });
    const klines = () => get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await klines()).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await klines()).headers.get('retry-after')).toBe('30');
    // The last millisecond of the minute is still inside the Retry-After; the next minute starts from weight 0.
    await wall.advance(29_999);
    expect((await klines()).status).toBe(418);
    await wall.advance(1);
    const fresh = await klines();
    expect([fresh.status, fresh.headers.get('x-mbx-used-weight-1m')]).toEqual([200, '2']);
  });

  it('describes symbols in exchangeInfo with their filters', async () => {
    const sim = await sims.start();
    const all = await get(sim.restUrl, '/api/v3/exchangeInfo');
    expect(all.body).toMatchObject({ timezone: 'UTC', serverTime: START });
    expect(all.body.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(sim.symbols);
    const btc = (await get(sim.restUrl, '/api/v3/exchangeInfo?symbol=BTCUSDT')).body.symbols;
    expect(btc).toEqual([expect.objectContaining({
      symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT', baseAssetPrecision: 8, quotePrecision: 8,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
        { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000000.00000000', stepSize: '0.00001000' },
        expect.objectContaining({ filterType: 'NOTIONAL', minNotional: '5.00000000' }),
      ],
    })]);
    const two = await get(sim.restUrl, `/api/v3/exchangeInfo?symbols=${encodeURIComponent('["ETHUSDT","DOGEUSDT"]')}`);
    expect(two.body.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['ETHUSDT', 'DOGEUSDT']);
  });

  it('tells market time and answers ping', async () => {
    const sim = await sims.start();
    sim.advance(5);
    expect((await get(sim.restUrl, '/api/v3/time')).body).toEqual({ serverTime: START + 10_000 });
    expect((await get(sim.restUrl, '/api/v3/ping')).body).toEqual({});
  });

  it('logs every request', async () => {
    const sim = await sims.start();
    await get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2');
    await get(sim.restUrl, '/api/v3/time');
    expect(sim.requests().map(({ method, path, query, status }) => ({ method, path, query, status }))).toEqual([
      { method: 'GET', path: '/api/v3/klines', query: { symbol: 'BTCUSDT', interval: '1m', limit: '2' }, status: 200 },
      { method: 'GET', path: '/api/v3/time', query: {}, status: 200 },
    ]);
  });
});
