/**
 * The paper broker machine's own paths, run against the real paper provider (`createPaperTradingProvider`): orders
 * placed and cancelled through its TradingProvider API, bars through `onMarketData`. The broker actor is observed
 * through its actor system's inspection stream; at the end of every path every order update has its placement in
 * the provider's event log, and the log folded with `foldEvents` equals the live account.
 */
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { paperBrokerMachine } from '../../../machines/paper-broker.machine.ts';
import { markLookup, type PaperAccount } from '../../../machines/lib/paper-account.ts';
import type { Bar } from '../../../src/domain/bar.ts';
import type { Order } from '../../../src/domain/trading.ts';
import { foldEvents, type LoggedEvent } from '../../../src/events/fold.ts';
import { accountInfoOf, positionsOf } from '../../../src/trading/paper/account.ts';
import { createPaperTradingProvider, type PaperTradingProvider } from '../../../src/trading/paper/paper-provider.ts';
import { Coverage } from '../../support/machine-paths/coverage.ts';
import { describePath, planPaths, runPath, type Driver } from '../../support/machine-paths/paths.ts';
import { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { nthBar } from './writer-driver.ts';

interface PaperSystem {
  readonly provider: PaperTradingProvider;
  readonly logged: LoggedEvent[];
  readonly orders: Order[];
  readonly recorder: InspectionRecorder;
}

const acc = (s: AnyMachineSnapshot) => s.context as PaperAccount;
const T0 = nthBar(0).openTime;

/** What the driver can do next: a market or a resting limit order, cancel the open one, the next bar. */
const events = (s: AnyMachineSnapshot): EventObject[] => {
  const a = acc(s);
  const placed = Object.keys(a.orders).length;
  const mark = markLookup(a.marks, 'BTCUSDT');
  const n = mark === undefined ? 0 : (mark.openTime - T0) / 60_000 + 1;
  const out: EventObject[] = [{ type: 'market.bar', bar: nthBar(n) } as EventObject];
  if (placed < 2) {
    out.push({ type: 'broker.order.place', id: `paper-${placed + 1}`, request: { symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.5 }, at: T0 } as EventObject);
    out.push({ type: 'broker.order.place', id: `paper-${placed + 1}`, request: { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: 0.5, price: 50 }, at: T0 } as EventObject);
  }
  for (const id of a.openOrderIds) out.push({ type: 'broker.order.cancel', id, at: T0 } as EventObject);
  return out;
};

const serializeState = (s: AnyMachineSnapshot): string => {
  const a = acc(s);
  return JSON.stringify({ placed: Object.keys(a.orders).length, open: a.openOrderIds.length, marked: markLookup(a.marks, 'BTCUSDT') !== undefined });
};

const driver: Driver<PaperSystem> = {
  async start(_path, recorder) {
    const provider = createPaperTradingProvider({ now: () => T0 });
    provider.actor.system.inspect(recorder.inspect);
    const system: PaperSystem = { provider, logged: [], orders: [], recorder };
    provider.onEvent((e) => system.logged.push(e));
    provider.onOrderUpdate(({ order }) => system.orders.push(order));
    await provider.connect();
    return system;
  },
  observed: (system) => system.provider.actor,
  async act(system, event) {
    const { provider } = system;
    if (event.type === 'broker.order.place') await provider.placeOrder((event as unknown as { request: Parameters<PaperTradingProvider['placeOrder']>[0] }).request);
    else if (event.type === 'broker.order.cancel') await provider.cancelOrder((event as unknown as { id: string }).id);
    else if (event.type === 'market.bar') provider.onMarketData!((event as unknown as { bar: Bar }).bar);
  },
  async check(system) {
    const placedIds = new Set(system.logged.filter((e) => e.type === 'broker.order.place').map((e) => String((e as { id?: unknown }).id)));
    for (const o of system.orders) if (!placedIds.has(o.id)) throw new Error(`order ${o.id} has no log entry`);
    const folded = foldEvents(paperBrokerMachine, system.logged).context;
    const live = system.provider.account();
    expect(accountInfoOf(folded)).toEqual(accountInfoOf(live));
    expect(positionsOf(folded)).toEqual(positionsOf(live));
  },
  async stop(system) {
    await system.provider.disconnect();
  },
};

const coverage = new Coverage([paperBrokerMachine]);

describe('paper broker paths against the real paper provider', () => {
  const paths = planPaths(paperBrokerMachine, { events, serializeState });

  it('plans paths from the machine graph', () => {
    expect(paths.length).toBeGreaterThan(3);
  });

  for (const path of paths) {
    it(`walks ${describePath(path)}`, async () => {
      const recorder = new InspectionRecorder();
      try {
        await runPath(path, driver, recorder);
      } finally {
        coverage.add(recorder);
      }
    });
  }

  it('reaches every state and transition of the paper broker, or says why not', () => {
    const { report, summary } = coverage.write('paper-broker');
    expect(report[0]!.unexplained, summary).toEqual([]);
    expect(report[0]!.stale, summary).toEqual([]);
  });
});
