/**
 * A tap on the order machine's pure entry points. The trading providers run no order actor: they keep orders as
 * plain data and advance them with `createOrder` / `advanceOrder` (machines/order.machine.ts), so there is no
 * inspection stream to observe. A test file wraps that module with `vi.mock` and {@link tapOrderModule}; from
 * then on, while a recorder is attached, every order a provider creates gets a live `createActor(orderMachine)`
 * replica, and every event the provider applies to the order is sent to the replica too. The replica's
 * inspection events go to the recorder (so coverage counts real transitions of the machine, and the replica's
 * state sequence is what the path is compared with), and after each event the replica must agree with what the
 * provider got back (a provider advancing a stale copy of an order would show here as a mismatch).
 *
 * This module must not import order.machine.ts at run time: it is loaded from inside the mock factory of that
 * very module, and gets the real module as an argument instead.
 */
import { createActor, type Actor } from 'xstate';
import type * as OrderModule from '../../../machines/order.machine.ts';
import type { InspectionRecorder } from './recorder.ts';

type Module = typeof OrderModule;
type OrderState = OrderModule.OrderState;
type OrderEvent = OrderModule.OrderEvent;
type OrderActor = Actor<Module['orderMachine']>;

/** One event a provider applied to an order, and the status it led to (unchanged when the machine ignored it). */
export interface TappedStep {
  readonly event: OrderEvent;
  readonly status: string;
  readonly changed: boolean;
}

/** What the tap saw of one order. */
export interface TappedOrder {
  readonly id: string;
  readonly actor: OrderActor;
  readonly steps: TappedStep[];
}

/** The tap: orders by id, in creation order, while a recorder is attached. */
export class OrderTap {
  #module: Module | undefined;
  #recorder: InspectionRecorder | undefined;
  readonly #orders = new Map<string, TappedOrder>();
  /** Disagreements between a provider's result and its replica, as readable lines. */
  readonly mismatches: string[] = [];

  /** Starts a run: later orders are replicated, their inspection events go to `recorder`. */
  attach(recorder: InspectionRecorder): void {
    this.detach();
    this.#recorder = recorder;
  }

  /** Ends a run: the replicas are stopped and forgotten. */
  detach(): void {
    for (const o of this.#orders.values()) o.actor.stop();
    this.#orders.clear();
    this.mismatches.length = 0;
    this.#recorder = undefined;
  }

  /** Runs `fn` with the tap off (e.g. a check that folds an event log, which creates the same orders again). */
  untapped<T>(fn: () => T): T {
    const recorder = this.#recorder;
    this.#recorder = undefined;
    try {
      return fn();
    } finally {
      this.#recorder = recorder;
    }
  }

  /** The orders seen in this run, in creation order. */
  orders(): TappedOrder[] {
    return [...this.#orders.values()];
  }

  /** The first order created in this run (the one a path is about). */
  first(): TappedOrder | undefined {
    return this.#orders.values().next().value;
  }

  /** The wrapped module: the real one with `createOrder` and `advanceOrder` replaced by tapped versions. */
  wrap(real: Module): Module {
    this.#module = real;
    const createOrder: Module['createOrder'] = (input) => {
      const state = real.createOrder(input);
      const recorder = this.#recorder;
      if (recorder) {
        const earlier = this.#orders.get(input.id);
        if (earlier) {
          this.mismatches.push(`order ${input.id} was created twice`);
          earlier.actor.stop();
        }
        const actor = createActor(real.orderMachine, { input, inspect: recorder.inspect });
        actor.start();
        this.#orders.set(input.id, { id: input.id, actor, steps: [] });
        this.#compare(input.id, actor, state, 'when created');
      }
      return state;
    };
    const advanceOrder: Module['advanceOrder'] = (state, event) => {
      const next = real.advanceOrder(state, event);
      const tapped = this.#recorder ? this.#orders.get(state.context.id) : undefined;
      if (tapped) {
        // The replica must be where the provider's copy was, or the provider advanced a stale order.
        this.#compare(tapped.id, tapped.actor, state, `before ${event.type}`);
        // A final replica is stopped (XState warns on sends to it); the machine ignores the event there anyway, and
        // a provider that changed a final order shows as a mismatch below.
        if (tapped.actor.getSnapshot().status === 'active') tapped.actor.send(event);
        tapped.steps.push({ event, status: next.status, changed: next !== state });
        this.#compare(tapped.id, tapped.actor, next, `after ${event.type}`);
      }
      return next;
    };
    return { ...real, createOrder, advanceOrder };
  }

  #compare(id: string, actor: OrderActor, state: OrderState, when: string): void {
    const replica = this.#module!.orderStateOf(actor.getSnapshot());
    if (JSON.stringify(replica) !== JSON.stringify(state)) {
      this.mismatches.push(`order ${id} ${when}: the provider holds ${JSON.stringify(state)}, the machine ${JSON.stringify(replica)}`);
    }
  }
}

/** The one tap of a test file (the mock factory and the test share it through this module). */
export const orderTap = new OrderTap();

/** For `vi.mock('…/machines/order.machine.ts', async (original) => tapOrderModule(await original()))`. */
export const tapOrderModule = (real: unknown): Module => orderTap.wrap(real as Module);
