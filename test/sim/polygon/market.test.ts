/** The Polygon simulator's market (deterministic, sparse, corrected) and its REST aggregates. */
import { describe, expect, it } from 'vitest';
import { resolvePolygonOptions } from '../../../src/sim/polygon/index.ts';
import { KEY, usePolygonSims } from './helpers.ts';

const { start } = usePolygonSims();
const M = 60_000;

const aggs = async (base: string, path: string, query: Record<string, string | number> = {}, key: string | null = KEY) => {
  const q = new URLSearchParams(Object.entries({ ...query, ...(key ? { apiKey: key } : {}) }).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${base}${path}?${q}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
};

describe('Polygon simulator market', () => {
  it('is deterministic per seed', async () => {
    const [a, b, c] = await Promise.all([start({ seed: 7 }), start({ seed: 7 }), start({ seed: 8 })]);
    for (const s of [a, b, c]) s.advance(600);
    const t0 = a.options.startTime;
    expect(a.closedBars('AAPL', '1m', t0)).toEqual(b.closedBars('AAPL', '1m', t0));
    expect(a.closedBars('AAPL', '1m', t0)).not.toEqual(c.closedBars('AAPL', '1m', t0));
  });

  it('has quiet minutes, and coarser bars are exact aggregates of the minutes', async () => {
    const sim = await start({ quietMinuteRate: 0.3 });
    sim.advance(3_600);
    const t0 = sim.options.startTime;
    const minutes = sim.closedBars('AAPL', '1m', t0);
    expect(minutes.length).toBeGreaterThan(30);
    expect(minutes.length).toBeLessThan(55);
    for (const w of sim.closedBars('AAPL', '5m', t0)) {
      const parts = minutes.filter((m) => m.t >= w.t && m.t < w.t + 5 * M);
      expect(w).toMatchObject({
        o: parts[0]!.o, c: parts.at(-1)!.c, h: Math.max(...parts.map((p) => p.h)), l: Math.min(...parts.map((p) => p.l)),
        v: parts.reduce((n, p) => n + p.v!, 0), n: parts.reduce((n, p) => n + p.n!, 0),
      });
    }
    expect(sim.closedBars('I:SPX', '1m', t0)[0]).not.toHaveProperty('v');
    expect(sim.closedBars('I:SPX', '1m', t0)[0]).not.toHaveProperty('n');
  });

  it('shows a correction from the time it is made, and silenced minutes have no bar', async () => {
    const sim = await start();
    const t0 = sim.options.startTime;
    sim.silence('MSFT', t0 + 10 * M, t0 + 12 * M);
    sim.advance(15 * 60);
    const before = sim.closedBars('MSFT', '1m', t0);
    expect(before.some((r) => r.t === t0 + 10 * M || r.t === t0 + 11 * M)).toBe(false);
    const row = sim.correct('MSFT', before[2]!.t);
    expect(row).toMatchObject({ t: before[2]!.t, n: before[2]!.n! + 1 });
    expect(row.h).toBeCloseTo(before[2]!.h + 0.01, 9);
    expect(row.v).toBeGreaterThan(before[2]!.v!);
    expect(sim.closedBars('MSFT', '1m', t0)[2]).toEqual(row);
    expect(() => sim.correct('MSFT', sim.now())).toThrow(RangeError);
  });

  it('rejects invalid options', () => {
    expect(() => resolvePolygonOptions({ marketStepMs: 1500 })).toThrow(/marketStepMs/);
    expect(() => resolvePolygonOptions({ correctionRate: 2 })).toThrow(/correctionRate/);
    expect(() => resolvePolygonOptions({ symbols: { stocks: ['btc-usd'] } as never })).toThrow(/stocks symbol/);
    expect(resolvePolygonOptions({ symbols: { crypto: ['SOL-USD'] } as never }).symbols.stocks).toEqual(['AAPL', 'MSFT', 'GOOGL']);
  });
});

describe('Polygon simulator REST aggregates', () => {
  it('pages with next_url, which carries a cursor and not the key', async () => {
    const sim = await start({ restPageSize: 7 });
    sim.advance(3_600);
    const t0 = sim.options.startTime;
    const truth = sim.closedBars('BTC-USD', '1m', t0, t0 + 40 * M - 1);
    const first = await aggs(sim.restUrl, `/v2/aggs/ticker/X:BTCUSD/range/1/minute/${t0}/${t0 + 40 * M - 1}`, { adjusted: 'true', sort: 'asc', limit: 50_000 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ticker: 'X:BTCUSD', status: 'OK', resultsCount: 7 });
    expect(first.body.next_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/aggs\/ticker\/X%3ABTCUSD\/range\/1\/minute\/\d+\/\d+\?cursor=/);
    expect(first.body.next_url).not.toContain(KEY);
    const rows = [...first.body.results];
    let next: string | undefined = first.body.next_url;
    while (next) {
      const page = (await (await fetch(`${next}&apiKey=${KEY}`)).json()) as Record<string, any>;
      rows.push(...(page.results ?? []));
      next = page.next_url;
    }
    expect(rows).toEqual(truth);
  });

  it('serves seconds, date bounds, descending order and only windows that have ended', async () => {
    const sim = await start();
    sim.advance(90);
    const t0 = sim.options.startTime;
    const secs = await aggs(sim.restUrl, `/v2/aggs/ticker/AAPL/range/1/second/${t0}/${t0 + 200_000}`);
    expect(secs.body.results).toEqual(sim.closedBars('AAPL', '1s', t0));
    expect(Math.max(...secs.body.results.map((r: { t: number }) => r.t))).toBeLessThan(sim.now());
    const day = await aggs(sim.restUrl, '/v2/aggs/ticker/AAPL/range/1/minute/2026-01-05/2026-01-05', { sort: 'desc' });
    expect(day.body.results.map((r: { t: number }) => r.t)).toEqual(sim.closedBars('AAPL', '1m', Date.UTC(2026, 0, 5)).map((r) => r.t).reverse());
  });

  it('answers an unknown ticker with no results, and refuses a missing or unknown key with 401', async () => {
    const sim = await start();
    sim.advance(120);
    const t0 = sim.options.startTime;
    const unknown = await aggs(sim.restUrl, `/v2/aggs/ticker/NOPE/range/1/minute/${t0}/${t0 + M}`);
    expect(unknown.body).toMatchObject({ status: 'OK', resultsCount: 0 });
    expect(unknown.body).not.toHaveProperty('results');
    expect((await aggs(sim.restUrl, `/v2/aggs/ticker/AAPL/range/1/minute/${t0}/${t0 + M}`, {}, 'bad')).status).toBe(401);
    const missing = await aggs(sim.restUrl, `/v2/aggs/ticker/AAPL/range/1/minute/${t0}/${t0 + M}`, {}, null);
    expect(missing).toMatchObject({ status: 401, body: { status: 'ERROR', error: 'API Key was not provided' } });
    expect(sim.requests().every((r) => !JSON.stringify(r).includes(KEY))).toBe(true);
  });

  it('fails the next requests on demand, with Retry-After on 429', async () => {
    const sim = await start();
    sim.advance(120);
    const t0 = sim.options.startTime;
    sim.failNextRest(1, 429, 3);
    const limited = await aggs(sim.restUrl, `/v2/aggs/ticker/AAPL/range/1/minute/${t0}/${t0 + M}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await aggs(sim.restUrl, `/v2/aggs/ticker/AAPL/range/1/minute/${t0}/${t0 + M}`)).status).toBe(200);
  });
});
