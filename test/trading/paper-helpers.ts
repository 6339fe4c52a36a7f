/** Test helpers for the paper broker: bars and a small driver around a live broker actor. */
import { createActor } from 'xstate';
import { toOrder } from '../../machines/order.machine.ts';
import { paperBrokerMachine, type PaperBrokerFact } from '../../machines/paper-broker.machine.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { lookup, type PaperBrokerInput } from '../../src/trading/paper/account.ts';
import type { Order, OrderRequest } from '../../src/trading/types.ts';

export const MINUTE = 60_000;

/** A closed one-minute bar number `index` of `symbol`. */
export const bar = (
  symbol: string, index: number, ohlc: { open: number; high: number; low: number; close: number }, volume = 1_000,
): Bar => ({
  provider: 'sim', symbol, interval: '1m', openTime: index * MINUTE, closeTime: index * MINUTE + MINUTE - 1,
  ...ohlc, volume, vwap: null, tradeCount: null, final: true, receivedAt: index * MINUTE + MINUTE,
});

/** A flat bar (open = high = low = close). */
export const flat = (symbol: string, index: number, price: number, volume = 1_000): Bar =>
  bar(symbol, index, { open: price, high: price, low: price, close: price }, volume);

/** A live broker actor with helpers to place, cancel, feed bars and read orders and facts. */
export const startBroker = (input: PaperBrokerInput = {}) => {
  const facts: PaperBrokerFact[] = [];
  const actor = createActor(paperBrokerMachine, { input });
  actor.on('*', (fact) => facts.push(fact));
  actor.start();
  let at = 0;
  const account = () => actor.getSnapshot().context;
  return {
    actor,
    facts,
    account,
    place: (id: string, request: OrderRequest): Order => {
      actor.send({ type: 'broker.order.place', id, request, at: ++at });
      return toOrder(lookup(account().orders, id)!);
    },
    cancel: (id: string) => actor.send({ type: 'broker.order.cancel', id, at: ++at }),
    feed: (...bars: Bar[]) => {
      for (const b of bars) actor.send({ type: 'market.bar', bar: b });
    },
    order: (id: string): Order => toOrder(lookup(account().orders, id)!),
    position: (symbol: string) => lookup(account().positions, symbol),
  };
};
