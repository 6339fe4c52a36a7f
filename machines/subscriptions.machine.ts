/**
 * Subscription set of one connection: the streams the user wants (desired) versus the streams the server has
 * confirmed, the requests in flight, and the outgoing control-message budget. It replays the whole desired set
 * on every new socket, batches changes into as few messages as possible, isolates a stream the server rejects
 * (a failed batch is retried one stream per message), and never sends more than `controlPerSecond` messages
 * (pongs included) in any one-second window. Venue-neutral: the provider turns requests into wire messages.
 */
import { assign, emit, enqueueActions, raise, sendParent, setup, stateIn } from 'xstate';
import { minus, sameSet, union } from './lib/sets.ts';

/** A control request in flight. */
export interface PendingRequest {
  readonly id: number;
  readonly op: 'subscribe' | 'unsubscribe';
  readonly streams: readonly string[];
  /** Streams of this request the server has acknowledged one by one (venues without request ids). */
  readonly acked: readonly string[];
}

/** Limits of the venue. */
export interface SubscriptionsInput {
  /** Control messages per second the server tolerates (Binance: 5, pings and pongs included). */
  readonly controlPerSecond: number;
  /** A request unanswered for this long means the peer is unresponsive. */
  readonly ackTimeoutMs: number;
  /** Most streams named in one control message. */
  readonly maxStreamsPerMessage: number;
  /** Streams wanted from the start. */
  readonly initial?: readonly string[];
}

export interface SubscriptionsContext {
  readonly limits: SubscriptionsInput;
  readonly desired: readonly string[];
  readonly confirmed: readonly string[];
  /** Streams the server refused; removed from `desired` and reported, never retried. */
  readonly rejected: readonly string[];
  /** Streams to subscribe one per message, after a batch containing them failed. */
  readonly isolate: readonly string[];
  readonly pending: readonly PendingRequest[];
  readonly pongs: readonly { readonly gen: number; readonly payload: string }[];
  /** Socket generation the set is synchronised with; null while offline. */
  readonly gen: number | null;
  readonly nextId: number;
  /** Whether `subscriptions.synced` was reported for the current state of the set. */
  readonly reportedSynced: boolean;
  /** Control messages sent so far (all sockets). */
  readonly sent: number;
}

/** Events the subscription set accepts. */
export type SubscriptionsEvent =
  | { type: 'subscriptions.add'; streams: readonly string[] }
  | { type: 'subscriptions.remove'; streams: readonly string[] }
  | { type: 'connection.ready'; gen: number }
  | { type: 'connection.down' }
  | { type: 'control.ack'; gen: number; id: number }
  | { type: 'control.error'; gen: number; id: number | null; code: number; message: string }
  | { type: 'control.streamAcked'; gen: number; op: 'subscribe' | 'unsubscribe'; stream: string }
  | { type: 'control.streamRejected'; gen: number; stream: string; code: number; message: string }
  | { type: 'ping.received'; gen: number; payload: string }
  /** Internal: an answer arrived, so the unresponsive-peer timer starts again. */
  | { type: 'acks.progress' };

/** Facts emitted to listeners. */
export type SubscriptionsEmitted =
  | { type: 'subscription.rejected'; stream: string; code: number; message: string }
  | { type: 'subscriptions.changed'; confirmed: readonly string[] };

/** What one send decision produces. */
type Outgoing =
  | { kind: 'pong'; gen: number; payload: string }
  | { kind: 'request'; gen: number; request: PendingRequest };

/** The next message to send, or undefined when the set is in sync and no pong is owed. */
export const nextOutgoing = (c: SubscriptionsContext): Outgoing | undefined => {
  if (c.gen === null) return undefined;
  const pong = c.pongs[0];
  if (pong) return { kind: 'pong', gen: pong.gen, payload: pong.payload };
  const inFlight = (op: PendingRequest['op']) => c.pending.filter((p) => p.op === op).flatMap((p) => p.streams);
  const pendingSub = inFlight('subscribe');
  const pendingUnsub = inFlight('unsubscribe');
  const unsubscribe = minus(union(c.confirmed, pendingSub), c.desired, pendingUnsub);
  if (unsubscribe.length > 0) {
    return { kind: 'request', gen: c.gen, request: { id: c.nextId, op: 'unsubscribe', streams: unsubscribe.slice(0, c.limits.maxStreamsPerMessage), acked: [] } };
  }
  const missing = minus(c.desired, c.confirmed, pendingSub);
  const single = missing.find((s) => c.isolate.includes(s));
  if (single !== undefined) {
    return { kind: 'request', gen: c.gen, request: { id: c.nextId, op: 'subscribe', streams: [single], acked: [] } };
  }
  if (missing.length > 0) {
    return { kind: 'request', gen: c.gen, request: { id: c.nextId, op: 'subscribe', streams: missing.slice(0, c.limits.maxStreamsPerMessage), acked: [] } };
  }
  return undefined;
};

/** True when the server holds exactly the desired set and nothing is in flight. */
export const isSynced = (c: SubscriptionsContext): boolean =>
  c.gen !== null && c.pending.length === 0 && sameSet(c.confirmed, c.desired);

/** Context for a new socket: it knows no stream. Pongs are kept: they answer a socket that may still be open. */
const resetForSocket = ({ event }: { event: SubscriptionsEvent }): Partial<SubscriptionsContext> =>
  event.type === 'connection.ready' ? { gen: event.gen, pending: [], confirmed: [], reportedSynced: false } : {};

const applyAck = (c: SubscriptionsContext, req: PendingRequest, streams: readonly string[]): Partial<SubscriptionsContext> => ({
  confirmed: req.op === 'subscribe' ? union(c.confirmed, streams) : minus(c.confirmed, streams),
  isolate: req.op === 'subscribe' ? minus(c.isolate, streams) : c.isolate,
});

/** The subscription-set machine. `sendControl` and `sendPong` are provided by the transport. */
export const subscriptionsMachine = setup({
  types: {
    context: {} as SubscriptionsContext,
    events: {} as SubscriptionsEvent,
    input: {} as SubscriptionsInput,
    emitted: {} as SubscriptionsEmitted,
  },
  actions: {
    sendControl: (_, _params: { gen: number; request: PendingRequest }) => {},
    sendPong: (_, _params: { gen: number; payload: string }) => {},
  },
  guards: {
    hasWork: ({ context }) => nextOutgoing(context) !== undefined,
    isCurrent: ({ context, event }) => 'gen' in event && event.gen === context.gen,
    syncedUnreported: ({ context }) => !context.reportedSynced && isSynced(context),
    hasPending: ({ context }) => context.pending.length > 0,
  },
  delays: {
    // Strict spacing: with gaps of more than 1000/limit ms, no one-second window holds more than `limit` sends.
    gap: ({ context }) => Math.floor(1000 / context.limits.controlPerSecond) + 10,
    ackTimeout: ({ context }) => context.limits.ackTimeoutMs,
  },
}).createMachine({
  id: 'subscriptions',
  context: ({ input }) => ({
    limits: input,
    desired: [...new Set(input.initial ?? [])],
    confirmed: [],
    rejected: [],
    isolate: [],
    pending: [],
    pongs: [],
    gen: null,
    nextId: 1,
    reportedSynced: false,
    sent: 0,
  }),
  on: {
    'subscriptions.add': {
      actions: assign(({ context, event }) => {
        const added = minus(event.streams, context.desired);
        return added.length ? { desired: union(context.desired, added), rejected: minus(context.rejected, added), reportedSynced: false } : {};
      }),
    },
    'subscriptions.remove': {
      actions: assign(({ context, event }) => {
        // Removing streams the set does not want changes nothing, and must not report the same sync again.
        const desired = minus(context.desired, event.streams);
        return desired.length < context.desired.length
          ? { desired, isolate: minus(context.isolate, event.streams), reportedSynced: false } : {};
      }),
    },
    'connection.down': {
      target: '.offline',
      actions: assign({ gen: null, pending: [], confirmed: [], pongs: [], reportedSynced: false }),
    },
    'connection.ready': [
      // The socket the set is already synchronised with (a rotation was abandoned): the server still holds what it
      // confirmed and answers what is in flight, so keep both; a replay would lose track of requests in flight.
      { guard: 'isCurrent' },
      {
        // A message may have just gone to a socket that stays open (the old one of a rotation): keep the spacing.
        guard: stateIn('#subscriptions.online.sender.cooling'),
        target: '.online.sender.cooling',
        reenter: true,
        actions: assign(resetForSocket),
      },
      // A new socket knows no stream: replay everything from scratch. Answers meant for the old socket are ignored.
      { target: '.online', reenter: true, actions: assign(resetForSocket) },
    ],
  },
  initial: 'offline',
  states: {
    offline: {},
    online: {
      type: 'parallel',
      on: {
        'ping.received': {
          actions: assign(({ context, event }) => ({ pongs: [...context.pongs, { gen: event.gen, payload: event.payload }] })),
        },
        'control.ack': {
          guard: 'isCurrent',
          actions: [
            assign(({ context, event }) => {
              const req = context.pending.find((p) => p.id === event.id);
              if (!req) return {};
              return { ...applyAck(context, req, req.streams), pending: context.pending.filter((p) => p !== req) };
            }),
            raise({ type: 'acks.progress' }),
          ],
        },
        'control.streamAcked': {
          guard: 'isCurrent',
          actions: [
            assign(({ context, event }) => {
            const req = context.pending.find((p) => p.op === event.op && p.streams.includes(event.stream) && !p.acked.includes(event.stream));
            if (!req) return {};
            const acked = [...req.acked, event.stream];
            const done = acked.length === req.streams.length;
            const pending = done ? context.pending.filter((p) => p !== req) : context.pending.map((p) => (p === req ? { ...p, acked } : p));
            return { ...applyAck(context, req, [event.stream]), pending };
          }),
            raise({ type: 'acks.progress' }),
          ],
        },
        'control.error': {
          guard: 'isCurrent',
          actions: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'control.error') return;
            // Venues answer an error with the request id; a null id can only be matched when one request is in flight.
            const req = context.pending.find((p) => p.id === event.id) ?? (context.pending.length === 1 ? context.pending[0] : undefined);
            if (!req) return;
            const pending = context.pending.filter((p) => p !== req);
            if (req.op === 'unsubscribe') {
              enqueue.assign({ pending, confirmed: minus(context.confirmed, req.streams) });
            } else if (req.streams.length > 1) {
              // A failed batch says nothing about which stream is bad: retry each stream alone.
              enqueue.assign({ pending, isolate: union(context.isolate, req.streams) });
            } else {
              enqueue.assign({ pending, rejected: union(context.rejected, req.streams), desired: minus(context.desired, req.streams), isolate: minus(context.isolate, req.streams) });
              for (const stream of req.streams) enqueue.emit({ type: 'subscription.rejected', stream, code: event.code, message: event.message });
            }
          }),
        },
        'control.streamRejected': {
          guard: 'isCurrent',
          actions: [
            assign(({ context, event }) => ({
              // Drop the stream from its request; a request with nothing left to wait for is done.
              pending: context.pending
                .map((p) => ({ ...p, streams: p.streams.filter((s) => s !== event.stream) }))
                .filter((p) => p.streams.some((s) => !p.acked.includes(s))),
              rejected: union(context.rejected, [event.stream]),
              desired: minus(context.desired, [event.stream]),
              isolate: minus(context.isolate, [event.stream]),
            })),
            emit(({ event }) => ({ type: 'subscription.rejected' as const, stream: event.stream, code: event.code, message: event.message })),
          ],
        },
      },
      states: {
        sender: {
          initial: 'ready',
          states: {
            ready: {
              always: {
                guard: 'hasWork',
                target: 'cooling',
                actions: enqueueActions(({ context, enqueue }) => {
                  const out = nextOutgoing(context);
                  if (!out) return;
                  if (out.kind === 'pong') {
                    enqueue.assign({ pongs: context.pongs.slice(1), sent: context.sent + 1 });
                    enqueue({ type: 'sendPong', params: { gen: out.gen, payload: out.payload } });
                    return;
                  }
                  enqueue.assign({ pending: [...context.pending, out.request], nextId: context.nextId + 1, sent: context.sent + 1, reportedSynced: false });
                  enqueue({ type: 'sendControl', params: { gen: out.gen, request: out.request } });
                }),
              },
            },
            cooling: { after: { gap: 'ready' } },
          },
        },
        acks: {
          initial: 'clear',
          states: {
            clear: { always: { guard: 'hasPending', target: 'awaiting' } },
            awaiting: {
              always: { guard: ({ context }) => context.pending.length === 0, target: 'clear' },
              // Handling the answers themselves here would shadow the handlers on `online` (XState picks the
              // deepest transition), so answers raise `acks.progress` instead.
              on: {
                'acks.progress': { target: 'awaiting', reenter: true },
                // The same socket again (an abandoned rotation): its unresponsive report may have come while the
                // parent was busy rotating and been dropped, so the wait for an answer starts over.
                'connection.ready': { guard: 'isCurrent', target: 'awaiting', reenter: true },
              },
              after: { ackTimeout: { actions: sendParent(({ context }) => ({ type: 'subscriptions.unresponsive', gen: context.gen ?? -1 })) } },
            },
          },
        },
        report: {
          always: {
            guard: 'syncedUnreported',
            actions: [
              assign({ reportedSynced: true }),
              sendParent(({ context }) => ({ type: 'subscriptions.synced', gen: context.gen ?? -1, count: context.confirmed.length })),
              emit(({ context }) => ({ type: 'subscriptions.changed' as const, confirmed: context.confirmed })),
            ],
          },
        },
      },
    },
  },
});
