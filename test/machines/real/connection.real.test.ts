/**
 * The connection and subscription-set machines' own paths, run against the real system: the Binance provider, real sockets through a
 * fault proxy, and the Binance simulator. Paths are planned from the machine's graph; each one runs on a fresh
 * system, the real connection actor's state sequence must equal the path, the bars delivered must be the
 * simulator's, and the run's coverage (with the subscription set seen as a child) is reported.
 */
import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { connectionMachine, type ConnectionContext, type ConnectionInput } from '../../../machines/connection.machine.ts';
import { Coverage } from '../../support/machine-paths/coverage.ts';
import { withoutParent } from '../../support/machine-paths/graph.ts';
import { describePath, planPaths, runPath, type PlannedPath } from '../../support/machine-paths/paths.ts';
import { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { subscriptionsMachine, type SubscriptionsContext } from '../../../machines/subscriptions.machine.ts';
import { binanceDriver, holdsReplies, STREAM, SYMBOL } from './binance-driver.ts';
import { POLYGON_STREAM, polygonDriver } from './polygon-driver.ts';

const input: ConnectionInput = {
  seed: 7,
  policy: {
    baseDelayMs: 20, maxDelayMs: 40, jitter: 0.5, maxAttempts: 1, healthyAfterMs: 50, connectTimeoutMs: 10_000, handshakeTimeoutMs: 10_000,
    staleAfterMs: 300, idleTimeoutMs: 75_000, maxAgeMs: 400, handshake: false,
  },
  subscriptions: { controlPerSecond: 5, ackTimeoutMs: 10_000, maxStreamsPerMessage: 200, initial: [STREAM] },
};

const c = (s: AnyMachineSnapshot) => s.context as ConnectionContext;
const timer = (s: AnyMachineSnapshot, delay: string): EventObject[] =>
  s._nodes.flatMap((n) => n.after.filter((t) => t.eventType.startsWith(`xstate.after.${delay}.`)).map((t) => ({ type: t.eventType })));

/** What can happen next in the real system, in each state: what the driver causes, and what the system does itself. */
const events = (s: AnyMachineSnapshot): EventObject[] => {
  const { gen, draining, expectData } = c(s);
  const rotating = draining !== null;
  if (s.matches('idle')) return [{ type: 'connection.start' }, { type: 'connection.stop' }];
  if (s.matches('connecting')) {
    return [
      { type: 'socket.opened', gen } as EventObject,
      { type: 'socket.closed', gen, code: 1006, reason: '' } as EventObject,
      ...timer(s, 'connectTimeout'),
      ...(rotating ? [{ type: 'socket.closed', gen: draining, code: 1006, reason: '' } as EventObject] : [{ type: 'connection.stop' }]),
    ];
  }
  if (s.matches('open')) {
    // A fresh socket is resubscribed at once: the set's answer (or its silence) comes before anything else.
    if (!expectData || rotating) {
      return [{ type: 'subscriptions.synced', gen, count: 1 } as EventObject, ...(rotating ? [] : [{ type: 'subscriptions.unresponsive', gen } as EventObject])];
    }
    return [
      { type: 'socket.activity', gen } as EventObject,
      { type: 'socket.closed', gen, code: 1006, reason: '' } as EventObject,
      { type: 'server.shutdown', gen } as EventObject,
      { type: 'connection.rotate' },
      { type: 'connection.stop' },
      ...timer(s, 'watchdog'), ...timer(s, 'maxAge'), ...timer(s, 'healthy'),
    ];
  }
  if (s.matches('backoff')) return timer(s, 'backoff');
  return [];
};

const serializeState = (s: AnyMachineSnapshot): string =>
  JSON.stringify({ value: s.value, rotating: c(s).draining !== null, failures: c(s).failures, failed: c(s).failure !== null, expectData: c(s).expectData });

/** The Massive connection: it authenticates in `handshaking` (the policy's `handshake`), like the Polygon provider's. */
const massiveInput: ConnectionInput = {
  ...input, policy: { ...input.policy, maxAttempts: 3, healthyAfterMs: 600_000, maxAgeMs: 0, staleAfterMs: 180_000, handshake: true },
  subscriptions: { ...input.subscriptions, initial: [POLYGON_STREAM] },
};

/**
 * What happens next to a real Massive connection: the handshake succeeds, fails for good (a key refused), fails for
 * a retry (an `auth_timeout`), times out on the client's own timer or loses its socket; an open connection may be rotated (whose new handshake then
 * fails: the old socket stays), evicted by `max_connections`, and after one eviction evicted fatally.
 */
const massiveEvents = (s: AnyMachineSnapshot): EventObject[] => {
  const { gen, draining, expectData, failures, lastReason } = c(s);
  const rotating = draining !== null;
  if (s.matches('idle')) return [{ type: 'connection.start' }];
  if (s.matches('connecting')) return [{ type: 'socket.opened', gen } as EventObject];
  if (s.matches('handshaking')) {
    // A retry: the server's `auth_timeout`, the socket lost, or the client's own timer (an auth left unanswered).
    const retry = [{ type: 'handshake.failed', gen, fatal: false, code: 'auth_timeout', message: 'auth timeout' } as EventObject,
      { type: 'socket.closed', gen, code: 1006, reason: '' } as EventObject, ...timer(s, 'handshakeTimeout')];
    if (rotating) return retry;
    return [{ type: 'handshake.succeeded', gen } as EventObject, ...(failures === 0 && !lastReason ? [
      { type: 'handshake.failed', gen, fatal: true, code: 'AUTHENTICATION_FAILED', message: 'authentication failed' } as EventObject, ...retry] : [])];
  }
  if (s.matches('open')) {
    if (!expectData) return [{ type: 'subscriptions.synced', gen, count: 1 } as EventObject];
    if (rotating) return [];
    if (lastReason?.includes('max_connections')) return [{ type: 'connection.fatal', code: 'CONNECTION_FAILED', message: 'evicted' } as EventObject];
    return lastReason ? [] : [{ type: 'connection.rotate' }, { type: 'socket.closed', gen, code: 4000, reason: 'max_connections' } as EventObject];
  }
  if (s.matches('backoff')) return timer(s, 'backoff');
  return [];
};

const serializeMassive = (s: AnyMachineSnapshot): string =>
  JSON.stringify({ value: s.value, rotating: c(s).draining !== null, failures: c(s).failures, failed: c(s).failure !== null, expectData: c(s).expectData, reason: c(s).lastReason ?? null });

const OTHER = 'ethusdt@kline_1m';
const sub = (s: AnyMachineSnapshot) => s.context as SubscriptionsContext;

/**
 * What happens next to the subscription set of a real Binance connection carrying two streams: the provider
 * connects (the set comes online) and then adds both streams; the simulator answers each request at once (or
 * refuses every request naming BTCUSDT, when `rejecting`); the spacing timer runs only once nothing is in flight,
 * except when `holding` (the simulator holds its answers until both requests are out);
 * in sync, the driver may remove the streams, drop the socket, or let a server ping arrive.
 */
const subscriptionEvents = (rejecting: boolean, holding = false) => (s: AnyMachineSnapshot): EventObject[] => {
  const c = sub(s);
  if (c.gen === null) return c.sent === 0 || c.desired.length > 0 ? [{ type: 'connection.ready', gen: c.sent + 1 } as EventObject] : [];
  // `subscribe()` adds one stream at a time: the first goes out alone, the second waits for the spacing.
  if (c.sent === 0 && c.desired.length === 0) return [{ type: 'subscriptions.add', streams: [STREAM] } as EventObject];
  if (c.sent === 1 && !c.desired.includes(OTHER) && c.confirmed.length === 0) return [{ type: 'subscriptions.add', streams: [OTHER] } as EventObject];
  const request = c.pending[0];
  // Holding (the simulator keeps its answers): the spacing runs out with the first request unanswered, so the
  // second goes out too.
  const unsent = c.desired.some((d) => !c.confirmed.includes(d) && !c.pending.some((p) => p.streams.includes(d)));
  if (holding && c.pending.length === 1 && unsent && s.matches({ online: { sender: 'cooling' } })) return timer(s, 'gap');
  if (request) {
    // Refusals are armed when the socket drops, so they hit the resubscription (one batch of both streams).
    const refused = rejecting && c.gen > 1 && request.op === 'subscribe' && request.streams.includes(STREAM);
    return [refused ? { type: 'control.error', gen: c.gen, id: request.id, code: -1100, message: 'Invalid request: invalid stream' } as EventObject
      : { type: 'control.ack', gen: c.gen, id: request.id } as EventObject];
  }
  if (s.matches({ online: { sender: 'cooling' } })) return timer(s, 'gap');
  if (c.pongs.length > 0) return [];
  // In sync: what the driver may do (or a ping may arrive); a second ping or removal would only repeat these.
  const synced = c.confirmed.length > 0 && c.sent <= 4;
  return synced ? [
    { type: 'subscriptions.remove', streams: [STREAM, OTHER] } as EventObject,
    { type: 'connection.down' },
    { type: 'ping.received', gen: c.gen, payload: 'cA==' } as EventObject,
  ] : [];
};

const serializeSubscriptions = (s: AnyMachineSnapshot): string => {
  const c = sub(s);
  return JSON.stringify({ value: s.value, d: c.desired, c: c.confirmed, r: c.rejected, i: c.isolate, p: c.pending.map((p) => [p.op, p.streams]), g: c.gen !== null, sent: c.sent, pongs: c.pongs.length, rs: c.reportedSynced });
};

const coverage = new Coverage([connectionMachine, subscriptionsMachine]);

const names = new Map<string, number>();
const walk = (path: PlannedPath, observe: 'connection' | 'subscriptions', symbols?: readonly string[], venue: 'binance' | 'massive' | 'massive-refusing' = 'binance') => {
  const name = `${venue === 'binance' ? '' : `${venue} `}${observe}: ${describePath(path)}`;
  const n = (names.get(name) ?? 0) + 1;
  names.set(name, n);
  it(`walks ${name}${n > 1 ? ` (variant ${n})` : ''}`, async () => {
    // A transition cover: a path runs only when it takes a transition no earlier real run has taken.
    const end = path.steps.at(-1)!.state._nodes.map((x) => x.id);
    if (venue !== 'massive-refusing' && (path.keys ?? []).every((k) => coverage.covered(observe, k)) && end.every((id) => coverage.reachedState(observe, id))) return;
    const recorder = new InspectionRecorder();
    try {
      const driver = venue === 'binance' ? binanceDriver(observe, symbols) : polygonDriver(observe, venue === 'massive-refusing');
      await runPath(path, driver as typeof driver & Parameters<typeof runPath>[1], recorder);
    } finally {
      coverage.add(recorder);
    }
  }, 40_000);
};

describe('connection and subscription-set paths against the Binance provider and simulator', () => {
  const connectionPaths = planPaths(connectionMachine, { input, events, serializeState });
  const subscriptionInput = { controlPerSecond: 5, ackTimeoutMs: 10_000, maxStreamsPerMessage: 200 };
  const subscriptionPaths = [false, true].flatMap((rejecting) =>
    planPaths(withoutParent(subscriptionsMachine), { input: subscriptionInput, events: subscriptionEvents(rejecting), serializeState: serializeSubscriptions })
      .filter((p) => !rejecting || p.steps.some((s) => s.event.type === 'control.error')));
  const heldPaths = planPaths(withoutParent(subscriptionsMachine), { input: subscriptionInput, events: subscriptionEvents(false, true), serializeState: serializeSubscriptions })
    .filter(holdsReplies);

  it('plans paths from the machine graphs', () => {
    expect(connectionPaths.length).toBeGreaterThan(10);
    expect(subscriptionPaths.length).toBeGreaterThan(5);
  });

  for (const path of connectionPaths) walk(path, 'connection');
  // Massive: one fault in the handshake per path (a swallowed auth either times out or is dropped, never both).
  const massivePaths = planPaths(connectionMachine, { input: massiveInput, events: massiveEvents, serializeState: serializeMassive })
    .filter((p) => p.steps.filter((st, i) => i > 0 && JSON.stringify(p.steps[i - 1]!.state.value) === '"handshaking"' && st.event.type !== 'handshake.succeeded').length <= 1);
  for (const path of massivePaths) walk(path, 'connection', undefined, 'massive');
  const streaming = massivePaths.find((p) => p.steps.at(-1)!.event.type === 'subscriptions.synced');
  if (streaming) walk(streaming, 'connection', undefined, 'massive-refusing');
  for (const path of [...subscriptionPaths, ...heldPaths]) walk(path, 'subscriptions', [SYMBOL, 'ETHUSDT']);

  it('reaches every state and transition of both machines, or says why not', () => {
    const { report, summary } = coverage.write('connection-subscriptions');
    for (const r of report) {
      expect(r.unexplained, summary).toEqual([]);
      expect(r.stale, summary).toEqual([]);
    }
  });
});
