import { describe, expect, it } from 'vitest';
import { acceptedRequestId } from '../../../src/sim/binance/control.ts';
import { parseStreamPath } from '../../../src/sim/binance/ws-server.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();

describe('request ids', () => {
  it.each([
    ['a positive integer', 7, 7],
    ['a negative integer (int64 is signed)', -42, -42],
    ['a 32-hex-digit string, as @binance/spot sends', 'a'.repeat(32), 'a'.repeat(32)],
    ['a 36-character UUID', '123e4567-e89b-12d3-a456-426614174000', '123e4567-e89b-12d3-a456-426614174000'],
    ['null', null, null],
  ])('accepts %s and echoes it', async (_name, id, echoed) => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    const { reply } = await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id });
    expect(reply).toEqual({ result: null, id: echoed });
    expect(sim.connections()[0]!.streams).toEqual(['btcusdt@kline_1m']);
  });

  it.each([
    ['a 37-character string', 'x'.repeat(37)],
    ['an empty string', ''],
    ['a fraction', 1.5],
    ['an object', { n: 1 }],
    ['a missing id', undefined],
  ])('refuses %s with code 2 and subscribes nothing', async (_name, id) => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    client.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], ...(id === undefined ? {} : { id }) }));
    expect(await client.next()).toEqual({ error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: null });
    expect(sim.connections()[0]!.streams).toEqual([]);
  });

  it('bounds integers to the signed 64-bit range', () => {
    expect(acceptedRequestId(2 ** 62)).toBe(2 ** 62);
    expect(acceptedRequestId(2 ** 64)).toBeUndefined();
  });
});

describe('stream paths', () => {
  it('accepts any path after /ws/ and pre-subscribes only the kline streams named there', () => {
    expect(parseStreamPath('/ws/0')).toEqual({ combined: false, streams: [], klines: true });
    expect(parseStreamPath('/ws/btcusdt@kline_1m/btcusdt@depth')).toEqual({ combined: false, streams: ['btcusdt@kline_1m'], klines: true });
    expect(parseStreamPath('/stream?streams=btcusdt@kline_1m/ethusdt@kline_5m')).toEqual({ combined: true, streams: ['btcusdt@kline_1m', 'ethusdt@kline_5m'], klines: true });
    expect(parseStreamPath('/stream')).toEqual({ combined: true, streams: [], klines: true });
    expect(parseStreamPath('/market/ws')).toEqual({ status: 404 });
  });

  it('routes USDⓈ-M klines through /market only', () => {
    expect(parseStreamPath('/market/ws/btcusdt@kline_1m', 'usdm')).toEqual({ combined: false, streams: ['btcusdt@kline_1m'], klines: true });
    expect(parseStreamPath('/market/stream?streams=btcusdt@kline_1m', 'usdm')).toEqual({ combined: true, streams: ['btcusdt@kline_1m'], klines: true });
    expect(parseStreamPath('/public/ws/btcusdt@kline_1m', 'usdm')).toMatchObject({ klines: false });
    expect(parseStreamPath('/ws/btcusdt@kline_1m', 'usdm')).toMatchObject({ klines: false });
    expect(parseStreamPath('/private/stream?streams=', 'usdm')).toEqual({ combined: true, streams: [], klines: false });
    expect(parseStreamPath('/other/ws', 'usdm')).toEqual({ status: 404 });
  });

  it('streams ccxt-style /ws/0 connections once they subscribe', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws/0`);
    await client.request({ method: 'SUBSCRIBE', params: ['ethusdt@kline_1m'], id: 1 });
    sim.advance();
    expect(await client.next()).toMatchObject({ e: 'kline', s: 'ETHUSDT', k: { i: '1m' } });
  });
});

describe('futures feeds', () => {
  it('streams USDⓈ-M perpetual and delivery klines on /market/ws and /market/stream', async () => {
    const sim = await sims.start({ feed: 'usdm' });
    expect(sim.streamBase).toBe(`${sim.wsUrl}/market`);
    expect(sim.symbols).toContain('BTCUSDT_260626');
    const raw = await sims.connect(`${sim.wsUrl}/market/ws`);
    await raw.request({ method: 'SUBSCRIBE', params: ['btcusdt_260626@kline_1m'], id: 'a1' });
    const combined = await sims.connect(`${sim.wsUrl}/market/stream?streams=btcusdt@kline_1m`);
    sim.advance();
    expect(await raw.next()).toMatchObject({ e: 'kline', s: 'BTCUSDT_260626', k: { s: 'BTCUSDT_260626', i: '1m', x: false } });
    expect(await combined.next()).toMatchObject({ stream: 'btcusdt@kline_1m', data: { e: 'kline', s: 'BTCUSDT' } });
  });

  it('acknowledges but never pushes USDⓈ-M klines on the retired unrouted URL or on /public', async () => {
    const sim = await sims.start({ feed: 'usdm' });
    const legacy = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    const routed = await sims.connect(`${sim.wsUrl}/market/ws/btcusdt@kline_1m`);
    sim.advance(31);
    await routed.take(2);
    // The routed connection got this step's frames; the legacy one, subscribed to the same stream, got none.
    expect((await legacy.request({ method: 'LIST_SUBSCRIPTIONS', id: 9 })).before).toEqual([]);
    expect(sim.connections().map((c) => c.pushesKlines)).toEqual([false, true]);
  });

  it('allows ten incoming messages a second on futures connections and closes on the eleventh', async () => {
    const sim = await sims.start({ feed: 'coinm' });
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    for (let i = 1; i <= 11; i++) client.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    expect((await client.take(10)).map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await client.closed).toEqual({ code: 1008, reason: 'Too many requests' });
  });

  it('streams COIN-M contracts with volume in contracts and base-asset volume in q', async () => {
    const sim = await sims.start({ feed: 'coinm', symbols: ['BTCUSD_PERP'] });
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusd_perp@kline_1m`);
    sim.advance(30);
    const frames = await client.take(30);
    const closed = frames.map((f) => f.k).find((k) => k.x === true);
    expect(closed).toBeDefined();
    const v = Number(closed.v);
    expect(Number.isInteger(v)).toBe(true);
    // v contracts of 100 USD at the bar's VWAP are q BTC: the VWAP lies within the bar's range.
    const vwap = (v * 100) / Number(closed.q);
    expect(vwap).toBeGreaterThanOrEqual(Number(closed.l));
    expect(vwap).toBeLessThanOrEqual(Number(closed.h));
  });

  it('stays silent on futures 1s streams, which Binance futures do not have', async () => {
    const sim = await sims.start({ feed: 'usdm' });
    const client = await sims.connect(`${sim.wsUrl}/market/ws`);
    await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1s', 'ethusdt@kline_1m'], id: 1 });
    sim.advance();
    expect(await client.next()).toMatchObject({ s: 'ETHUSDT' });
    expect(client.unread()).toEqual([]);
  });
});
