/**
 * The replay provider on its own: bars of subscribed streams in the given order, each after the previous one's
 * `afterBar` finished, paced by recorded receive time, and ended by `disconnect()`.
 */
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { ReplayProvider } from '../../src/replay/index.ts';
import { JumpClock } from '../support/jump-clock.ts';

const bar = (symbol: string, i: number, receivedAt = 1_000 + i * 100): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: i * 60_000, closeTime: i * 60_000 + 59_999,
  open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt,
});

describe('replay provider', () => {
  it('delivers subscribed bars in order, each after the previous one was handled', async () => {
    const bars = [bar('BTCUSDT', 0), bar('XRPUSDT', 0), bar('ETHUSDT', 0), bar('BTCUSDT', 1)];
    const p = new ReplayProvider(bars, 5);
    const log: string[] = [];
    // Each handler finishes a turn of the event loop later than it started: the next bar still waits for it.
    const later = () => new Promise<void>((resolve) => { setImmediate(resolve); });
    p.onData((b) => log.push(`bar ${b.symbol} ${b.openTime}`));
    const states: string[] = [];
    p.onConnectionStateChange((s) => states.push(s));
    expect(p.clock).toBe(5);
    await p.connect();
    await p.subscribe(['btcusdt', 'ETHUSDT'], '1m');
    const result = await p.play({
      afterBar: async (b, i) => {
        await later();
        log.push(`done ${i} at ${p.clock}`);
        expect(p.clock).toBe(b.closeTime);
      },
    });
    expect(result).toEqual({ bars: 3, skipped: 1, aborted: false });
    expect(log).toEqual(['bar BTCUSDT 0', 'done 1 at 59999', 'bar ETHUSDT 0', 'done 2 at 59999', 'bar BTCUSDT 60000', 'done 3 at 119999']);
    expect(p.stats().barsEmitted).toBe(3);
    expect(p.getSubscribedSymbols()).toEqual(['BTCUSDT', 'ETHUSDT']);
    await p.disconnect();
    expect(states).toEqual(['connecting', 'connected', 'disconnected']);
    await expect(p.connect()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('waits the recorded gaps divided by the speed, and stops a play on disconnect', async () => {
    const bars = [bar('BTCUSDT', 0, 0), bar('BTCUSDT', 1, 400), bar('BTCUSDT', 2, 800), bar('BTCUSDT', 3, 60_000)];
    const clock = new JumpClock();
    const p = new ReplayProvider(bars, 0, clock);
    const at: number[] = [];
    p.onData(() => {
      at.push(clock.now());
      if (at.length === 3) void p.disconnect();
    });
    await p.connect();
    await p.subscribe(['BTCUSDT'], '1m');
    const result = await p.play({ speed: 4 });
    expect(result).toEqual({ bars: 3, skipped: 0, aborted: true });
    // 400 ms and 800 ms after the first bar, at four times the recorded pace; the fourth bar is never waited for.
    expect(clock.waits).toEqual([100, 100]);
    expect(at).toEqual([0, 100, 200]);
  });

  it('refuses play() before connect with NOT_READY and a second play() with ALREADY_STARTED', async () => {
    const p = new ReplayProvider([bar('BTCUSDT', 0)], 5);
    await expect(p.play()).rejects.toMatchObject({ code: 'NOT_READY', retryable: false });
    await p.connect();
    await p.subscribe(['BTCUSDT'], '1m');
    await expect(p.play()).resolves.toMatchObject({ bars: 1 });
    await expect(p.play()).rejects.toMatchObject({ code: 'ALREADY_STARTED', retryable: false });
    await p.disconnect();
  });
});
