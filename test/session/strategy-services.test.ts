/** The services a session gives its strategy: not-ready errors, bounded subscriptions, log and mark into the event log. */
import { describe, expect, it } from 'vitest';
import type { Interval } from '../../src/domain/interval.ts';
import type { RealtimeProvider } from '../../src/providers/realtime-provider.ts';
import { strategyServices } from '../../src/session/strategy-services.ts';
import { StrategySubscriptions } from '../../src/session/strategy-subscriptions.ts';
import { createPaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';
import type { TradingProvider } from '../../src/trading/trading-provider.ts';

const setup = (subscribe?: (symbols: readonly string[], interval: Interval) => Promise<void>) => {
  const subscribed: [readonly string[], Interval][] = [];
  const provider = { subscribe: subscribe ?? (async (symbols: readonly string[], interval: Interval) => { subscribed.push([symbols, interval]); }) } as unknown as RealtimeProvider;
  const recorded: [string, Record<string, unknown>][] = [];
  const emitted: [string, unknown][] = [];
  let trading: TradingProvider | undefined;
  let now = 0;
  const subscriptions = new StrategySubscriptions({
    allowedSymbols: ['AAA', 'BBB', 'CCC'], sessionSymbols: ['AAA'], sessionInterval: '1m', maxStreams: 2, callsPerMinute: 600,
  }, () => now);
  const services = strategyServices({
    provider, subscriptions, strategyName: () => 'probe', now: () => now, trading: () => trading, data: () => undefined,
    record: (type, event) => recorded.push([type, event]), emit: (type, event) => emitted.push([type, event]),
  });
  return { services, subscribed, recorded, emitted, connect: (t: TradingProvider) => { trading = t; }, advance: (ms: number) => { now += ms; } };
};

describe('strategyServices', () => {
  it('refuses orders and queries before their component is ready, naming it', () => {
    const { services } = setup();
    expect(() => services.getPositions()).toThrow(/the trading provider is not ready/);
    expect(() => services.executeSQL('SELECT 1')).toThrow(/the data service is not ready/);
  });

  it('places orders through the trading provider once it is connected', async () => {
    const { services, connect } = setup();
    const paper = createPaperTradingProvider({ now: () => 1_000 });
    await paper.connect();
    connect(paper);
    expect(await services.getPositions()).toEqual([]);
    expect(await services.placeOrder({ symbol: 'AAA', side: 'buy', type: 'limit', quantity: 1, price: 1 })).toMatchObject({ status: 'accepted' });
    expect(await services.getOpenOrders()).toHaveLength(1);
  });

  it('subscribes new streams on the session interval unless the strategy names one, and logs what it added', async () => {
    const { services, subscribed, recorded, emitted } = setup();
    await services.subscribeRealtime(['AAA']);
    await services.subscribeRealtime(['BBB'], '1h');
    await services.subscribeRealtime(['AAA'], '5m');
    // AAA on 1m is the session's own stream: nothing to subscribe, nothing logged.
    expect(subscribed).toEqual([[['BBB'], '1h'], [['AAA'], '5m']]);
    const added = { type: 'strategy.subscribed', strategy: 'probe', streams: ['BBB|1h'] };
    expect(recorded.slice(0, 1)).toEqual([['strategy:strategy.subscribed', added]]);
    expect(emitted.slice(0, 1)).toEqual([['strategy', added]]);
  });

  it('returns a refused subscription to the strategy as a coded error and logs the refusal', async () => {
    const { services, subscribed, recorded, emitted } = setup();
    await expect(services.subscribeRealtime(['ZZZ'])).rejects.toMatchObject({ code: 'SUBSCRIPTION_REFUSED', message: expect.stringMatching(/ZZZ is not an allowed symbol/) });
    await services.subscribeRealtime(['BBB', 'CCC']);
    await expect(services.subscribeRealtime(['BBB'], '1h')).rejects.toMatchObject({ code: 'SUBSCRIPTION_REFUSED', message: expect.stringMatching(/max_subscriptions 2/) });
    expect(subscribed).toEqual([[['BBB', 'CCC'], '1m']]);
    expect(recorded.map(([type, e]) => [type, e.reason])).toEqual([
      ['strategy:strategy.subscription_refused', 'symbol'], ['strategy:strategy.subscribed', undefined], ['strategy:strategy.subscription_refused', 'streams'],
    ]);
    expect(emitted[0]).toEqual(['strategy', {
      type: 'strategy.subscription_refused', strategy: 'probe', reason: 'symbol', code: 'SUBSCRIPTION_REFUSED', message: expect.stringContaining('ZZZ') as unknown,
    }]);
  });

  it('logs a flood of refused subscriptions a few times a second, counting the rest as repeated', async () => {
    const { services, recorded, advance } = setup();
    const calls = Array.from({ length: 50 }, () => services.subscribeRealtime(['ZZZ']));
    expect((await Promise.allSettled(calls)).every((r) => r.status === 'rejected')).toBe(true);
    expect(recorded).toHaveLength(10);
    advance(1_000);
    await expect(services.subscribeRealtime(['ZZZ'])).rejects.toMatchObject({ code: 'SUBSCRIPTION_REFUSED' });
    expect(recorded).toHaveLength(11);
    expect(recorded[10]![1]).toMatchObject({ reason: 'symbol', repeated: 40 });
  });

  it('gives the streams back when the provider fails to subscribe them', async () => {
    let fail = true;
    const { services, recorded } = setup(async () => { if (fail) throw new Error('server said no'); });
    await expect(services.subscribeRealtime(['BBB', 'CCC'])).rejects.toThrow('server said no');
    fail = false;
    await services.subscribeRealtime(['BBB', 'CCC']);
    expect(recorded).toEqual([['strategy:strategy.subscribed', { type: 'strategy.subscribed', strategy: 'probe', streams: ['BBB|1m', 'CCC|1m'] }]]);
  });

  it('logs and emits the strategy\'s log lines and marks, without empty fields', async () => {
    const { services, recorded, emitted } = setup();
    await services.log('info', 'crossed', { fast: 3 });
    await services.mark('signal');
    expect(recorded).toEqual([['strategy:log', { level: 'info', message: 'crossed', data: { fast: 3 } }], ['strategy:mark', { name: 'signal' }]]);
    expect(emitted).toEqual([['log', { level: 'info', message: 'crossed', data: { fast: 3 } }], ['mark', { name: 'signal' }]]);
  });
});
