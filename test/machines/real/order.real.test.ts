/**
 * The order machine's paths against the real trading providers: the paper provider, the Binance provider against
 * the Binance simulator and the IBKR provider against the TWS simulator. The providers run no order actor, so the
 * order machine's module is tapped (order-tap.ts): every order a provider creates is replicated by a live actor
 * of the machine, fed the events the provider applies. Each path is planned per venue from what its driver can
 * cause (order-plan.ts), the replica's state sequence must equal the path, the invariants of order-driver.ts
 * hold after every path, and the coverage test requires every state and transition of the order machine reached
 * by some venue, or a reason for it in unreachable.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { orderMachine } from '../../../machines/order.machine.ts';
import { Coverage } from '../../support/machine-paths/coverage.ts';
import { describePath, planPaths, runPath, type PlannedPath } from '../../support/machine-paths/paths.ts';
import { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { orderDriver, type OrderFaults, type OrderVenue } from './order-driver.ts';
import { orderEvents, PLANNED_ORDER, serializeOrder } from './order-plan.ts';
import { binanceVenue } from './order-venue-binance.ts';
import { ibkrVenue } from './order-venue-ibkr.ts';
import { paperVenue } from './order-venue-paper.ts';

vi.mock('../../../machines/order.machine.ts', async (original) => {
  const { tapOrderModule } = await import('../../support/machine-paths/order-tap.ts');
  return tapOrderModule(await original());
});

const coverage = new Coverage([orderMachine]);

const plan = <S>(venue: OrderVenue<S>): PlannedPath[] =>
  planPaths(orderMachine, { input: PLANNED_ORDER, events: orderEvents(venue.abilities), serializeState: serializeOrder });

const walk = async <S>(venue: OrderVenue<S>, path: PlannedPath, faults?: OrderFaults): Promise<void> => {
  const recorder = new InspectionRecorder();
  try {
    await runPath(path, orderDriver(venue, faults), recorder);
  } finally {
    coverage.add(recorder);
  }
};

const suite = <S>(venue: OrderVenue<S>): void => {
  describe(`order paths against the ${venue.name} provider`, () => {
    const paths = plan(venue);

    it('plans paths from the machine graph', () => {
      expect(paths.length).toBeGreaterThan(5);
    });

    for (const path of paths) {
      it(`walks ${describePath(path)}`, () => walk(venue, path));
    }

    // Faults of the venue that must not show in the order's path: the provider absorbs them.
    for (const run of venue.faultRuns) {
      for (const path of paths.filter(run.applies)) it(`walks ${describePath(path)} ${run.under}`, () => walk(venue, path, run.faults));
    }
  });
};

suite(paperVenue);
suite(binanceVenue);
suite(ibkrVenue);

describe('order machine coverage', () => {
  it('reaches every state and transition of the order machine through some provider, or says why not', () => {
    const { report, summary } = coverage.write('order');
    expect(report[0]!.unexplained, summary).toEqual([]);
    expect(report[0]!.stale, summary).toEqual([]);
  });
});
