/**
 * The Binance venue of the order paths: the binance-paper provider (polling every 25 ms) against a paused Binance
 * simulator with 10 000 USDT. A path with fills places a market buy of 0.004 BTC, which fills on placement; the
 * simulator's partial-execution fault makes the path's partial fills, and each later fill is a market step. A
 * path without fills places a limit buy far below the market, which rests; a refused one buys 1 BTC, more than
 * the account can pay (-2010). A cancel is the provider's DELETE. Faults: the placement answer lost (the provider
 * looks the order up by its client id) and every execution, partial or completing, listed twice in myTrades (the
 * provider applies executions only within the venue's executed quantity, so a copy is refused and a partially
 * filled order stays partially filled); a cancel that is the venue's own (the order expired, found by the next poll).
 */
import { expect } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator, type SimTrade } from '../../../src/sim/binance/index.ts';
import type { BinanceTradingProvider } from '../../../src/trading/binance/index.ts';
import { orderStatusOf, parseOrderId } from '../../../src/trading/binance/parse.ts';
import { createTradingProvider } from '../../../src/trading/registry.ts';
import { connectedOn, expectContract, type OrderFaults, type OrderVenue } from './order-driver.ts';
import { scenarioOf, type OrderScenario } from './order-plan.ts';
import { loggedIds, record, type Recorded } from './order-venue-paper.ts';

const API_KEY = 'TESTKEYorderPaths7Q';
const SECRET = 'TESTSECRETorderPaths3Z';

interface BinanceSystem extends Recorded {
  readonly sim: BinanceSimulator;
  readonly provider: BinanceTradingProvider;
  readonly scenario: OrderScenario;
  readonly faults: OrderFaults;
  fills: number;
}

/** True when `b` repeats `a` under another trade id (the simulator's duplicate fault). */
const isCopy = (a: SimTrade, b: SimTrade): boolean => a.price === b.price && a.qty === b.qty && a.time === b.time && a.commission === b.commission;

/** The Binance provider and simulator as an order venue. */
export const binanceVenue: OrderVenue<BinanceSystem> = {
  name: 'Binance',
  // The provider applies no cancel request: a DELETE's answer (or the order read after it) is the venue's fact.
  abilities: { cancelRequest: false, rejectAccepted: false, lostOrder: false, venueCancel: false },
  faultRuns: [
    {
      under: 'with the placement answer lost and every execution listed twice',
      faults: { lostAnswer: true, duplicateExecutions: true },
      applies: (path) => scenarioOf(path).fills > 0 && scenarioOf(path).placement === 'accepted',
    },
    {
      under: 'with the venue expiring the order instead of a cancel',
      faults: { venueCancels: true },
      applies: (path) => path.steps.at(-1)!.event.type === 'order.cancelled',
    },
  ],
  async start(scenario, faults) {
    const sim = await startBinanceSimulator({
      paused: true, serverClock: 'wall', apiKey: API_KEY, secretKey: SECRET, balances: { USDT: 10_000 }, symbols: ['BTCUSDT'],
    });
    return connectedOn(sim, (): BinanceSystem => {
      const provider = createTradingProvider('binance-paper', {
        api_key: API_KEY, secret_key: SECRET, rest_url: sim.restUrl, poll_interval_ms: 25, requests_per_second: 50,
      }) as BinanceTradingProvider;
      return { sim, provider, scenario, faults, fills: 0, ...record(provider) };
    });
  },
  async act(system, event, before, order) {
    const { sim, provider, scenario, faults } = system;
    if (event.type === 'order.submit') {
      if (scenario.partials > 0) sim.partialNextExecutions(scenario.partials);
      if (faults.duplicateExecutions && scenario.fills > 0) sim.duplicateNextExecutions(1);
      if (faults.lostAnswer) sim.dropNextOrderResponses(1);
      const request = scenario.placement === 'rejected' ? { type: 'market' as const, quantity: 1 }
        : scenario.fills > 0 ? { type: 'market' as const, quantity: 0.004 } : { type: 'limit' as const, quantity: 0.004, price: 50_000 };
      expectContract('Binance', 'placeOrder', await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', clientOrderId: 'path-order', ...request }));
    } else if (event.type === 'order.filled') {
      // The first execution comes with the placement; each later one is a market step, seen by the next poll.
      if (system.fills++ > 0) {
        if (faults.duplicateExecutions) sim.duplicateNextExecutions(1);
        sim.advance(1);
      }
    } else if (event.type === 'order.cancelled' && faults.venueCancels) {
      // The venue expires the order; the provider's next poll finds it EXPIRED.
      expect(sim.expireOrder(parseOrderId(order!)!.orderId), 'Binance: the order was working').toBe(true);
    } else if (event.type === 'order.cancelled') {
      expectContract('Binance', 'cancelOrder', await provider.cancelOrder(order!));
    }
  },
  view: (system, id) => system.provider.getOrderStatus(id),
  updates: (system) => system.updates,
  logged: (system) => new Set([
    ...loggedIds(system.events, 'order.placed', (e) => (e['order'] as { id: string }).id),
    ...loggedIds(system.events, 'order.rejected', (e) => (e['order'] as { id: string }).id),
  ]),
  agree(system, order) {
    const ref = parseOrderId(order.id);
    const venue = ref === undefined ? undefined : system.sim.orders().find((o) => o.orderId === ref.orderId);
    if (order.status === 'rejected') {
      expect(venue, `Binance: the refused ${order.id} is not at the venue`).toBeUndefined();
      return;
    }
    expect(venue, `Binance: ${order.id} is at the venue`).toBeDefined();
    expect({ status: orderStatusOf(venue!.status), filled: venue!.executedLots }, `Binance: the venue agrees on ${order.id}`)
      .toEqual({ status: order.status, filled: Math.round(order.filledQuantity * 1e5) });
    if (venue!.status === 'EXPIRED') expect(order.cancelReason, 'Binance: an expiry is told apart from a cancel').toBe('expired at the venue');
    // The fills published are the venue's executions, none of the copies (each listed right after its original).
    const trades = system.sim.trades().filter((t) => t.orderId === ref!.orderId);
    const genuine = trades.filter((t, i) => !(i > 0 && isCopy(trades[i - 1]!, t))).map((t) => t.id);
    const published = system.events.filter((e) => e.type === 'order.filled' && (e['order'] as { id: string }).id === order.id).map((e) => e['tradeId']);
    expect(published, `Binance: the fills of ${order.id} are its executions`).toEqual(genuine);
  },
  async stop(system) {
    await system.provider.disconnect();
    await system.sim.close();
  },
};
