import { describe, expect, it } from 'vitest';
import type { BinanceSimulator, ReceivedKind } from '../../../src/sim/binance/index.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { useSimulators, whenEmitted } from './helpers.ts';

const sims = useSimulators();

/** Counts what the simulator's connections received of `kind`, counted or ignored as `counted` says. */
const receipts = (sim: BinanceSimulator, kind: ReceivedKind, counted: boolean): { readonly count: number } => {
  const tally = { count: 0 };
  sim.on('received', (r) => {
    if (r.kind === kind && r.counted === counted) tally.count++;
  });
  return tally;
};

const streams = (count: number, offset = 0): string[] =>
  Array.from({ length: count }, (_, i) => `s${i + offset}usdt@kline_1m`);

describe('connection limits', () => {
  it('closes with 1008 after six messages within one second', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    for (let id = 1; id <= 6; id++) client.send({ method: 'LIST_SUBSCRIPTIONS', id });
    expect(await client.closed).toEqual({ code: 1008, reason: 'Too many requests' });
    expect(client.frames.map((f) => JSON.parse(f).id)).toEqual([1, 2, 3, 4, 5]);
    expect(sim.stats().rateLimitViolations).toBe(1);
    await whenEmitted(sim, 'close', () => sim.connections()[0]!.closed);
    expect(sim.connections()[0]).toMatchObject({ messagesReceived: 6, maxMessagesInOneSecond: 6, closeCode: 1008 });
  });

  it('records one violation per connection however long the flood goes on', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    for (let id = 1; id <= 20; id++) client.send({ method: 'LIST_SUBSCRIPTIONS', id });
    expect((await client.closed).code).toBe(1008);
    expect(sim.stats().rateLimitViolations).toBe(1);
  });

  it('counts pongs toward the message limit', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    for (let i = 0; i < 6; i++) client.ws.pong('x');
    expect((await client.closed).code).toBe(1008);
  });

  it('allows the limit again exactly when the one-second window has passed', async () => {
    const wall = new ManualClock();
    const sim = await sims.start({ maxMessagesPerSecond: 2 }, { wall });
    const early = await sims.connect(`${sim.wsUrl}/ws`);
    const onTime = await sims.connect(`${sim.wsUrl}/ws`);
    for (const client of [early, onTime]) {
      await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 });
      await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    }
    // One millisecond before the window ends both messages still count, so a third breaks the limit.
    await wall.advance(999);
    early.send({ method: 'LIST_SUBSCRIPTIONS', id: 3 });
    expect(await early.closed).toEqual({ code: 1008, reason: 'Too many requests' });
    // At the boundary they have left it: two more fit.
    await wall.advance(1);
    await onTime.request({ method: 'LIST_SUBSCRIPTIONS', id: 3 });
    expect((await onTime.request({ method: 'LIST_SUBSCRIPTIONS', id: 4 })).reply).toEqual({ result: [], id: 4 });
    expect(sim.stats().rateLimitViolations).toBe(1);
    expect(sim.connections()[1]).toMatchObject({ messagesReceived: 4, maxMessagesInOneSecond: 2, closed: false });
  });

  it('refuses the 1025th stream with code 4 and closes 1008', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    expect((await client.request({ method: 'SUBSCRIBE', params: streams(1024), id: 1 })).reply).toEqual({ result: null, id: 1 });
    expect((await client.request({ method: 'SUBSCRIBE', params: streams(1, 5000), id: 2 })).reply).toEqual({
      error: { code: 4, msg: 'Too many subscriptions' }, id: 2,
    });
    expect((await client.closed).code).toBe(1008);
    expect(sim.stats().streamLimitViolations).toBe(1);
  });

  it('refuses a single SUBSCRIBE of 1025 streams', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    client.send({ method: 'SUBSCRIBE', params: streams(1025), id: 1 });
    expect(await client.next()).toMatchObject({ error: { code: 4 }, id: 1 });
    expect((await client.closed).code).toBe(1008);
    expect(sim.connections()[0]!.streams).toEqual([]);
  });
});

describe('keep-alive and lifetime', () => {
  it('pings with a payload and keeps a client that answers', async () => {
    const wall = new ManualClock();
    const sim = await sims.start({ pingIntervalMs: 150, pongTimeoutMs: 100 }, { wall });
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    const payloads: string[] = [];
    client.ws.on('ping', (data) => payloads.push(data.toString()));
    const pongs = receipts(sim, 'pong', true);
    for (let n = 1; n <= 2; n++) {
      await wall.advance(150);
      await whenEmitted(sim, 'received', () => pongs.count === n);
    }
    // Past both pong deadlines (250 and 400 ms): answered pings end nothing.
    await wall.advance(100);
    expect(payloads).toEqual(['1:1', '1:2']);
    expect(sim.stats()).toMatchObject({ pongTimeouts: 0, connectionsDropped: 0 });
    expect(sim.connections()[0]!.closed).toBe(false);
  });

  it('terminates a peer that does not answer pings exactly at the pong deadline', async () => {
    const wall = new ManualClock();
    const sim = await sims.start({ pingIntervalMs: 30, pongTimeoutMs: 60 }, { wall });
    const client = await sims.connect(`${sim.wsUrl}/ws`, { autoPong: false });
    // The first ping goes at 30 ms, so its deadline is 90 ms.
    await wall.advance(89);
    expect(sim.stats()).toMatchObject({ pongTimeouts: 0, connectionsDropped: 0 });
    await wall.advance(1);
    expect(sim.stats()).toMatchObject({ pongTimeouts: 1, connectionsDropped: 1 });
    expect((await client.closed).code).toBe(1006);
  });

  it('does not count a pong with the wrong payload as an answer', async () => {
    const wall = new ManualClock();
    const sim = await sims.start({ pingIntervalMs: 40, pongTimeoutMs: 80 }, { wall });
    const client = await sims.connect(`${sim.wsUrl}/ws`, { autoPong: false });
    client.ws.on('ping', () => client.ws.pong('wrong'));
    const pongs = receipts(sim, 'pong', true);
    await wall.advance(40);
    await whenEmitted(sim, 'received', () => pongs.count === 1);
    await wall.advance(79);
    expect(sim.stats().pongTimeouts).toBe(0);
    await wall.advance(1);
    expect(sim.stats().pongTimeouts).toBe(1);
    expect((await client.closed).code).toBe(1006);
  });

  it('announces serverShutdown in raw and combined form, then closes 1001', async () => {
    const sim = await sims.start();
    const raw = await sims.connect(`${sim.wsUrl}/ws`);
    const combined = await sims.connect(`${sim.wsUrl}/stream?streams=btcusdt@kline_1m`);
    sim.advance(3);
    sim.serverShutdown(20);
    await combined.take(3);
    expect(await raw.next()).toEqual({ e: 'serverShutdown', E: sim.now() });
    expect(await combined.next()).toEqual({ stream: '!serverShutdown', data: { e: 'serverShutdown', E: sim.now() } });
    expect((await raw.closed).code).toBe(1001);
    expect((await combined.closed).code).toBe(1001);
  });

  it('ends a connection at maxConnectionAgeMs with serverShutdown and 1001', async () => {
    const sim = await sims.start({ maxConnectionAgeMs: 50, shutdownGraceMs: 20 });
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    expect(await client.next()).toMatchObject({ e: 'serverShutdown' });
    expect((await client.closed).code).toBe(1001);
  });
});

describe('connection faults', () => {
  it('drops connections abruptly so the client sees 1006', async () => {
    const sim = await sims.start();
    const a = await sims.connect(`${sim.wsUrl}/ws`);
    const b = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    expect(sim.dropConnections((c) => c.streams.length === 0)).toBe(1);
    expect((await a.closed).code).toBe(1006);
    expect(b.ws.readyState).toBe(b.ws.OPEN);
    expect(sim.dropConnections()).toBe(1);
    expect((await b.closed).code).toBe(1006);
  });

  it('closes connections with the given code and reason', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    sim.closeConnections(4000, 'bye');
    expect(await client.closed).toEqual({ code: 4000, reason: 'bye' });
  });

  it('stalls: sends no data, pings or replies, then resumes', async () => {
    const wall = new ManualClock();
    const sim = await sims.start({ pingIntervalMs: 20 }, { wall });
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    let pings = 0;
    client.ws.on('ping', () => pings++);
    const ignored = receipts(sim, 'message', false);
    sim.stall('forever');
    expect(sim.connections()[0]!.stalled).toBe(true);
    sim.advance(3);
    client.send({ method: 'LIST_SUBSCRIPTIONS', id: 1 });
    await whenEmitted(sim, 'received', () => ignored.count === 1);
    // Five ping intervals pass while stalled.
    await wall.advance(100);
    sim.unstall();
    sim.advance();
    // Frames arrive in the order they were sent: anything sent during the stall would come before this step's kline.
    expect(await client.next()).toMatchObject({ e: 'kline', E: sim.now() });
    expect(pings).toBe(0);
    expect((await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 })).reply).toEqual({ result: ['btcusdt@kline_1m'], id: 2 });
    await wall.advance(20);
    await whenEmitted(client.ws, 'ping', () => pings === 1);
  });

  it('ends a timed stall by itself at its end and leaves new connections alone', async () => {
    const wall = new ManualClock();
    const sim = await sims.start({}, { wall });
    const old = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.stall(60);
    const fresh = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance();
    expect(await fresh.next()).toMatchObject({ e: 'kline', E: sim.now() });
    await wall.advance(59);
    expect(sim.connections().map((c) => c.stalled)).toEqual([true, false]);
    await wall.advance(1);
    expect(sim.connections()[0]!.stalled).toBe(false);
    sim.advance();
    // In-order delivery: the first frame the old connection gets is this step's, so it got none while stalled.
    expect(await old.next()).toMatchObject({ e: 'kline', E: sim.now() });
  });
});
