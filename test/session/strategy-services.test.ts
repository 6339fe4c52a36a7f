/** The services a session gives its strategy: not-ready errors, the session interval, log and mark into the event log. */
import { describe, expect, it } from 'vitest';
import type { Interval } from '../../src/domain/interval.ts';
import type { RealtimeProvider } from '../../src/providers/realtime-provider.ts';
import { strategyServices } from '../../src/session/strategy-services.ts';
import { createPaperTradingProvider } from '../../src/trading/paper/paper-provider.ts';
import type { TradingProvider } from '../../src/trading/trading-provider.ts';

const setup = () => {
  const subscribed: [readonly string[], Interval][] = [];
  const provider = { subscribe: async (symbols: readonly string[], interval: Interval) => { subscribed.push([symbols, interval]); } } as unknown as RealtimeProvider;
  const recorded: [string, Record<string, unknown>][] = [];
  const emitted: [string, unknown][] = [];
  let trading: TradingProvider | undefined;
  const services = strategyServices({
    provider, interval: '1m', trading: () => trading, data: () => undefined,
    record: (type, event) => recorded.push([type, event]), emit: (type, event) => emitted.push([type, event]),
  });
  return { services, subscribed, recorded, emitted, connect: (t: TradingProvider) => { trading = t; } };
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

  it('subscribes on the session interval unless the strategy names one', async () => {
    const { services, subscribed } = setup();
    await services.subscribeRealtime(['AAA']);
    await services.subscribeRealtime(['BBB'], '1h');
    expect(subscribed).toEqual([[['AAA'], '1m'], [['BBB'], '1h']]);
  });

  it('logs and emits the strategy\'s log lines and marks, without empty fields', async () => {
    const { services, recorded, emitted } = setup();
    await services.log('info', 'crossed', { fast: 3 });
    await services.mark('signal');
    expect(recorded).toEqual([['strategy:log', { level: 'info', message: 'crossed', data: { fast: 3 } }], ['strategy:mark', { name: 'signal' }]]);
    expect(emitted).toEqual([['log', { level: 'info', message: 'crossed', data: { fast: 3 } }], ['mark', { name: 'signal' }]]);
  });
});
