/** The session's trading hookup over the real paper provider, on a SimulatedClock: counts, broker events, snapshots. */
import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { TradingHookup } from '../../src/session/trading-hookup.ts';
import { createPaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';

const bar = (minute: number, price: number): Bar => ({
  provider: 'binance', symbol: 'AAA', interval: '1m', openTime: minute * 60_000, closeTime: minute * 60_000 + 59_999,
  open: price, high: price, low: price, close: price, volume: 10, vwap: null, tradeCount: null, final: true, receivedAt: minute * 60_000 + 60_000,
});

describe('TradingHookup', () => {
  it('counts placed, filled and rejected orders and fills, and logs every broker event', async () => {
    const sim = new SimulatedClock();
    const recorded: string[] = [];
    const emitted: string[] = [];
    const hookup = new TradingHookup({ record: (type) => recorded.push(type), emit: (type) => emitted.push(type) });
    const paper = createPaperTradingProvider({ now: () => sim.now(), config: { feeRate: 0, initialCash: 1_000 } });
    hookup.attach(paper);
    await paper.connect();
    paper.onMarketData(bar(0, 100));
    await paper.placeOrder({ symbol: 'AAA', side: 'buy', type: 'market', quantity: 1 });
    await paper.placeOrder({ symbol: 'AAA', side: 'buy', type: 'limit', quantity: 50, price: 100 });
    sim.increment(60_000);
    paper.onMarketData(bar(1, 101));
    expect(hookup.orders).toEqual({ placed: 2, filled: 1, rejected: 1, cancelled: 0 });
    expect(hookup.fills).toBe(1);
    expect(emitted).toEqual(['order', 'order', 'fill', 'order']);
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.every((t) => t.startsWith('broker:'))).toBe(true);
    await hookup.snapshot();
    expect(hookup.positions).toMatchObject([{ symbol: 'AAA', quantity: 1, averagePrice: 101 }]);
    expect(hookup.account).toMatchObject({ cash: 899 });
  });

  it('keeps empty figures and reads nothing before a provider is attached', async () => {
    const hookup = new TradingHookup({ record: () => undefined, emit: () => undefined });
    await hookup.snapshot();
    expect(hookup.trading).toBeUndefined();
    expect([hookup.account, hookup.positions, hookup.fills]).toEqual([null, [], 0]);
  });
});
