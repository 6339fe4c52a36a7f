import { describe, expect, it } from 'vitest';
import { startBinanceSimulator } from '../../../src/sim/binance/index.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { TestClient } from './helpers.ts';

describe('simulator lifecycle', () => {
  it('listens on a free loopback port and exposes its URLs', async () => {
    const sim = await startBinanceSimulator({ paused: true });
    try {
      expect(sim.port).toBeGreaterThan(0);
      expect(sim.wsUrl).toBe(`ws://127.0.0.1:${sim.port}`);
      expect(sim.restUrl).toBe(`http://127.0.0.1:${sim.port}`);
      expect(sim.now()).toBe(Date.UTC(2026, 0, 1));
    } finally {
      await sim.close();
    }
  });

  it('terminates clients, stops the clock and frees the port on close()', async () => {
    const timers = new ManualClock();
    const sim = await startBinanceSimulator({ tickMs: 5 }, { timers });
    const client = await TestClient.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    await (await fetch(`${sim.restUrl}/api/v3/ping`)).json();
    await timers.advance(5);
    await client.next();
    await Promise.all([sim.close(), sim.close()]);
    expect((await client.closed).code).toBe(1006);
    const now = sim.now();
    // Four ticks' worth of the clock's own timers: a tick left armed by close() would step the market here.
    await timers.advance(20);
    expect(sim.now()).toBe(now);
    await expect(fetch(`${sim.restUrl}/api/v3/ping`)).rejects.toThrow();
    await expect(TestClient.connect(`${sim.wsUrl}/ws`)).rejects.toThrow();
  });

  it('rejects invalid options before listening', async () => {
    await expect(startBinanceSimulator({ tickMs: -1 })).rejects.toThrow(RangeError);
  });
});
