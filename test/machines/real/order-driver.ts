/**
 * The order driver: runs order-machine paths against a real trading provider through a venue (order-venues.ts)
 * that turns each event into an action. The observed actor is the tap's replica of the first order the provider
 * created in the run (order-tap.ts). After every path: the tap saw no provider advancing a stale copy of an
 * order, every order has an entry in the provider's event log, the provider's view of each order equals the
 * fold of the events it applied (the replica), the last update it published is that order, the fills it reported
 * add up to it and never exceed the order's quantity, and the venue agrees with the provider.
 */
import { expect } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { isFinalStatus, snapshotToOrder, type OrderEvent } from '../../../machines/order.machine.ts';
import type { OrderUpdate } from '../../../src/trading/trading-provider.ts';
import type { Order } from '../../../src/trading/types.ts';
import { orderTap } from '../../support/machine-paths/order-tap.ts';
import type { Driver, PlannedPath } from '../../support/machine-paths/paths.ts';
import type { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { scenarioOf, type OrderScenario, type VenueAbilities } from './order-plan.ts';

/** Venue faults a path can run under: the observed path and the invariants must not change. */
export interface OrderFaults {
  /** The answer to the placement is lost (the provider looks the order up by its client id). */
  readonly lostAnswer?: boolean;
  /** Executions are listed twice in the venue's trade history (a provider adding both would overfill). */
  readonly duplicateExecutions?: boolean;
  /** A cancel comes from the venue itself (an order expired), not from the provider's request. */
  readonly venueCancels?: boolean;
  /** The connection drops after the path: the provider's resynchronisation answers everything again. */
  readonly reconnectAfterPath?: boolean;
}

/** A fault run: the paths it applies to run again under `faults`, and must walk the same. */
export interface FaultRun {
  /** How the test name says it, after the path. */
  readonly under: string;
  readonly faults: OrderFaults;
  readonly applies: (path: PlannedPath) => boolean;
}

/** One venue: a real trading provider and whatever stands behind it. */
export interface OrderVenue<S> {
  readonly name: string;
  readonly abilities: VenueAbilities;
  readonly faultRuns: readonly FaultRun[];
  start(scenario: OrderScenario, faults: OrderFaults): Promise<S>;
  /** Turns one event into an action; `order` is the id of the path's order once the provider created it. */
  act(system: S, event: OrderEvent, before: AnyMachineSnapshot, order: string | undefined): Promise<void>;
  /** The provider's current view of an order. */
  view(system: S, id: string): Promise<Order | undefined>;
  /** Every order update the provider published. */
  updates(system: S): readonly OrderUpdate[];
  /** Ids of the orders the provider's event log has an entry for. */
  logged(system: S): Set<string>;
  /** What the venue does after the path's last step, before the invariants (a fault that must change nothing). */
  afterPath?(system: S): Promise<void>;
  /** Venue-side invariants for one order (the venue's own record agrees with the provider's view). */
  agree(system: S, order: Order): Promise<void> | void;
  stop(system: S): Promise<void>;
}

/**
 * The TradingProvider contract, an oracle independent of the order machine: placeOrder resolves once the venue
 * accepted or rejected the order, cancelOrder with the order's final state.
 */
/** Builds a venue's system on a started simulator and connects its provider; the simulator is closed if either fails. */
export const connectedOn = async <S extends { readonly provider: { connect(): Promise<void> } }>(sim: { close(): Promise<unknown> }, build: () => S): Promise<S> => {
  try {
    const system = build();
    await system.provider.connect();
    return system;
  } catch (e) {
    await sim.close();
    throw e;
  }
};

export const expectContract = (venue: string, call: 'placeOrder' | 'cancelOrder', order: Order): void => {
  if (call === 'placeOrder') expect(order.status, `${venue}: placeOrder resolves after the venue's verdict`).not.toBe('submitted');
  else expect(isFinalStatus(order.status), `${venue}: cancelOrder resolves with the final state, not ${order.status}`).toBe(true);
};

const EPSILON = 1e-9;

/** A path driver for one venue. */
export const orderDriver = <S>(venue: OrderVenue<S>, faults: OrderFaults = {}): Driver<S> => ({
  async start(path: PlannedPath, recorder: InspectionRecorder) {
    orderTap.attach(recorder);
    try {
      return await venue.start(scenarioOf(path), faults);
    } catch (e) {
      orderTap.detach();
      throw e;
    }
  },
  observed: () => orderTap.first()?.actor,
  act: (system, event: EventObject, before) => venue.act(system, event as OrderEvent, before, orderTap.first()?.id),
  async check(system) {
    if (venue.afterPath) {
      const applied = () => orderTap.orders().map((o) => o.steps.filter((step) => step.changed).length);
      const before = applied();
      await venue.afterPath(system);
      expect(applied(), `${venue.name}: orders changed after the path`).toEqual(before);
    }
    expect(orderTap.mismatches, `${venue.name}: provider and machine disagree`).toEqual([]);
    const logged = venue.logged(system);
    const updates = venue.updates(system);
    for (const tapped of orderTap.orders()) {
      const id = tapped.id;
      expect(logged.has(id), `${venue.name}: order ${id} has no entry in the event log`).toBe(true);
      const folded = snapshotToOrder(tapped.actor.getSnapshot());
      const view = await venue.view(system, id);
      expect(view, `${venue.name}: the provider's view of ${id} is the fold of what it applied`).toEqual(folded);
      const mine = updates.filter((u) => u.order.id === id);
      const reported = mine.reduce((sum, u) => sum + (u.fill?.quantity ?? 0), 0);
      expect(reported, `${venue.name}: fills reported for ${id}`).toBeCloseTo(folded.filledQuantity, 9);
      expect(folded.filledQuantity).toBeLessThanOrEqual(folded.quantity + EPSILON);
      // The last update published is the order as it stands.
      const last = mine.at(-1)?.order;
      if (last) expect(last, `${venue.name}: last update of ${id}`).toEqual(folded);
      await venue.agree(system, folded);
    }
  },
  async stop(system) {
    try {
      await venue.stop(system);
    } finally {
      orderTap.detach();
    }
  },
});
