/**
 * The paper venue of the order paths: the paper provider with 1 000 of cash and fills capped by bar volume
 * (maxVolumeShare 1). The path's order is a limit buy of 4 at 100 (40 when the path wants it refused for funds),
 * filled by bars that reach 100 with the path's fill quantity as volume; an accepted order is refused at fill
 * time after another order spent the cash on a bar that does not reach 100.
 */
import { expect } from 'vitest';
import { isFinalStatus, type OrderContext } from '../../../machines/order.machine.ts';
import { paperBrokerMachine } from '../../../machines/paper-broker.machine.ts';
import type { Bar } from '../../../src/domain/bar.ts';
import { foldEvents, type LoggedEvent } from '../../../src/events/fold.ts';
import { accountInfoOf, positionsOf } from '../../../src/trading/paper/account.ts';
import { createPaperTradingProvider, type PaperTradingProvider } from '../../../src/trading/paper/paper-provider.ts';
import type { OrderUpdate, TradingProvider } from '../../../src/trading/trading-provider.ts';
import { orderTap } from '../../support/machine-paths/order-tap.ts';
import { expectContract, type OrderVenue } from './order-driver.ts';
import type { OrderScenario } from './order-plan.ts';
import { nthBar } from './writer-driver.ts';

/** What a provider published and logged during a path. */
export interface Recorded {
  readonly updates: OrderUpdate[];
  readonly events: LoggedEvent[];
}

/** Records a provider's order updates and event log. */
export const record = (provider: TradingProvider & { onEvent(cb: (e: LoggedEvent) => void): unknown }): Recorded => {
  const r: Recorded = { updates: [], events: [] };
  provider.onOrderUpdate((u) => r.updates.push(u));
  provider.onEvent((e) => r.events.push(e));
  return r;
};

/** True when a fill of `quantity` leaves the order of `before` partially filled. */
export const isPartial = (before: { readonly context: unknown }, quantity: number): boolean => {
  const c = before.context as OrderContext;
  return c.filledQuantity + quantity < c.request.quantity;
};

/** The ids of the orders logged by events of `type`, read with `id`. */
export const loggedIds = (events: readonly LoggedEvent[], type: string, id: (e: Record<string, unknown>) => unknown): Set<string> =>
  new Set(events.filter((e) => e.type === type).map((e) => String(id(e as unknown as Record<string, unknown>))));

interface PaperSystem extends Recorded {
  readonly provider: PaperTradingProvider;
  readonly scenario: OrderScenario;
  bars: number;
}

const T0 = nthBar(0).openTime;

const bar = (system: PaperSystem, prices: { open: number; low: number; high: number }, volume: number): void => {
  const next: Bar = { ...nthBar(system.bars++), ...prices, close: prices.open, volume };
  system.provider.onMarketData(next);
};

/** The paper provider as an order venue. */
export const paperVenue: OrderVenue<PaperSystem> = {
  name: 'paper',
  abilities: { cancelRequest: true, rejectAccepted: true, lostOrder: false, venueCancel: false },
  faultRuns: [],
  async start(scenario) {
    const provider = createPaperTradingProvider({ config: { initialCash: 1_000, maxVolumeShare: 1 }, now: () => T0 });
    const system: PaperSystem = { provider, scenario, bars: 0, ...record(provider) };
    await provider.connect();
    return system;
  },
  async act(system, event, before, order) {
    const { provider } = system;
    if (event.type === 'order.submit') {
      const quantity = system.scenario.placement === 'rejected' ? 40 : 4;
      expectContract('paper', 'placeOrder', await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity, price: 100 }));
    } else if (event.type === 'order.filled') {
      bar(system, { open: 100, low: 99, high: 101 }, isPartial(before, event.quantity) ? event.quantity : 1_000);
    } else if (event.type === 'order.cancel') {
      expectContract('paper', 'cancelOrder', await provider.cancelOrder(order!));
    } else if (event.type === 'order.rejected' && before.matches('accepted')) {
      // Another order spends the cash on a bar that does not reach 100; the next bar reaches it.
      await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 8, price: 110 });
      bar(system, { open: 110, low: 105, high: 111 }, 1_000);
      bar(system, { open: 100, low: 95, high: 101 }, 1_000);
    }
    // order.accepted, order.cancelled and a refusal at placement: the same placeOrder / cancelOrder call applied them.
  },
  view: (system, id) => system.provider.getOrderStatus(id),
  updates: (system) => system.updates,
  logged: (system) => loggedIds(system.events, 'broker.order.place', (e) => e['id']),
  agree(system, order) {
    const account = system.provider.account();
    expect(account.openOrderIds.includes(order.id), `paper: ${order.id} is open iff not final`).toBe(!isFinalStatus(order.status));
    // The paper broker's own log folds back into the live account (folding creates the orders again: untapped).
    const folded = orderTap.untapped(() => foldEvents(paperBrokerMachine, system.events).context);
    expect(accountInfoOf(folded)).toEqual(accountInfoOf(account));
    expect(positionsOf(folded)).toEqual(positionsOf(account));
  },
  stop: (system) => system.provider.disconnect(),
};
