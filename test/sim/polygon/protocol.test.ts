/** The Polygon simulator's WebSocket side speaks the documented message sequence, statuses and faults. */
import { describe, expect, it } from 'vitest';
import { barrier, eventsOf, KEY, statuses, usePolygonSims, waitEvent } from './helpers.ts';

const { start, connect, authed } = usePolygonSims();
const M = 60_000;

describe('Polygon simulator: connection and authentication', () => {
  it('greets with connected, authenticates a good key, and answers one status per subscription parameter', async () => {
    const sim = await start();
    const client = await connect(sim);
    await waitEvent(client, (e) => e.status === 'connected');
    expect(JSON.parse(client.frames[0]!)).toEqual([{ ev: 'status', status: 'connected', message: 'Connected Successfully' }]);
    client.send({ action: 'auth', params: KEY });
    await waitEvent(client, (e) => e.status === 'auth_success');
    client.send({ action: 'subscribe', params: 'AM.AAPL,A.MSFT' });
    await waitEvent(client, (e) => e.message === 'subscribed to: A.MSFT');
    client.send({ action: 'unsubscribe', params: 'AM.AAPL' });
    await waitEvent(client, (e) => e.message === 'unsubscribed to: AM.AAPL');
    expect(statuses(client)).toEqual([
      'connected: Connected Successfully', 'auth_success: authenticated', 'success: subscribed to: AM.AAPL', 'success: subscribed to: A.MSFT',
      'success: unsubscribed to: AM.AAPL',
    ]);
    expect(sim.connections()[0]).toMatchObject({ authenticated: true, keyIndex: 0, params: ['A.MSFT'], authAttempts: 1 });
  });

  it('refuses subscriptions to the params of the refuseParams fault with an error status naming them', async () => {
    const sim = await start();
    sim.refuseParams(['AM.AAPL']);
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.AAPL,A.MSFT' });
    await waitEvent(client, (e) => e.message === 'subscribed to: A.MSFT');
    expect(statuses(client).slice(-2)).toEqual(['error: subscription refused: AM.AAPL', 'success: subscribed to: A.MSFT']);
    expect(sim.connections()[0]).toMatchObject({ params: ['A.MSFT'] });
    sim.refuseParams([]);
    client.send({ action: 'subscribe', params: 'AM.AAPL' });
    await waitEvent(client, (e) => e.message === 'subscribed to: AM.AAPL');
  });

  it('answers a bad key with auth_failed and closes', async () => {
    const sim = await start();
    const client = await connect(sim);
    client.send({ action: 'auth', params: 'wrong-key' });
    const closed = await client.closed;
    expect(statuses(client)).toEqual(['connected: Connected Successfully', 'auth_failed: authentication failed']);
    expect(closed.code).toBe(1008);
    expect(sim.stats()).toMatchObject({ authAttempts: 1, authFailures: 1 });
  });

  it('sends auth_timeout and closes a connection that does not authenticate in time', async () => {
    const sim = await start({ authTimeoutMs: 80 });
    const client = await connect(sim);
    await client.closed;
    expect(statuses(client)).toEqual(['connected: Connected Successfully', 'auth_timeout: No authentication request received.']);
    expect(sim.stats().authTimeouts).toBe(1);
  });

  it('leaves swallowed auth messages unanswered until the timeout', async () => {
    const sim = await start({ authTimeoutMs: 150 });
    sim.ignoreNextAuth(1);
    const client = await connect(sim);
    client.send({ action: 'auth', params: KEY });
    await client.closed;
    expect(statuses(client).at(-1)).toBe('auth_timeout: No authentication request received.');
  });

  it('answers a subscription before authentication with auth_required, as the spec lists', async () => {
    const sim = await start();
    const client = await connect(sim);
    client.send({ action: 'subscribe', params: 'AM.AAPL' });
    await waitEvent(client, (e) => e.status === 'auth_required');
    expect(statuses(client).at(-1)).toBe('auth_required: authentication required');
  });

  it('evicts the older connection of a key on a market with max_connections, not those of other markets or keys', async () => {
    const sim = await start({ apiKeys: [KEY, 'other-key'] });
    const first = await authed(sim, 'stocks');
    const crypto = await authed(sim, 'crypto');
    const otherKey = await authed(sim, 'stocks', 'other-key');
    const second = await authed(sim, 'stocks');
    const closed = await first.closed;
    expect(closed.code).toBe(1008);
    expect(statuses(first).at(-1)).toBe('max_connections: Maximum number of connections exceeded.');
    // An eviction status sent to another connection would precede the answer to a request sent after it.
    await Promise.all([crypto, otherKey, second].map(barrier));
    for (const c of [crypto, otherKey, second]) expect(statuses(c).some((s) => s.startsWith('max_connections'))).toBe(false);
    expect(sim.stats().evictions).toBe(1);
  });

  it('refuses a path that is not a market', async () => {
    const sim = await start();
    await expect(connect(sim, 'equities')).rejects.toThrow(/404/);
  });
});

describe('Polygon simulator: data', () => {
  it('streams AM and A bars that match the ground truth, each frame an array', async () => {
    const sim = await start({ marketStepMs: 20_000, quietMinuteRate: 0.3 });
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.AAPL,A.MSFT' });
    await waitEvent(client, (e) => e.message === 'subscribed to: A.MSFT');
    const t0 = sim.now();
    sim.advance(30);
    await waitEvent(client, (e) => e.ev === 'AM' && e.s === t0 + 9 * M, 3_000);
    await barrier(client);
    expect(client.frames.every((f) => Array.isArray(JSON.parse(f)))).toBe(true);
    const am = eventsOf(client).filter((e) => e.ev === 'AM');
    const truth = sim.closedBars('AAPL', '1m', t0);
    expect(am.map((e) => [e.s, e.e, e.o, e.h, e.l, e.c, e.v, e.vw])).toEqual(truth.map((r) => [r.t, r.t + M, r.o, r.h, r.l, r.c, r.v, r.vw]));
    expect(truth.length).toBeLessThan(10); // quiet minutes send nothing
    const a = eventsOf(client).filter((e) => e.ev === 'A');
    const secs = sim.closedBars('MSFT', '1s', t0);
    expect(a.map((e) => [e.sym, e.s, e.e - e.s, e.c, e.v])).toEqual(secs.map((r) => ['MSFT', r.t, 1_000, r.c, r.v]));
  });

  it('streams XA on crypto and CA on forex, and a wildcard selects every symbol', async () => {
    const sim = await start({ marketStepMs: 60_000 });
    const crypto = await authed(sim, 'crypto');
    const forex = await authed(sim, 'forex');
    crypto.send({ action: 'subscribe', params: 'XA.*' });
    forex.send({ action: 'subscribe', params: 'CA.USD/EUR' });
    await waitEvent(crypto, (e) => e.status === 'success');
    await waitEvent(forex, (e) => e.status === 'success');
    sim.advance(5);
    await waitEvent(forex, (e) => e.ev === 'CA');
    await waitEvent(crypto, (e) => e.ev === 'XA' && e.pair === 'ETH-USD');
    const ca = eventsOf(forex).find((e) => e.ev === 'CA')!;
    expect(Object.keys(ca).sort()).toEqual(['c', 'ev', 'h', 'l', 'o', 'pair', 's', 'v']);
    expect(new Set(eventsOf(crypto).filter((e) => e.ev === 'XA').map((e) => e.pair))).toEqual(new Set(['BTC-USD', 'ETH-USD']));
  });

  it('mixes statuses and data in one frame when they leave in the same turn', async () => {
    const sim = await start({ marketStepMs: 60_000 });
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.AAPL' });
    await waitEvent(client, (e) => e.status === 'success');
    sim.advance(3);
    sim.disconnectWith('force_disconnect');
    await client.closed;
    const last = JSON.parse(client.frames.at(-1)!) as { ev: string; status?: string }[];
    expect(last.some((e) => e.ev === 'AM')).toBe(true);
    expect(last.at(-1)).toMatchObject({ ev: 'status', status: 'force_disconnect' });
  });

  it('re-sends a corrected minute bar to its subscribers, manually and at the configured rate', async () => {
    const sim = await start({ marketStepMs: 60_000, correctionRate: 0.5, correctionDelayMs: 120_000 });
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.GOOGL' });
    await waitEvent(client, (e) => e.status === 'success');
    const t0 = sim.now();
    sim.advance(20);
    await client.until(() => sim.stats().correctionsSent > 0, 'a correction');
    const first = sim.closedBars('GOOGL', '1m', t0)[0]!;
    const row = sim.correct('GOOGL', first.t);
    expect(row.v! > first.v!).toBe(true);
    await client.until(() => eventsOf(client).filter((e) => e.s === first.t).length >= 2, 'the corrected bar');
    const sent = eventsOf(client).filter((e) => e.ev === 'AM');
    // The last event of every window is its current truth; some windows were sent more than once.
    const latest = new Map(sent.map((e) => [e.s, [e.h, e.v]]));
    expect([...latest]).toEqual(sim.closedBars('GOOGL', '1m', t0).map((r) => [r.t, [r.h, r.v]]));
    expect(sent.length).toBeGreaterThan(latest.size);
  });

  it('drops connections without a close frame and sends garbage frames at the configured rate', async () => {
    const sim = await start({ marketStepMs: 60_000, malformedRate: 1 });
    const client = await authed(sim);
    client.send({ action: 'subscribe', params: 'AM.AAPL,AM.MSFT' });
    await waitEvent(client, (e) => e.message === 'subscribed to: AM.MSFT');
    sim.advance(5);
    await client.until(() => sim.stats().malformedSent > 0, 'a garbage frame');
    expect(sim.dropConnections()).toBe(1);
    expect((await client.closed).code).toBe(1006);
  });
});
