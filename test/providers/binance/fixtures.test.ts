import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import coinmExchangeInfo from '../../fixtures/binance/nautilus_coinm_exchange_info.json' with { type: 'json' };
import coinmKlines from '../../fixtures/binance/coinm_klines_response.json' with { type: 'json' };
import coinmStream from '../../fixtures/binance/coinm_kline_stream.json' with { type: 'json' };
import errorFrames from '../../fixtures/binance/error_frames.json' with { type: 'json' };
import liveSpot from '../../fixtures/binance/live_spot_kline_frame.json' with { type: 'json' };
import liveUsdmKlines from '../../fixtures/binance/live_usdm_klines_response.json' with { type: 'json' };
import spotKlines from '../../fixtures/binance/nautilus_spot_klines_response.json' with { type: 'json' };
import usdmClosed from '../../fixtures/binance/nautilus_usdm_kline_stream_closed.json' with { type: 'json' };
import usdmOpen from '../../fixtures/binance/nautilus_usdm_kline_stream_open.json' with { type: 'json' };
import usdmKlines from '../../fixtures/binance/nautilus_usdm_klines_response.json' with { type: 'json' };
import tiagoSpot from '../../fixtures/binance/tiagosiebler_spot_kline_frame.json' with { type: 'json' };
import { BinanceRestClient } from '../../../src/providers/binance/backfill.ts';
import { klineRowToBar, parseBinanceFrame } from '../../../src/providers/binance/parse.ts';
import type { RealtimeError } from '../../../src/errors.ts';

const USDM = { provider: 'binance-usdm' };

describe('recorded Binance payloads', () => {
  it('has the source of every fixture recorded', () => {
    for (const f of [coinmExchangeInfo, coinmKlines, coinmStream, errorFrames, liveSpot, liveUsdmKlines, spotKlines, tiagoSpot, usdmClosed, usdmOpen, usdmKlines]) {
      expect(f._source.length).toBeGreaterThan(20);
    }
  });

  it("decodes nautilus_trader's USDⓈ-M kline frames, open and closed, raw and combined", () => {
    const closed = parseBinanceFrame(JSON.stringify(usdmClosed.frame), 9, USDM);
    expect(closed).toEqual({
      kind: 'kline', stream: 'btcusdt@kline_1m', eventTime: 1638747660000,
      bar: {
        provider: 'binance-usdm', symbol: 'BTCUSDT', interval: '1m', openTime: 1638747660000, closeTime: 1638747719999,
        open: 0.001, high: 0.0025, low: 0.001, close: 0.002, volume: 1000, vwap: 0.001, tradeCount: 100, final: true, receivedAt: 9,
      },
    });
    const open = parseBinanceFrame(JSON.stringify({ stream: 'btcusdt@kline_1m', data: usdmOpen.frame }), 9, USDM);
    expect(open.kind === 'kline' && open.bar).toMatchObject({ final: false, low: 0.0015, provider: 'binance-usdm' });
  });

  it('decodes a live Spot frame captured from stream.binance.com', () => {
    const f = parseBinanceFrame(JSON.stringify(liveSpot.frame), 1);
    expect(f.kind).toBe('kline');
    if (f.kind !== 'kline') return;
    expect(f.bar).toMatchObject({ provider: 'binance', symbol: 'BTCUSDT', interval: '5m', open: 46686.15, close: 46673.53, tradeCount: 582, final: false });
    expect(f.bar.vwap).toBeCloseTo(572337.2165538 / 12.26168, 6);
    expect(f.bar.vwap!).toBeGreaterThanOrEqual(f.bar.low);
    expect(f.bar.vwap!).toBeLessThanOrEqual(f.bar.high);
  });

  it("decodes the Spot frame recorded in tiagosiebler/binance's tests", () => {
    const f = parseBinanceFrame(JSON.stringify(tiagoSpot.frame), 1);
    expect(f.kind === 'kline' && f.bar).toMatchObject({
      provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: 1627993800000, closeTime: 1627993859999,
      open: 38231.29, high: 38289.46, low: 38173.86, close: 38183.3, volume: 33.118075, tradeCount: 845, final: false,
    });
  });

  it("decodes nautilus_trader's Spot and USDⓈ-M REST kline rows (the futures row's last field is ignored)", () => {
    const spot = klineRowToBar(spotKlines.rows[0], 'LTCBTC', '1w', 2);
    const usdm = klineRowToBar(usdmKlines.rows[0], 'LTCBTC', '1w', 2, USDM);
    expect(typeof spot).toBe('object');
    expect(usdm).toEqual({ ...(spot as object), provider: 'binance-usdm' });
    expect(spot).toMatchObject({ openTime: 1499040000000, closeTime: 1499644799999, open: 0.0163479, high: 0.8, low: 0.015758, close: 0.015771, tradeCount: 308, final: true });
  });

  it('decodes live USDⓈ-M REST rows with a VWAP inside each bar', () => {
    for (const row of liveUsdmKlines.rows) {
      const bar = klineRowToBar(row, liveUsdmKlines.symbol, liveUsdmKlines.interval, 0, USDM);
      if (typeof bar === 'string') throw new Error(bar);
      expect(bar.closeTime - bar.openTime).toBe(5 * 60_000 - 1);
      expect(bar.vwap!).toBeGreaterThanOrEqual(bar.low);
      expect(bar.vwap!).toBeLessThanOrEqual(bar.high);
    }
  });

  it('reads COIN-M volume as contracts and derives VWAP from the contract size', () => {
    const row = coinmKlines.rows[0];
    const sized = klineRowToBar(row, coinmKlines.symbol, coinmKlines.interval, 0, { provider: 'binance-coinm', contractSize: () => coinmKlines.contractSize });
    const unsized = klineRowToBar(row, coinmKlines.symbol, coinmKlines.interval, 0, { provider: 'binance-coinm', contractSize: () => undefined });
    if (typeof sized === 'string' || typeof unsized === 'string') throw new Error('row refused');
    expect(sized).toMatchObject({ provider: 'binance-coinm', symbol: 'BTCUSD_200626', volume: 206, tradeCount: 48 });
    expect(sized.vwap).toBeCloseTo((206 * 100) / 2.13660389, 8);
    expect(sized.vwap!).toBeGreaterThanOrEqual(sized.low);
    expect(sized.vwap!).toBeLessThanOrEqual(sized.high);
    // Without a contract size, q / v (BTC per contract) is no price: VWAP stays unknown rather than wrong.
    expect(unsized.vwap).toBeNull();
  });

  it('decodes the documented COIN-M delivery-contract frame, contracts as volume', () => {
    const f = parseBinanceFrame(JSON.stringify(coinmStream.frame), 3, { provider: 'binance-coinm', contractSize: () => coinmStream.contractSize });
    expect(f.kind === 'kline' && f.stream).toBe('btcusd_200626@kline_1m');
    if (f.kind !== 'kline') return;
    expect(f.bar).toMatchObject({ provider: 'binance-coinm', symbol: 'BTCUSD_200626', volume: 156, tradeCount: 31, open: 9638.9, close: 9639.8 });
    expect(f.bar.vwap).toBeCloseTo((156 * 100) / 1.61836886, 8);
    expect(f.bar.vwap!).toBeGreaterThanOrEqual(f.bar.low);
    expect(f.bar.vwap!).toBeLessThanOrEqual(f.bar.high);
  });

  it.each(errorFrames.ws.map((e) => [e.frame.msg, e]))('reads the documented error frame %s', (_msg, e) => {
    const f = parseBinanceFrame(JSON.stringify(e.frame), 0);
    expect(f).toEqual({ kind: 'error', id: typeof e.frame.id === 'number' ? e.frame.id : null, code: e.code, message: e.frame.msg });
  });
});

describe('recorded REST payloads through the client', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const serve = async (status: number, body: unknown): Promise<{ base: string; paths: string[] }> => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(new URL(req.url ?? '/', 'http://x').pathname);
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify(body));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
  };
  const env = (errors: RealtimeError[] = []) => ({ now: () => 0, sleep: async () => {}, onError: (e: RealtimeError) => errors.push(e) });

  it('reads contractStatus and contractSize from a COIN-M exchangeInfo', async () => {
    const { base, paths } = await serve(200, coinmExchangeInfo.body);
    const info = await new BinanceRestClient(base, env(), 'coinm').exchangeInfo([]);
    expect(paths).toEqual(['/dapi/v1/exchangeInfo']);
    expect(info.get('BTCUSD_260925')).toEqual({ symbol: 'BTCUSD_260925', status: 'TRADING', contractType: 'CURRENT_QUARTER', contractSize: 100 });
  });

  it('turns the documented invalid-symbol body into INVALID_SYMBOL', async () => {
    const { base, paths } = await serve(400, errorFrames.rest[0]!.body);
    const client = new BinanceRestClient(base, env(), 'usdm');
    await expect(client.closedBars('NOPEUSDT', '1m', 0, 60_000)).rejects.toMatchObject({ code: 'INVALID_SYMBOL' });
    expect(paths).toEqual(['/fapi/v1/klines']);
  });

  it('retries the documented 429 body and gives up as RATE_LIMITED', async () => {
    const errors: RealtimeError[] = [];
    const { base, paths } = await serve(429, errorFrames.rest[2]!.body);
    await expect(new BinanceRestClient(base, env(errors), 'coinm').closedBars('BTCUSD_PERP', '1m', 0, 60_000)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(paths.length).toBe(7);
    expect(errors.every((e) => e.code === 'RATE_LIMITED')).toBe(true);
  });
});
