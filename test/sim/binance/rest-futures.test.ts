import { describe, expect, it } from 'vitest';
import type { BinanceKlineRow } from '../../../src/providers/binance/messages.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();
const START = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const get = async (base: string, path: string): Promise<{ status: number; body: any; headers: Headers }> => {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json(), headers: response.headers };
};

describe('futures REST', () => {
  it('serves USDⓈ-M klines on /fapi/v1 and answers /api/v3 with 404', async () => {
    const sim = await sims.start({ feed: 'usdm' });
    const { status, body } = await get(sim.restUrl, `/fapi/v1/klines?symbol=BTCUSDT_260626&interval=1m&startTime=${START - 3 * MIN}&endTime=${START - 1}`);
    expect(status).toBe(200);
    const bar = sim.bar('BTCUSDT_260626', '1m', START - 2 * MIN);
    expect((body as BinanceKlineRow[])[1]).toEqual([bar.t, bar.o, bar.h, bar.l, bar.c, bar.v, bar.T, bar.q, bar.n, bar.V, bar.Q, '0']);
    expect((await get(sim.restUrl, '/api/v3/klines?symbol=BTCUSDT&interval=1m')).status).toBe(404);
    expect((await get(sim.restUrl, '/fapi/v1/klines?symbol=BTCUSDT&interval=1s')).body).toEqual({ code: -1120, msg: 'Invalid interval.' });
  });

  it('returns up to 1500 rows and weighs a request by its limit', async () => {
    const sim = await sims.start({ feed: 'usdm' });
    const weightAfter = async (limit: number): Promise<number> =>
      Number((await get(sim.restUrl, `/fapi/v1/klines?symbol=ETHUSDT&interval=1m&endTime=${START}&limit=${limit}`)).headers.get('x-mbx-used-weight-1m'));
    const first = await weightAfter(99);
    expect(await weightAfter(100)).toBe(first + 2);
    expect(await weightAfter(1000)).toBe(first + 2 + 5);
    expect(await weightAfter(1500)).toBe(first + 2 + 5 + 10);
    const { body } = await get(sim.restUrl, `/fapi/v1/klines?symbol=ETHUSDT&interval=1m&endTime=${START}&limit=2000`);
    expect(body).toHaveLength(1500);
  });

  it('lists USDⓈ-M perpetuals and delivery contracts with status and contract type', async () => {
    const sim = await sims.start({ feed: 'usdm' });
    const { body } = await get(sim.restUrl, '/fapi/v1/exchangeInfo');
    expect(body.rateLimits[0]).toEqual({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 });
    const bySymbol = new Map((body.symbols as any[]).map((s) => [s.symbol, s]));
    expect(bySymbol.get('BTCUSDT')).toMatchObject({ pair: 'BTCUSDT', contractType: 'PERPETUAL', status: 'TRADING', quoteAsset: 'USDT', marginAsset: 'USDT' });
    expect(bySymbol.get('BTCUSDT_260626')).toMatchObject({ pair: 'BTCUSDT', contractType: 'CURRENT_QUARTER', deliveryDate: Date.UTC(2026, 5, 26, 8) });
  });

  it('serves COIN-M on /dapi/v1 with contract sizes and contractStatus', async () => {
    const sim = await sims.start({ feed: 'coinm' });
    const { body } = await get(sim.restUrl, '/dapi/v1/exchangeInfo');
    const btc = (body.symbols as any[]).find((s) => s.symbol === 'BTCUSD_PERP');
    expect(btc).toMatchObject({ pair: 'BTCUSD', contractType: 'PERPETUAL', contractStatus: 'TRADING', contractSize: 100, baseAsset: 'BTC', quoteAsset: 'USD', marginAsset: 'BTC' });
    expect((body.symbols as any[]).find((s) => s.symbol === 'ETHUSD_PERP').contractSize).toBe(10);
    const rows = (await get(sim.restUrl, `/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1h&endTime=${START}&limit=3`)).body as BinanceKlineRow[];
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => Number.isInteger(Number(r[5])))).toBe(true);
  });

  it('refuses a COIN-M klines span over 200 days with -1127', async () => {
    const sim = await sims.start({ feed: 'coinm' });
    const tooLong = await get(sim.restUrl, `/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d&startTime=${START - 201 * DAY}&endTime=${START}`);
    expect(tooLong).toMatchObject({ status: 400, body: { code: -1127, msg: 'More than 4800 hours between startTime and endTime.' } });
    const ok = await get(sim.restUrl, `/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1d&startTime=${START - 3 * DAY}&endTime=${START - 1}`);
    expect((ok.body as BinanceKlineRow[]).map((r) => r[0])).toEqual([START - 3 * DAY, START - 2 * DAY, START - DAY]);
  });
});
