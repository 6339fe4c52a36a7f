/**
 * The official Massive JS client (`@massive.com/client-js`) against the simulator on loopback: its WebSocket
 * client (which sends `auth` as soon as the socket opens) and its REST client (`restClient(key, base)`, with
 * and without its own `next_url` pagination) receive the simulator's data. Both take their base URL as an
 * argument, so nothing leaves 127.0.0.1.
 */
import { GetIndicesAggregatesTimespanEnum, GetStocksAggregatesTimespanEnum, restClient, websocketClient } from '@massive.com/client-js';
import { describe, expect, it } from 'vitest';
import { eventWaits } from '../../support/event-waits.ts';
import { KEY, T0, usePolygonSims, type Ev } from './helpers.ts';

const { start } = usePolygonSims();
const M = 60_000;

/** Opens the client's socket for a market, collects every event it receives, and waits on them. */
const clientSocket = (wsUrl: string, market: 'stocks' | 'crypto' | 'indices' | 'forex' | 'options') => {
  const client = websocketClient(KEY, wsUrl);
  const ws = client[market]();
  const events: Ev[] = [];
  const waits = eventWaits();
  ws.onmessage = (msg: { data: unknown }) => {
    for (const e of JSON.parse(String(msg.data)) as Ev[]) events.push(e);
    waits.poke();
  };
  /** Resolves once `ok()` holds, re-checked on every message. */
  const until = (ok: () => boolean, what: string): Promise<void> => waits.until(ok, what, 2_000);
  return { ws, events, until };
};

describe('@massive.com/client-js against the simulator', () => {
  it('authenticates with the WebSocket client and receives AM and A bars equal to the ground truth', async () => {
    const sim = await start({ marketStepMs: 20_000 });
    expect(sim.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:/);
    const { ws, events, until } = clientSocket(sim.wsUrl, 'stocks');
    try {
      await until(() => events.some((e) => e.status === 'auth_success'), 'auth_success');
      ws.send(JSON.stringify({ action: 'subscribe', params: 'AM.AAPL,A.MSFT' }));
      await until(() => events.some((e) => e.message === 'subscribed to: A.MSFT'), 'the subscription');
      sim.advance(30);
      const truth = sim.closedBars('AAPL', '1m', T0);
      await until(() => events.filter((e) => e.ev === 'AM').length === truth.length, 'every AM bar');
      const am = events.filter((e) => e.ev === 'AM');
      expect(am.map((e) => [e.sym, e.s, e.o, e.h, e.l, e.c, e.v])).toEqual(truth.map((r) => ['AAPL', r.t, r.o, r.h, r.l, r.c, r.v]));
      expect(am.every((e) => typeof e.av === 'number' && typeof e.op === 'number' && typeof e.a === 'number')).toBe(true);
      expect(events.some((e) => e.ev === 'A' && e.sym === 'MSFT')).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('receives per-second crypto aggregates (XAS) on the crypto socket', async () => {
    const sim = await start();
    const { ws, events, until } = clientSocket(sim.wsUrl, 'crypto');
    try {
      await until(() => events.some((e) => e.status === 'auth_success'), 'auth_success');
      ws.send(JSON.stringify({ action: 'subscribe', params: 'XAS.*' }));
      await until(() => events.some((e) => e.status === 'success'), 'the subscription');
      sim.advance(60);
      const truth = sim.closedBars('ETH-USD', '1s', T0);
      await until(() => events.filter((e) => e.ev === 'XAS' && e.pair === 'ETH-USD').length === truth.length, 'every ETH-USD XAS bar');
      expect(truth.length).toBeGreaterThan(20);
    } finally {
      ws.close();
    }
  });

  it('reads aggregates with the REST client, one page and paged through next_url', async () => {
    const sim = await start({ restPageSize: 7 });
    sim.advance(40 * 60);
    const truth = sim.closedBars('AAPL', '1m', T0, T0 + 30 * M - 1);
    const single = await restClient(KEY, sim.restUrl).getStocksAggregates({ stocksTicker: 'AAPL', multiplier: 1, timespan: GetStocksAggregatesTimespanEnum.Minute, from: String(T0), to: String(T0 + 30 * M - 1) });
    expect(single.status).toBe('OK');
    expect(single.results).toEqual(truth.slice(0, 7));
    expect(single.next_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/aggs\/ticker\/AAPL\/range\/1\/minute\//);
    const paged = await restClient(KEY, sim.restUrl, { pagination: true }).getStocksAggregates({ stocksTicker: 'AAPL', multiplier: 1, timespan: GetStocksAggregatesTimespanEnum.Minute, from: String(T0), to: String(T0 + 30 * M - 1) });
    // The client prepends each later page: compare as sets ordered by time.
    expect([...(paged.results ?? [])].sort((a, b) => a.t - b.t)).toEqual(truth);
    const index = await restClient(KEY, sim.restUrl).getIndicesAggregates({ indicesTicker: 'I:SPX', multiplier: 1, timespan: GetIndicesAggregatesTimespanEnum.Minute, from: String(T0), to: String(T0 + 5 * M - 1) });
    expect(index.results!.length).toBeGreaterThan(0);
    expect(index.results!.every((r) => !('n' in r) && !('v' in r))).toBe(true);
    expect(sim.requests().every((r) => r.withKey)).toBe(true);
  });
});
