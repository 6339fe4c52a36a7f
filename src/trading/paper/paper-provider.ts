/**
 * The `paper` trading provider: the paper-broker machine run as an actor behind the {@link TradingProvider}
 * interface. Order ids are deterministic (prefix + sequence, or the caller's generator) and every event the
 * actor receives is passed to `onEvent` listeners, so a session can append them to its log and later resume by
 * folding that log (`foldEvents`) and passing the result as `snapshot`.
 */
import { createActor, type Actor } from 'xstate';
import { paperBrokerMachine, type PaperBrokerSnapshot } from '../../../machines/paper-broker.machine.ts';
import { isFinalStatus, toOrder } from '../../../machines/order.machine.ts';
import type { Bar } from '../../domain/bar.ts';
import { realtimeError } from '../../errors.ts';
import { recordRootEvents, type LoggedEvent } from '../../events/fold.ts';
import type { Unlisten } from '../../providers/realtime-provider.ts';
import type { OrderUpdate, TradingProvider } from '../trading-provider.ts';
import type { Order, OrderRequest } from '../types.ts';
import { accountInfoOf, lookup, openOrdersOf, positionsOf, type PaperAccount, type PaperBrokerInput } from './account.ts';

/** How to build a paper provider. */
export interface PaperTradingProviderOptions {
  /** Broker rules over the defaults; ignored when `snapshot` is given (the snapshot holds its own). */
  readonly config?: PaperBrokerInput;
  /** A state to resume from: a persisted snapshot, or one rebuilt from the event log with `foldEvents`. */
  readonly snapshot?: PaperBrokerSnapshot;
  /** Prefix of generated order ids (`paper-1`, `paper-2`, …). */
  readonly orderIdPrefix?: string;
  /** Order id for the n-th order of the account (1-based, counted from the state, so it continues after a resume). */
  readonly orderId?: (sequence: number) => string;
  /** Clock for placement and cancel times (ms); defaults to `Date.now`. */
  readonly now?: () => number;
}

/** The paper provider: a {@link TradingProvider} with its event stream and state exposed. */
export interface PaperTradingProvider extends TradingProvider {
  onMarketData(bar: Bar): void;
  onEvent(callback: (event: LoggedEvent) => void): Unlisten;
  /** The whole paper account (the machine's context). */
  account(): PaperAccount;
  /** The broker actor, for inspection and persistence (`getPersistedSnapshot()`). */
  readonly actor: Actor<typeof paperBrokerMachine>;
}

const notify = <T>(listeners: ReadonlySet<(value: T) => void>, value: T): void => {
  for (const listener of [...listeners]) listener(value);
};

/** Creates a paper trading provider; call `connect()` before trading. */
export const createPaperTradingProvider = (options: PaperTradingProviderOptions = {}): PaperTradingProvider => {
  const eventListeners = new Set<(event: LoggedEvent) => void>();
  const updateListeners = new Set<(update: OrderUpdate) => void>();
  const prefix = options.orderIdPrefix ?? 'paper-';
  const orderId = options.orderId ?? ((sequence: number) => `${prefix}${sequence}`);
  const now = options.now ?? Date.now;
  const actor = createActor(paperBrokerMachine, {
    input: options.config ?? {},
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    inspect: recordRootEvents((event) => notify(eventListeners, event as LoggedEvent)),
  });
  actor.on('*', (fact) => notify(updateListeners, fact.type === 'order.filled' ? { order: fact.order, fill: fact.fill } : { order: fact.order }));
  let started = false;
  let connected = false;

  const account = (): PaperAccount => actor.getSnapshot().context;
  const requireConnected = (what: string): void => {
    if (!connected) {
      throw realtimeError('NOT_READY', `the paper broker is not connected: call connect() before ${what}`);
    }
  };
  const orderById = (id: string): Order | undefined => {
    const state = lookup(account().orders, id);
    return state ? toOrder(state) : undefined;
  };
  const unknownOrder = (id: string) => realtimeError('ORDER_NOT_FOUND', `the paper broker has no order with id ${id}`, { orderId: id });

  return {
    name: 'paper',
    actor,
    account,
    async connect(signal?: AbortSignal) {
      signal?.throwIfAborted();
      // Started on first connect so that listeners registered before it also see `xstate.init` (the config).
      if (!started) actor.start();
      started = true;
      connected = true;
    },
    async disconnect() {
      connected = false;
    },
    isConnected: () => connected,
    async placeOrder(request: OrderRequest) {
      requireConnected('placing an order');
      if (typeof request !== 'object' || request === null) throw realtimeError('ORDER_INVALID', 'the order request is not an object');
      if (request.clientOrderId !== undefined) {
        // Idempotent placement: the same clientOrderId returns the existing order and logs nothing.
        const existing = Object.values(account().orders).find((o) => o.context.request.clientOrderId === request.clientOrderId);
        if (existing) return toOrder(existing);
      }
      const id = orderId(Object.keys(account().orders).length + 1);
      if (typeof id !== 'string' || id === '' || Object.hasOwn(account().orders, id)) {
        throw realtimeError('CONFIG_INVALID', `the order id generator returned ${JSON.stringify(id)}, which is empty or taken`, { orderId: id });
      }
      actor.send({ type: 'broker.order.place', id, request, at: now() });
      const placed = orderById(id);
      if (!placed) throw realtimeError('INTERNAL_ERROR', `the paper broker did not record order ${id}`, { orderId: id });
      return placed;
    },
    async cancelOrder(id: string) {
      requireConnected('cancelling an order');
      const state = lookup(account().orders, id);
      if (!state) throw unknownOrder(id);
      if (!isFinalStatus(state.status)) actor.send({ type: 'broker.order.cancel', id, at: now() });
      return orderById(id) ?? toOrder(state);
    },
    async getOrderStatus(id: string) {
      return orderById(id);
    },
    async getOpenOrders() {
      return openOrdersOf(account());
    },
    async getPositions() {
      return positionsOf(account());
    },
    async getAccountInfo() {
      return accountInfoOf(account());
    },
    async getTrades() {
      return [...account().fills];
    },
    onOrderUpdate(callback) {
      updateListeners.add(callback);
      return () => updateListeners.delete(callback);
    },
    onEvent(callback) {
      eventListeners.add(callback);
      return () => eventListeners.delete(callback);
    },
    onMarketData(bar: Bar) {
      // Offline, the broker sees no market, like a venue; bars still forming never fill (see the machine's rules).
      if (connected && bar.final) actor.send({ type: 'market.bar', bar });
    },
  };
};
