import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { createActor } from 'xstate';
import { isFinalStatus, type OrderState } from '../../machines/order.machine.ts';
import { paperBrokerMachine } from '../../machines/paper-broker.machine.ts';
import { foldEvents, recordRootEvents, type LoggedEvent } from '../../src/events/fold.ts';
import { accountInfoOf, equityOf, markLookup, positionsOf, type PaperAccount, type PaperBrokerInput } from '../../src/trading/paper/account.ts';
import { bar } from '../trading/paper-helpers.ts';

const SYMBOLS = ['AAA', 'BBB'] as const;
const price = fc.integer({ min: 50, max: 150 });

const barOp = fc.record({
  kind: fc.constant('bar' as const),
  symbol: fc.constantFrom(...SYMBOLS),
  prices: fc.tuple(price, price, price, price),
  volume: fc.integer({ min: 0, max: 60 }),
  // 0: the next bar; 1: a correction of the last one; 2: a stale bar; 3: a bar still forming.
  variant: fc.constantFrom(0, 0, 0, 0, 0, 1, 2, 3),
});
const placeOp = fc.record({
  kind: fc.constant('place' as const),
  symbol: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  type: fc.constantFrom('market' as const, 'limit' as const, 'stop' as const),
  quantity: fc.integer({ min: 0, max: 24 }).map((q) => q / 4),
  offset: fc.integer({ min: -12, max: 12 }),
});
const cancelOp = fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() });
const restartOp = fc.constant({ kind: 'restart' as const });
const ops = fc.array(fc.oneof({ arbitrary: barOp, weight: 5 }, { arbitrary: placeOp, weight: 4 }, cancelOp, restartOp), { minLength: 10, maxLength: 80 });

const config: fc.Arbitrary<PaperBrokerInput> = fc.record({
  initialCash: fc.constantFrom(1_000, 10_000, 100_000),
  feeRate: fc.constantFrom(0, 0.001, 0.01),
  slippageBps: fc.constantFrom(0, 5, 50),
  fillOn: fc.constantFrom('next_open' as const, 'close' as const),
  allowShort: fc.boolean(),
  shortMarginRate: fc.constantFrom(0.5, 1.5),
  maxVolumeShare: fc.constantFrom(null, 0.5, 0.1),
});

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

const checkInvariants = (account: PaperAccount, finals: Map<string, OrderState>): void => {
  expect(account.cash).toBeGreaterThanOrEqual(0);
  const info = accountInfoOf(account);
  const positionValue = positionsOf(account).reduce((sum, p) => sum + p.quantity * p.lastPrice, 0);
  expect(close(info.equity, account.cash + positionValue)).toBe(true);
  expect(close(info.equity, account.config.initialCash + info.realizedPnl + info.unrealizedPnl - info.fees)).toBe(true);
  expect(close(equityOf(account), info.equity)).toBe(true);
  const working = Object.values(account.orders).filter((o) => !isFinalStatus(o.status)).map((o) => o.context.id);
  expect([...account.openOrderIds].sort()).toEqual(working.sort());
  for (const order of Object.values(account.orders)) {
    const { id, request, filledQuantity } = order.context;
    const fills = account.fills.filter((f) => f.orderId === id);
    expect(fills.every((f) => f.quantity > 0 && f.quantity <= request.quantity)).toBe(true);
    expect(close(fills.reduce((sum, f) => sum + f.quantity, 0), filledQuantity)).toBe(true);
    expect(filledQuantity).toBeLessThanOrEqual(request.quantity);
    const final = finals.get(id);
    if (final) expect(order).toStrictEqual(final);
    else if (isFinalStatus(order.status)) finals.set(id, order);
  }
  for (const symbol of SYMBOLS) {
    const net = account.fills.filter((f) => f.symbol === symbol).reduce((sum, f) => sum + (f.side === 'buy' ? f.quantity : -f.quantity), 0);
    expect(close(account.positions[symbol]?.quantity ?? 0, net)).toBe(true);
  }
};

describe('paper broker event sourcing', () => {
  test.prop([config, ops], { numRuns: 200 })(
    'rebuilds the live account from its event log across restarts, keeping the accounting invariants',
    (input, sequence) => {
      // Every event the root receives, stored as JSON like the session's log.
      const log: LoggedEvent[] = [];
      const inspect = recordRootEvents((event) => log.push(JSON.parse(JSON.stringify(event)) as LoggedEvent));
      let actor = createActor(paperBrokerMachine, { input, inspect }).start();
      const finals = new Map<string, OrderState>();
      const lastIndex: Record<string, number> = { AAA: 0, BBB: 0 };
      let at = 0;
      let placed = 0;
      for (const op of sequence) {
        const account = actor.getSnapshot().context;
        if (op.kind === 'bar') {
          const [a, b, c, d] = op.prices;
          const index = op.variant === 0 ? ++lastIndex[op.symbol]! : op.variant === 2 ? lastIndex[op.symbol]! - 1 : lastIndex[op.symbol]!;
          const candle = bar(op.symbol, index, { open: a, high: Math.max(a, b, c, d), low: Math.min(a, b, c, d), close: d }, op.volume);
          actor.send({ type: 'market.bar', bar: op.variant === 3 ? { ...candle, final: false } : candle });
        } else if (op.kind === 'place') {
          const reference = (markLookup(account.marks, op.symbol)?.close ?? 100) + op.offset;
          const level = op.type === 'limit' ? { price: reference } : op.type === 'stop' ? { stopPrice: reference } : {};
          actor.send({
            type: 'broker.order.place', id: `o-${++placed}`, at: ++at,
            request: { symbol: op.symbol, side: op.side, type: op.type, quantity: op.quantity, ...level },
          });
        } else if (op.kind === 'cancel') {
          if (placed > 0) actor.send({ type: 'broker.order.cancel', id: `o-${(op.pick % placed) + 1}`, at: ++at });
        } else {
          const rebuilt = foldEvents(paperBrokerMachine, log);
          expect(rebuilt.context).toStrictEqual(account);
          actor.stop();
          actor = createActor(paperBrokerMachine, { input, snapshot: rebuilt, inspect }).start();
        }
        checkInvariants(actor.getSnapshot().context, finals);
      }
      expect(foldEvents(paperBrokerMachine, log).context).toStrictEqual(actor.getSnapshot().context);
      actor.stop();
    },
  );
});
