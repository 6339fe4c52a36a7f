/**
 * The simulator speaks Massive as the venue does: day fields on stock aggregates, index instants, per-second
 * crypto and forex aggregates, New York day bars, the three handshake dialects, and a clock that starts now.
 */
import { describe, expect, it } from 'vitest';
import { resolvePolygonOptions } from '../../../src/sim/polygon/index.ts';
import { eventsOf, KEY, statuses, T0, usePolygonSims, waitEvent } from './helpers.ts';

const { start, connect, authed } = usePolygonSims();
const M = 60_000;

const get = async (base: string, path: string) => (await (await fetch(`${base}${path}?apiKey=${KEY}`)).json()) as { results?: { t: number }[] };

describe('Massive simulator: venue facts', () => {
  it('sends the day\'s volume, opening price and VWAP on stock AM events, as of each window', async () => {
    const sim = await start({ marketStepMs: 60_000 });
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.AAPL' });
    await waitEvent(client, (e) => e.status === 'success');
    sim.advance(6);
    await waitEvent(client, (e) => e.ev === 'AM' && e.s === T0 + 5 * M);
    // 14:30 UTC on 2026-01-05 is 09:30 in New York: the day opened at 05:00 UTC.
    const day = sim.closedBars('AAPL', '1m', Date.UTC(2026, 0, 5, 5));
    for (const e of eventsOf(client).filter((x) => x.ev === 'AM')) {
      expect(Object.keys(e)).toEqual(['ev', 'sym', 'v', 'av', 'op', 'vw', 'o', 'c', 'h', 'l', 'a', 'z', 's', 'e']);
      const upTo = day.filter((r) => r.t <= e.s);
      expect(e.av).toBe(upTo.reduce((n, r) => n + r.v!, 0));
      expect(e.op).toBe(day[0]!.o);
      expect(e.a).toBeCloseTo(upTo.reduce((n, r) => n + r.vw! * r.v!, 0) / e.av, 9);
    }
  });

  it('counts a correction in the day\'s volume from the time it is made', async () => {
    const sim = await start({ marketStepMs: 60_000 });
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.MSFT' });
    await waitEvent(client, (e) => e.status === 'success');
    sim.advance(4);
    const first = await waitEvent(client, (e) => e.ev === 'AM');
    const corrected = sim.correct('MSFT', first.s);
    const resent = await waitEvent(client, (e) => e.ev === 'AM' && e.s === first.s && e.v !== first.v);
    expect(resent.v).toBe(corrected.v);
    expect(resent.av - first.av).toBe(resent.v - first.v);
  });

  it('stamps index aggregates with one instant inside the window, with the day\'s open and no volume', async () => {
    const sim = await start({ marketStepMs: 60_000 });
    const client = await authed(sim, 'indices');
    client.send({ action: 'subscribe', params: 'AM.I:SPX,A.I:SPX' });
    await waitEvent(client, (e) => e.message === 'subscribed to: A.I:SPX');
    sim.advance(3);
    await waitEvent(client, (e) => e.ev === 'AM');
    for (const e of eventsOf(client).filter((x) => x.ev === 'AM' || x.ev === 'A')) {
      const size = e.ev === 'AM' ? M : 1_000;
      expect(Object.keys(e)).toEqual(['ev', 'sym', 'op', 'o', 'c', 'h', 'l', 's', 'e']);
      expect(e.s).toBe(e.e);
      const open = e.s - (e.s % size);
      expect(e.s - open).toBeLessThan(size);
      expect(sim.closedBars('I:SPX', e.ev === 'AM' ? '1m' : '1s', open, open)[0]).toMatchObject({ o: e.o, c: e.c });
    }
  });

  it('streams per-second XAS crypto and CAS forex aggregates', async () => {
    const sim = await start();
    const crypto = await authed(sim, 'crypto');
    const forex = await authed(sim, 'forex');
    crypto.send({ action: 'subscribe', params: 'XAS.BTC-USD' });
    forex.send({ action: 'subscribe', params: 'CAS.*' });
    await waitEvent(crypto, (e) => e.status === 'success');
    await waitEvent(forex, (e) => e.status === 'success');
    sim.advance(120);
    const truth = sim.closedBars('BTC-USD', '1s', T0);
    await crypto.until(() => eventsOf(crypto).filter((e) => e.ev === 'XAS').length === truth.length, 'every XAS bar');
    await waitEvent(forex, (e) => e.ev === 'CAS');
    const xas = eventsOf(crypto).filter((e) => e.ev === 'XAS');
    expect(xas.map((e) => [e.s, e.e - e.s, e.c, e.v])).toEqual(truth.map((r) => [r.t, 1_000, r.c, r.v]));
    expect(truth.length).toBeGreaterThan(30);
    expect(Object.keys(eventsOf(forex).find((e) => e.ev === 'CAS')!)).toEqual(['ev', 'pair', 'o', 'c', 'h', 'l', 'v', 's']);
  });

  it('opens stock, option and index day bars at New York midnight, crypto and forex at UTC midnight', async () => {
    const sim = await start({ startTime: Date.UTC(2026, 2, 10, 12), marketStepMs: 3_600_000 });
    sim.advance(24 * 4);
    const from = Date.UTC(2026, 2, 6);
    const to = Date.UTC(2026, 2, 14);
    const days = async (ticker: string) => (await get(sim.restUrl, `/v2/aggs/ticker/${encodeURIComponent(ticker)}/range/1/day/${from}/${to}`)).results!.map((r) => new Date(r.t).toISOString());
    // New York moved to summer time on 2026-03-08: from then on its midnight is 04:00 UTC.
    expect((await days('AAPL')).slice(0, 4)).toEqual(['2026-03-06T05:00:00.000Z', '2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    expect((await days('I:SPX'))[3]).toBe('2026-03-09T04:00:00.000Z');
    expect((await days('O:SPY251219C00650000'))[0]).toBe('2026-03-06T05:00:00.000Z');
    expect((await days('X:BTCUSD'))[0]).toBe('2026-03-06T00:00:00.000Z');
    expect((await days('C:EURUSD'))[0]).toBe('2026-03-06T00:00:00.000Z');
    const [short] = sim.closedBars('AAPL', '1d', Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 2, 8, 5));
    const minutes = sim.closedBars('AAPL', '1m', Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 2, 9, 4) - 1);
    expect(short!.v).toBe(minutes.reduce((n, r) => n + r.v!, 0)); // a 23-hour day holds exactly its minutes
  });

  it('speaks the spec\'s and the older servers\' handshakes', async () => {
    const spec = await start({ handshake: 'spec' });
    const a = await connect(spec);
    await waitEvent(a, (e) => e.ev === 'status');
    a.send({ action: 'auth', params: KEY });
    await waitEvent(a, (e) => e.status === 'auth_success');
    expect(statuses(a)).toEqual(['success: Connected Successfully', 'auth_success: authenticated']);
    const legacy = await start({ handshake: 'legacy' });
    const b = await connect(legacy);
    b.send({ action: 'auth', params: KEY });
    await waitEvent(b, (e) => e.message === 'authenticated');
    const c = await connect(legacy);
    c.send({ action: 'auth', params: 'wrong' });
    await c.closed;
    expect(statuses(b)).toEqual(['connected: Connected Successfully', 'success: authenticated']);
    expect(statuses(c)).toEqual(['connected: Connected Successfully', 'error: authentication failed']);
  });

  it('starts its market clock at the wall-clock second by default', () => {
    expect(resolvePolygonOptions({}, () => Date.UTC(2026, 11, 3, 13, 45, 7, 250)).startTime).toBe(Date.UTC(2026, 11, 3, 13, 45, 7));
    const before = Date.now();
    const { startTime } = resolvePolygonOptions();
    expect(startTime).toBeGreaterThanOrEqual(Math.floor(before / 1_000) * 1_000);
    expect(startTime).toBeLessThanOrEqual(Date.now());
    expect(() => resolvePolygonOptions({ startTime: 1.5 })).toThrow(/startTime/);
    expect(() => resolvePolygonOptions({ handshake: 'v2' as never })).toThrow(/handshake/);
  });
});
