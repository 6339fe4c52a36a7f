import { describe, expect, it } from 'vitest';
import type { BinanceKlineEvent } from '../../../src/providers/binance/messages.ts';
import { garbageFrame } from '../../../src/sim/binance/faults.ts';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();

/** Why a frame is not a usable kline event, or 'ok'. */
const damage = (text: string): string => {
  let frame: any;
  try {
    frame = JSON.parse(text);
  } catch {
    return text.startsWith('{') ? 'truncated' : 'not-json';
  }
  const event = frame?.data ?? frame;
  if (typeof event !== 'object' || event === null) return 'not-json';
  if (event.e !== 'kline') return 'unknown-event';
  if (!event.k) return 'missing-k';
  if (event.k.o === null || typeof event.k.t !== 'number') return 'wrong-types';
  if (event.k.c === undefined || event.k.h === undefined) return 'missing-fields';
  return 'ok';
};

const event: BinanceKlineEvent = {
  e: 'kline', E: 2, s: 'BTCUSDT',
  k: { t: 0, T: 59_999, s: 'BTCUSDT', i: '1m', f: 1, L: 2, o: '1', c: '1', h: '1', l: '1', v: '1', n: 2, x: false, q: '1', V: '0', Q: '0', B: '0' },
};

describe('wire faults', () => {
  it('builds each kind of garbage frame', () => {
    const text = JSON.stringify(event);
    const kinds = [0, 1, 2, 3, 4].flatMap((variant) => [0.2, 0.7].map((cut) => damage(garbageFrame(event, 'btcusdt@kline_1m', text, false, variant, cut))));
    expect(new Set(kinds)).toEqual(new Set(['truncated', 'wrong-types', 'missing-fields', 'missing-k', 'not-json', 'unknown-event']));
    const wrapped = JSON.parse(garbageFrame(event, 'btcusdt@kline_1m', text, true, 4, 0));
    expect(wrapped).toMatchObject({ stream: 'btcusdt@kline_1m', data: { e: 'mysteryEvent' } });
  });

  it('inserts a garbage frame after every data frame at malformedRate 1', async () => {
    const sim = await sims.start({ malformedRate: 1 });
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance(40);
    const frames = await client.takeRaw(82);
    const data = frames.filter((_, i) => i % 2 === 0).map(damage);
    const garbage = frames.filter((_, i) => i % 2 === 1).map(damage);
    expect(new Set(data)).toEqual(new Set(['ok']));
    expect(garbage).not.toContain('ok');
    expect(new Set(garbage).size).toBeGreaterThanOrEqual(4);
    expect(sim.stats()).toMatchObject({ malformedSent: 41, dataFramesSent: 41 });
  });

  it('sends every data frame twice at duplicateRate 1', async () => {
    const sim = await sims.start({ duplicateRate: 1 });
    const client = await sims.connect(`${sim.wsUrl}/stream?streams=ethusdt@kline_1m`);
    sim.advance(3);
    const frames = await client.takeRaw(6);
    expect(frames[0]).toBe(frames[1]);
    expect(frames[2]).toBe(frames[3]);
    expect(frames[0]).not.toBe(frames[2]);
    expect(sim.stats().duplicatesSent).toBe(3);
  });

  it('holds an update back and sends it after the stream\'s next frame at reorderRate 1', async () => {
    const sim = await sims.start({ reorderRate: 1 });
    const client = await sims.connect(`${sim.wsUrl}/ws/solusdt@kline_1m`);
    sim.advance(4);
    const frames = await client.take<BinanceKlineEvent>(4);
    const step = (n: number) => sim.options.startTime + n * sim.options.marketStepMs;
    expect(frames.map((f) => f.E)).toEqual([step(2), step(1), step(4), step(3)]);
    expect(sim.stats().reorderedSent).toBe(2);
  });

  it('never holds a final frame and never carries a held frame across a disconnect', async () => {
    const sim = await sims.start({ reorderRate: 1, marketStepMs: 60_000 });
    const client = await sims.connect(`${sim.wsUrl}/ws/solusdt@kline_1m`);
    sim.advance(1);
    expect(await client.next()).toMatchObject({ k: { x: true } });
    sim.dropConnections();
    await client.closed;
    sim.advance(1);
    expect(sim.stats().reorderedSent).toBe(0);
  });

  it('decides faults the same way for the same seed', async () => {
    const raw = async (seed: number): Promise<string[]> => {
      const sim = await sims.start({ seed, malformedRate: 0.3, duplicateRate: 0.2, reorderRate: 0.2 });
      const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1s`);
      sim.advance(30);
      const expected = sim.stats().framesSent;
      return client.takeRaw(expected);
    };
    const [a, b, c] = [await raw(5), await raw(5), await raw(6)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeGreaterThan(90);
  });

  it('applies new fault rates to open connections', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance();
    sim.setFaultRates({ duplicateRate: 1 });
    sim.advance();
    const frames = await client.takeRaw(3);
    expect(frames[1]).toBe(frames[2]);
    expect(() => sim.setFaultRates({ malformedRate: -1 })).toThrow(RangeError);
  });
});
