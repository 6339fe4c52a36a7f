/**
 * The REST backfill client's paging per feed, against a small loopback server that answers klines the way the
 * venue documents them (rows of the buckets in [startTime, endTime], at most `limit`, COIN-M spans of at most
 * 200 days refused with -1127).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BinanceRestClient } from '../../../src/providers/binance/backfill.ts';
import type { BinanceFeed } from '../../../src/providers/binance/urls.ts';

const DAY = 86_400_000;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface Seen { readonly path: string; readonly startTime: number; readonly endTime: number; readonly limit: number }

/** Serves daily klines from `listed` on; refuses spans over `maxSpanMs`. */
const venue = async (listed: number, now: number, maxSpanMs = Infinity): Promise<{ base: string; seen: Seen[] }> => {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://venue');
    const q = (k: string) => Number(url.searchParams.get(k));
    const request = { path: url.pathname, startTime: q('startTime'), endTime: q('endTime'), limit: q('limit') };
    seen.push(request);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (request.endTime - request.startTime > maxSpanMs) return send(400, { code: -1127, msg: 'More than 4800 hours between startTime and endTime.' });
    const rows: unknown[] = [];
    for (let t = Math.max(listed, Math.ceil(request.startTime / DAY) * DAY); t <= Math.min(request.endTime, now) && rows.length < request.limit; t += DAY) {
      rows.push([t, '10.0', '11.0', '9.0', '10.5', '100', t + DAY - 1, '1000', 7, '50', '500', '0']);
    }
    send(200, rows);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
};

const client = (base: string, feed: BinanceFeed) =>
  new BinanceRestClient(base, { now: () => 0, sleep: async () => {}, onError: (e) => { throw e; } }, feed);

describe('BinanceRestClient.closedBars', () => {
  it('pages COIN-M backfill in windows of at most 200 days', async () => {
    const to = 1_000 * DAY;
    const { base, seen } = await venue(0, to, 200 * DAY);
    const bars = await client(base, 'coinm').closedBars('BTCUSD_PERP', '1d', to - 450 * DAY, to);
    expect(bars.map((b) => b.openTime)).toEqual(Array.from({ length: 450 }, (_, i) => to - (450 - i) * DAY));
    expect(bars.every((b) => b.provider === 'binance-coinm' && b.backfilled)).toBe(true);
    expect(seen.map((s) => s.path)).toEqual(['/dapi/v1/klines', '/dapi/v1/klines', '/dapi/v1/klines']);
    expect(seen.every((s) => s.endTime - s.startTime <= 200 * DAY && s.limit === 1000)).toBe(true);
  });

  it('pages USDⓈ-M and Spot backfill by 1000 rows over their own paths, without a span limit', async () => {
    const to = 3_000 * DAY;
    for (const [feed, path] of [['usdm', '/fapi/v1/klines'], ['spot', '/api/v3/klines']] as const) {
      const { base, seen } = await venue(0, to);
      const bars = await client(base, feed).closedBars('BTCUSDT', '1d', to - 2_500 * DAY, to);
      expect(bars).toHaveLength(2_500);
      expect(seen.map((s) => [s.path, s.limit])).toEqual([[path, 1000], [path, 1000], [path, 1000]]);
      expect(seen.map((s) => s.endTime)).toEqual([to - 1, to - 1, to - 1]);
    }
  });

  it('moves past COIN-M windows before the listing, where the venue has no rows', async () => {
    const to = 1_000 * DAY;
    const { base, seen } = await venue(to - 10 * DAY, to, 200 * DAY);
    const bars = await client(base, 'coinm').closedBars('BTCUSD_PERP', '1d', to - 500 * DAY, to);
    expect(bars.map((b) => b.openTime)).toEqual(Array.from({ length: 10 }, (_, i) => to - (10 - i) * DAY));
    expect(seen).toHaveLength(3);
  });
});

describe('BinanceRestClient errors', () => {
  it('gives up with REQUEST_FAILED (retryable) when nothing answers, after its retries', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const error = await client(`http://127.0.0.1:${port}`, 'spot').closedBars('BTCUSDT', '1d', 0, 10 * DAY).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REQUEST_FAILED', retryable: true, data: { path: '/api/v3/klines' } });
  });

  it('reports a request the venue refuses (HTTP 400) as REQUEST_REFUSED, not retryable', async () => {
    const { base } = await venue(0, 1_000 * DAY, DAY);
    const error = await client(base, 'spot').closedBars('BTCUSDT', '1d', 0, 10 * DAY).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REQUEST_REFUSED', retryable: false, data: { status: 400, code: -1127 } });
  });
});

