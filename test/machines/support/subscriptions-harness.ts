/**
 * Runs the subscriptions machine under a minimal parent that records what the child reports
 * (`subscriptions.synced`, `subscriptions.unresponsive`), with recording `sendControl` / `sendPong` fakes on a
 * stepping SimulatedClock.
 */
import { createActor, setup, type Actor } from 'xstate';
import {
  subscriptionsMachine,
  type PendingRequest,
  type SubscriptionsContext,
  type SubscriptionsEmitted,
  type SubscriptionsEvent,
  type SubscriptionsInput,
} from '../../../machines/subscriptions.machine.ts';
import { testLimits } from './connection-harness.ts';
import { SteppingClock } from './stepping-clock.ts';

/** What the child reports to its parent. */
export type ParentReport =
  | { type: 'subscriptions.synced'; gen: number; count: number; at: number }
  | { type: 'subscriptions.unresponsive'; gen: number; at: number };

/** A message the child handed to the transport. */
export type Sent =
  | { kind: 'control'; gen: number; request: PendingRequest; at: number }
  | { kind: 'pong'; gen: number; payload: string; at: number };

export class SubscriptionsHarness {
  readonly clock = new SteppingClock();
  readonly sent: Sent[] = [];
  readonly reports: ParentReport[] = [];
  readonly emitted: (SubscriptionsEmitted & { at: number })[] = [];
  readonly actor: Actor<ReturnType<typeof parentMachine>>;

  constructor(limits: Partial<SubscriptionsInput> = {}) {
    const child = subscriptionsMachine.provide({
      actions: {
        sendControl: (_, { gen, request }) => this.sent.push({ kind: 'control', gen, request, at: this.clock.now() }),
        sendPong: (_, { gen, payload }) => this.sent.push({ kind: 'pong', gen, payload, at: this.clock.now() }),
      },
    });
    this.actor = createActor(parentMachine(child, (r) => this.reports.push({ ...r, at: this.clock.now() } as ParentReport)), {
      input: testLimits(limits),
      clock: this.clock,
    });
    this.actor.start();
    this.actor.system.get('subscriptions')!.on('*', (e: SubscriptionsEmitted) => this.emitted.push({ ...e, at: this.clock.now() }));
  }

  send(event: SubscriptionsEvent): void {
    this.actor.system.get('subscriptions')!.send(event);
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  get context(): SubscriptionsContext {
    return this.actor.system.get('subscriptions')!.getSnapshot().context as SubscriptionsContext;
  }

  get value(): unknown {
    return this.actor.system.get('subscriptions')!.getSnapshot().value;
  }

  /** Control requests sent, in order. */
  get controls(): Extract<Sent, { kind: 'control' }>[] {
    return this.sent.filter((s): s is Extract<Sent, { kind: 'control' }> => s.kind === 'control');
  }

  /** The last control request sent. */
  get last(): Extract<Sent, { kind: 'control' }> {
    const last = this.controls.at(-1);
    if (!last) throw new Error('no control message sent');
    return last;
  }

  /** Acknowledges the last request sent (with its own generation by default). */
  ackLast(gen = this.last.gen): void {
    this.send({ type: 'control.ack', gen, id: this.last.request.id });
  }

  synced(): Extract<ParentReport, { type: 'subscriptions.synced' }>[] {
    return this.reports.filter((r): r is Extract<ParentReport, { type: 'subscriptions.synced' }> => r.type === 'subscriptions.synced');
  }

  unresponsive(): Extract<ParentReport, { type: 'subscriptions.unresponsive' }>[] {
    return this.reports.filter((r): r is Extract<ParentReport, { type: 'subscriptions.unresponsive' }> => r.type === 'subscriptions.unresponsive');
  }
}

type Report = Omit<ParentReport, 'at'>;

function parentMachine(child: typeof subscriptionsMachine, record: (r: Report) => void) {
  return setup({
    types: {
      input: {} as SubscriptionsInput,
      context: {} as { limits: SubscriptionsInput },
      events: {} as { type: 'subscriptions.synced'; gen: number; count: number } | { type: 'subscriptions.unresponsive'; gen: number },
    },
    actors: { subscriptions: child },
    actions: { record: (_, r: Report) => record(r) },
  }).createMachine({
    context: ({ input }) => ({ limits: input }),
    invoke: { id: 'subscriptions', systemId: 'subscriptions', src: 'subscriptions', input: ({ context }) => context.limits },
    on: {
      'subscriptions.synced': { actions: { type: 'record', params: ({ event }) => event } },
      'subscriptions.unresponsive': { actions: { type: 'record', params: ({ event }) => event } },
    },
  });
}
