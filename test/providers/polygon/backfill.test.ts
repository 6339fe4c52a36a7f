/** The REST aggregates client against the simulator: paging, the key, rate limits and failures. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RealtimeError } from '../../../src/errors.ts';
import { PolygonRestClient } from '../../../src/providers/polygon/backfill.ts';
import { registerSecret } from '../../../src/secrets.ts';
import { startPolygonSimulator, type PolygonSimulator } from '../../../src/sim/polygon/index.ts';
import rest from '../../fixtures/massive/rest_aggs.json' with { type: 'json' };
import restErrors from '../../fixtures/massive/rest_errors.json' with { type: 'json' };

const KEY = 'sim-polygon-key';
const M = 60_000;
const sims: PolygonSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

const setup = async (options: Parameters<typeof startPolygonSimulator>[0] = {}, key = KEY) => {
  const sim = await startPolygonSimulator({ paused: true, startTime: Date.UTC(2026, 0, 5, 14, 30), ...options });
  sims.push(sim);
  sim.advance(3_600);
  const errors: RealtimeError[] = [];
  const slept: number[] = [];
  const client = new PolygonRestClient(sim.restUrl, key, {
    now: () => 1, sleep: async (ms) => { slept.push(ms); }, onError: (e) => errors.push(e),
  });
  return { sim, client, errors, slept, t0: sim.options.startTime };
};

describe('PolygonRestClient', () => {
  it('follows next_url with the key added back and returns every bar of [from, to) in order', async () => {
    const { sim, client, t0 } = await setup({ restPageSize: 5 });
    const bars = await client.closedBars('crypto', 'ETH-USD', '1m', t0 + 3 * M, t0 + 43 * M);
    const truth = sim.closedBars('ETH-USD', '1m', t0 + 3 * M, t0 + 43 * M - 1);
    expect(bars.map((b) => [b.symbol, b.openTime, b.open, b.high, b.low, b.close, b.volume, b.vwap, b.tradeCount])).toEqual(
      truth.map((r) => ['ETH-USD', r.t, r.o, r.h, r.l, r.c, r.v, r.vw, r.n]),
    );
    expect(bars.every((b) => b.backfilled && b.final)).toBe(true);
    expect(client.requests).toBe(Math.ceil(truth.length / 5) + (truth.length % 5 === 0 ? 1 : 0));
    expect(sim.requests().every((r) => r.withKey && r.path.startsWith('/v2/aggs/ticker/X%3AETHUSD/range/1/minute/'))).toBe(true);
  });

  it('reads seconds and forex tickers', async () => {
    const { sim, client, t0 } = await setup();
    const secs = await client.closedBars('stocks', 'AAPL', '1s', t0, t0 + 30_000);
    expect(secs.map((b) => b.openTime)).toEqual(sim.closedBars('AAPL', '1s', t0, t0 + 29_999).map((r) => r.t));
    const fx = await client.closedBars('forex', 'USD/EUR', '1m', t0, t0 + 5 * M);
    expect(fx.map((b) => b.close)).toEqual(sim.closedBars('USD/EUR', '1m', t0, t0 + 5 * M - 1).map((r) => r.c));
    expect(await client.closedBars('stocks', 'AAPL', '1m', t0, t0)).toEqual([]);
  });

  it('honours Retry-After on 429 and retries a server error', async () => {
    const { sim, client, errors, slept, t0 } = await setup();
    sim.failNextRest(1, 429, 2);
    expect((await client.closedBars('stocks', 'AAPL', '1m', t0, t0 + 5 * M)).length).toBeGreaterThan(0);
    expect(slept).toEqual([2_000]);
    expect(errors.map((e) => e.code)).toEqual(['RATE_LIMITED']);
    sim.failNextRest(2, 500);
    expect((await client.closedBars('stocks', 'AAPL', '1m', t0, t0 + 5 * M)).length).toBeGreaterThan(0);
    expect(slept.length).toBe(3);
  });

  it('fails a refused key with AUTHENTICATION_FAILED without showing the key', async () => {
    const secret = 'not-the-right-key-7781';
    registerSecret(secret);
    const { client, t0 } = await setup({}, secret);
    const error = (await client.closedBars('stocks', 'AAPL', '1m', t0, t0 + M).catch((e: unknown) => e)) as RealtimeError;
    expect(error.code).toBe('AUTHENTICATION_FAILED');
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
  });

  it('follows the spec\'s next_url on api.massive.com at the configured origin, keeping the key there', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end(JSON.stringify(seen.length === 1 ? rest.stocks.response : { status: 'OK', resultsCount: 0 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const client = new PolygonRestClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, KEY, { now: () => 0, sleep: async () => {}, onError: () => {} });
      const first = rest.stocks.response.results[0]!.t;
      const bars = await client.closedBars('stocks', 'AAPL', '1m', first, first + M);
      expect(bars).toMatchObject([{ openTime: first, close: 75.0875, tradeCount: 1 }]);
      expect(seen).toHaveLength(2);
      const next = new URL(seen[1]!, 'http://loopback');
      expect(next.pathname).toBe('/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10');
      expect(next.searchParams.get('cursor')).toBe('bGltaXQ9MiZzb3J0PWFzYw');
      expect(next.searchParams.get('apiKey')).toBe(KEY);
    } finally {
      server.close();
    }
  });

  it.each(Object.entries(restErrors).filter(([k]) => k !== '_source'))('fails the live error body %s with AUTHENTICATION_FAILED and its text', async (_name, entry) => {
    const { status, body } = entry as { status: number; body: { error?: string; message?: string } };
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const client = new PolygonRestClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, KEY, { now: () => 0, sleep: async () => {}, onError: () => {} });
      const error = (await client.closedBars('stocks', 'AAPL', '1m', 0, M).catch((e: unknown) => e)) as RealtimeError;
      expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED', retryable: false, message: expect.stringContaining((body.error ?? body.message)!) });
    } finally {
      server.close();
    }
  });

  it('backfills index minutes without volume or trade count', async () => {
    const { client, t0 } = await setup();
    const bars = await client.closedBars('indices', 'I:SPX', '1m', t0, t0 + 10 * M);
    expect(bars.length).toBeGreaterThan(3);
    expect(bars.every((b) => b.volume === 0 && b.vwap === null && b.tradeCount === null)).toBe(true);
  });

  it('refuses to send the key to a next_url on another host', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end(JSON.stringify({ status: 'OK', results: [], next_url: 'http://elsewhere.invalid/v2/aggs/ticker/AAPL/range/1/minute/1/2?cursor=x' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const client = new PolygonRestClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, KEY, { now: () => 0, sleep: async () => {}, onError: () => {} });
      await expect(client.closedBars('stocks', 'AAPL', '1m', 0, M)).rejects.toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringMatching(/another host/) });
      expect(seen).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
