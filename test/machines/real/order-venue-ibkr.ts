/**
 * The IBKR venue of the order paths: the ibkr-paper provider against the TWS simulator, AAPL at 100. A path with
 * fills places a market buy of 4 shares, which fills on placement; the simulator's partial-fill fault makes the
 * path's partial fills, and each later fill is a price change. A path without fills places a limit buy at 50,
 * which rests. A refused order meets the simulator's rejection (error 201). A lost order (the simulator's
 * lost-order fault: never answered, never listed) stays submitted, a cancel of it too (TWS refuses it, 10147),
 * until a dropped connection: the provider's resynchronisation then fails it. An order TWS holds but never
 * acknowledged (the silent-order fault) is cancelled by TWS's confirmation of the cancel. A cancel with no request
 * is TWS's own (`cancelAtTws`), whose message the provider keeps as the reason. Fault: the connection
 * dropped after the path, so the resynchronisation replays open orders and executions (applied once only).
 */
import { expect } from 'vitest';
import { isFinalStatus, type OrderContext } from '../../../machines/order.machine.ts';
import { startIbkrSimulator, type IbkrSimulator } from '../../../src/sim/ibkr/index.ts';
import { createIbkrTradingProvider, type IbkrTradingProvider } from '../../../src/trading/ibkr/index.ts';
import { connectedOn, expectContract, type OrderFaults, type OrderVenue } from './order-driver.ts';
import { scenarioOf, type OrderScenario } from './order-plan.ts';
import { loggedIds, record, type Recorded } from './order-venue-paper.ts';

interface IbkrSystem extends Recorded {
  readonly sim: IbkrSimulator;
  readonly provider: IbkrTradingProvider;
  readonly scenario: OrderScenario;
  readonly faults: OrderFaults;
  /** Orders the provider was asked to cancel. */
  readonly asked: Set<string>;
  fills: number;
}

const STATUS: Readonly<Record<string, readonly string[]>> = {
  Submitted: ['accepted', 'partially_filled'], Filled: ['filled'], Cancelled: ['cancelled'], Inactive: ['rejected'],
};

/** The IBKR provider and TWS simulator as an order venue. */
export const ibkrVenue: OrderVenue<IbkrSystem> = {
  name: 'IBKR',
  abilities: { cancelRequest: true, rejectAccepted: false, lostOrder: true, venueCancel: true },
  faultRuns: [{
    under: 'then resynchronises after a dropped connection without applying anything twice',
    faults: { reconnectAfterPath: true },
    applies: (path) => scenarioOf(path).fills > 0 && scenarioOf(path).placement === 'accepted',
  }],
  async start(scenario, faults) {
    const sim = await startIbkrSimulator({ prices: { AAPL: 100 } });
    return connectedOn(sim, (): IbkrSystem => {
      const provider = createIbkrTradingProvider('ibkr-paper', {
        port: sim.port, client_id: 1, reconnect_delay_ms: 50, reconnect_max_delay_ms: 200, request_timeout_ms: 2_000,
        connect_timeout_ms: 2_000, keepalive_ms: 1_000,
      }, { seed: 7 });
      return { sim, provider, scenario, faults, asked: new Set(), fills: 0, ...record(provider) };
    });
  },
  async act(system, event, before, order) {
    const { sim, provider, scenario } = system;
    if (event.type === 'order.submit') {
      if (scenario.partials > 0) sim.partialNextFills(scenario.partials);
      if (scenario.placement === 'rejected') sim.rejectNextOrder('simulated refusal');
      if (scenario.placement === 'lost') sim.loseNextOrders(1);
      if (scenario.placement === 'unacknowledged') sim.silenceNextOrders(1);
      const request = scenario.fills > 0 ? { type: 'market' as const } : { type: 'limit' as const, price: 50 };
      const placing = provider.placeOrder({ symbol: 'AAPL', side: 'buy', quantity: 4, ...request });
      if (scenario.placement === 'accepted' || scenario.placement === 'rejected') expectContract('IBKR', 'placeOrder', await placing);
      // An unacknowledged order's placement only gives up at the request timeout, after the path: not awaited.
      else placing.catch(() => undefined);
    } else if (event.type === 'order.filled') {
      if (system.fills++ > 0) sim.setPrice('AAPL', 100);
    } else if (event.type === 'order.cancel') {
      system.asked.add(order!);
      const cancelled = await provider.cancelOrder(order!);
      // A lost order's cancel is refused by TWS, which does not know it: the order stays as it was.
      if (scenario.placement !== 'lost') expectContract('IBKR', 'cancelOrder', cancelled);
    } else if (event.type === 'order.cancelled' && (before.context as OrderContext).cancelRequestedAt === undefined) {
      sim.cancelAtTws(1, Number(order));
    } else if (event.type === 'order.failed') {
      sim.dropConnections();
    }
  },
  view: (system, id) => system.provider.getOrderStatus(id),
  updates: (system) => system.updates,
  logged: (system) => loggedIds(system.events, 'ibkr.order.placed', (e) => e['orderId']),
  agree(system, order) {
    const venue = system.sim.orders().find((o) => String(o.orderId) === order.id);
    if (venue === undefined) {
      // Refused or lost at TWS: the provider must have settled it, or still wait for it.
      expect(['rejected', 'failed', 'submitted'], `IBKR: ${order.id} is unknown to TWS`).toContain(order.status);
      return;
    }
    expect(STATUS[venue.status], `IBKR: TWS agrees on the status of ${order.id}`).toContain(order.status);
    expect(venue.filled, `IBKR: TWS agrees on the filled quantity of ${order.id}`).toBe(order.filledQuantity);
    expect(isFinalStatus(order.status)).toBe(venue.status !== 'Submitted');
    // A cancel TWS made on its own keeps TWS's message as the reason; one the provider asked for has none.
    const asked = system.asked.has(order.id);
    if (order.status === 'cancelled') expect(order.cancelReason === undefined, `IBKR: ${order.id} was cancelled ${asked ? 'on request' : 'by TWS'}`).toBe(asked);
  },
  async afterPath(system) {
    if (!system.faults.reconnectAfterPath) return;
    // Back once the provider logs `connected` again, which it does only after resynchronising.
    const back = new Promise<void>((resolve) => {
      const off = system.provider.onEvent((e) => {
        if (e.type === 'ibkr.connection.changed' && (e as { state?: unknown }).state === 'connected') {
          off();
          resolve();
        }
      });
    });
    system.sim.dropConnections();
    await back;
  },
  async stop(system) {
    await system.provider.disconnect();
    await system.sim.close();
  },
};
