import { describe, expect, it } from 'vitest';
import { sleep, useSimulators, whenEmitted } from './helpers.ts';

const sims = useSimulators();

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

  it('allows the limit again once the one-second window has passed', async () => {
    const sim = await sims.start({ maxMessagesPerSecond: 2 });
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 });
    await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    await sleep(1_050);
    await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 3 });
    expect((await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 4 })).reply).toEqual({ result: [], id: 4 });
    expect(sim.stats().rateLimitViolations).toBe(0);
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
    const sim = await sims.start({ pingIntervalMs: 150, pongTimeoutMs: 100 });
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    const payloads: string[] = [];
    client.ws.on('ping', (data) => payloads.push(data.toString()));
    await sleep(500);
    expect(payloads.length).toBeGreaterThanOrEqual(2);
    expect(payloads[0]).toMatch(/^1:1$/);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(sim.stats().pongTimeouts).toBe(0);
  });

  it('terminates a peer that does not answer pings', async () => {
    const sim = await sims.start({ pingIntervalMs: 30, pongTimeoutMs: 60 });
    const client = await sims.connect(`${sim.wsUrl}/ws`, { autoPong: false });
    expect((await client.closed).code).toBe(1006);
    expect(sim.stats()).toMatchObject({ pongTimeouts: 1, connectionsDropped: 1 });
  });

  it('does not count a pong with the wrong payload as an answer', async () => {
    const sim = await sims.start({ pingIntervalMs: 40, pongTimeoutMs: 80 });
    const client = await sims.connect(`${sim.wsUrl}/ws`, { autoPong: false });
    client.ws.on('ping', () => client.ws.pong('wrong'));
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
    const sim = await sims.start({ pingIntervalMs: 20 });
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    let pings = 0;
    client.ws.on('ping', () => pings++);
    sim.stall('forever');
    expect(sim.connections()[0]!.stalled).toBe(true);
    sim.advance(3);
    client.send({ method: 'LIST_SUBSCRIPTIONS', id: 1 });
    const seen = pings;
    await sleep(150);
    expect(client.frames).toEqual([]);
    expect(pings).toBe(seen);
    sim.unstall();
    sim.advance();
    expect(await client.next()).toMatchObject({ e: 'kline', E: sim.now() });
    expect((await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 })).reply).toEqual({ result: ['btcusdt@kline_1m'], id: 2 });
    await whenEmitted(client.ws, 'ping', () => pings > seen);
  });

  it('ends a timed stall by itself and leaves new connections alone', async () => {
    const sim = await sims.start();
    const old = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.stall(60);
    const fresh = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance();
    expect(await fresh.next()).toMatchObject({ e: 'kline' });
    await sleep(100);
    expect(old.frames).toEqual([]);
    sim.advance();
    expect(await old.next()).toMatchObject({ e: 'kline', E: sim.now() });
  });
});
