import { describe, expect, it } from 'vitest';
import type { BinanceKline, BinanceKlineEvent, BinanceKlineRow } from '../../../src/providers/binance/messages.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();
const START = Date.UTC(2026, 0, 1);
const MIN = 60_000;

// The kline event example of the Binance Spot WebSocket documentation.
// Source: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#klinecandlestick-streams-for-utc
const DOCUMENTED_EVENT = {
  e: 'kline', E: 1672515782136, s: 'BNBBTC', k: {
    t: 1672515780000, T: 1672515839999, s: 'BNBBTC', i: '1m', f: 100, L: 200, o: '0.0010', c: '0.0020', h: '0.0025',
    l: '0.0015', v: '1000', n: 100, x: false, q: '1.0000', V: '500', Q: '0.500', B: '123456',
  },
};

const shape = (value: unknown): unknown =>
  typeof value === 'object' && value !== null
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
    : typeof value;

const row = (k: BinanceKline): BinanceKlineRow => [k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, '0'];

describe('kline streaming', () => {
  it('sends one update per step and the final frame equal to bar() when the minute ends', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance(31);
    const frames = await client.take<BinanceKlineEvent>(32);
    const finals = frames.filter((f) => f.k.x);
    expect(finals.map((f) => f.k)).toEqual([sim.bar('BTCUSDT', '1m', START)]);
    expect(frames.indexOf(finals[0]!)).toBe(29);
    expect(frames.map((f) => f.E)).toEqual([...Array.from({ length: 30 }, (_, i) => START + 2000 * (i + 1)), START + MIN, START + MIN + 2000]);
    const final = finals[0]!.k;
    for (const update of frames.slice(0, 29).map((f) => f.k)) {
      expect(update).toMatchObject({ t: final.t, T: final.T, o: final.o, f: final.f, x: false });
      expect(+update.h).toBeLessThanOrEqual(+final.h);
      expect(+update.l).toBeGreaterThanOrEqual(+final.l);
      expect(+update.v).toBeLessThanOrEqual(+final.v);
      expect(update.n).toBeLessThan(final.n);
    }
    expect(frames.at(-1)!.k).toMatchObject({ t: START + MIN, x: false });
  });

  it('sends kline events with the documented fields and types', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance();
    expect(shape(await client.next())).toEqual(shape(DOCUMENTED_EVENT));
  });

  it('sends every 1s bar that ended during a step, trade-less ones included', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws/ethusdt@kline_1s`);
    sim.advance(150);
    const frames = await client.take<BinanceKlineEvent>(450);
    const finals = frames.filter((f) => f.k.x).map((f) => f.k);
    expect(finals).toEqual(sim.closedBars('ETHUSDT', '1s', START));
    expect(finals).toHaveLength(300);
    expect(finals.some((k) => k.n === 0 && k.f === -1 && k.L === -1)).toBe(true);
  });

  it('sends every bucket that ended when one step spans many', async () => {
    const sim = await sims.start({ marketStepMs: 3_600_000 });
    const client = await sims.connect(`${sim.wsUrl}/ws/solusdt@kline_1m`);
    sim.advance(2);
    const frames = await client.take<BinanceKlineEvent>(122);
    expect(frames.filter((f) => f.k.x).map((f) => f.k)).toEqual(sim.closedBars('SOLUSDT', '1m', START));
    expect(frames[60]!.k).toMatchObject({ t: START + 60 * MIN, x: false });
  });

  it('serves REST klines equal to the streamed finals and to the latest update', async () => {
    const sim = await sims.start({ marketStepMs: 10_000 });
    const client = await sims.connect(`${sim.wsUrl}/ws/bnbusdt@kline_1m`);
    sim.advance(33);
    const frames = await client.take<BinanceKlineEvent>(33 + 5);
    const finals = frames.filter((f) => f.k.x).map((f) => f.k);
    const response = await fetch(`${sim.restUrl}/api/v3/klines?symbol=BNBUSDT&interval=1m&startTime=${START}`);
    const rows = (await response.json()) as BinanceKlineRow[];
    expect(rows.slice(0, -1)).toEqual(finals.map(row));
    expect(rows.at(-1)).toEqual(row(frames.at(-1)!.k));
  });

  it('streams on its own when the clock runs, and stops when paused', async () => {
    const timers = new ManualClock();
    const sim = await sims.start({ paused: false, tickMs: 5 }, { timers });
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1s`);
    await timers.advance(30);
    await client.take(12);
    expect(sim.now()).toBe(START + 6 * 2_000);
    sim.pause();
    expect(sim.paused).toBe(true);
    // Six ticks' worth of the clock's own timers: a tick left armed by pause() would step the market here.
    await timers.advance(30);
    expect(sim.now()).toBe(START + 6 * 2_000);
    sim.resume();
    await timers.advance(5);
    expect(sim.now()).toBe(START + 7 * 2_000);
  });

  it('shares nothing between connections but the data: each gets its own frames', async () => {
    const sim = await sims.start();
    const raw = await sims.connect(`${sim.wsUrl}/ws/xrpusdt@kline_3m`);
    const combined = await sims.connect(`${sim.wsUrl}/stream?streams=xrpusdt@kline_3m`);
    sim.advance(3);
    const a = await raw.take<BinanceKlineEvent>(3);
    const b = await combined.take<{ stream: string; data: BinanceKlineEvent }>(3);
    expect(b.map((f) => f.data)).toEqual(a);
    expect(sim.stats().dataFramesSent).toBe(6);
  });
});
