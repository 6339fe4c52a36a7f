/**
 * Lifecycle of one exchange connection (a shard of a provider's pool): connect, optional handshake, open,
 * reconnect with bounded exponential backoff and jitter, stale-stream watchdog, planned rotation (a new socket
 * is opened and resubscribed before the old one is closed), and fatal failure. The machine owns the
 * subscription set as a child (`subscriptions`) and tells it when a socket is ready or gone.
 *
 * Pure: sockets are opened, closed and handshaken by named actions that the transport provides, and the
 * transport reports back with `socket.*` events tagged with the socket generation `gen`, so an event from a
 * socket that is no longer current can never move the machine.
 */
import { and, assign, emit, enqueueActions, not, sendTo, setup } from 'xstate';
import type { ConnectionState } from '../src/domain/connection.ts';
import type { ErrorCode } from '../src/errors.ts';
import { backoffDelay } from './lib/backoff.ts';
import { nextRandom } from './lib/random.ts';
import { subscriptionsMachine, type SubscriptionsInput } from './subscriptions.machine.ts';

/** Timing and retry policy of a connection. Every field is in ms unless named otherwise. */
export interface ConnectionPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Fraction of each backoff delay cut at random (0..1). */
  readonly jitter: number;
  /** Consecutive attempts that fail to reach `open` before giving up; 0 retries for ever. */
  readonly maxAttempts: number;
  /** An open connection that lasts this long resets the attempt counter. */
  readonly healthyAfterMs: number;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  /** No frame for this long while streams are confirmed: the stream is stale, reconnect. */
  readonly staleAfterMs: number;
  /** No frame at all (not even a ping) for this long with no stream: the peer is dead, reconnect. */
  readonly idleTimeoutMs: number;
  /** Rotate proactively after this connection age (Binance cuts at 24 h); 0 never. */
  readonly maxAgeMs: number;
  /** Whether the venue needs a handshake (authentication) after the socket opens. */
  readonly handshake: boolean;
}

/** Input of the connection machine. */
export interface ConnectionInput {
  readonly policy: ConnectionPolicy;
  readonly subscriptions: SubscriptionsInput;
  /** Seed of the jitter generator (reproducible backoff in tests). */
  readonly seed: number;
}

/** A fatal or last error, as plain data. */
export interface ConnectionFailure {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ConnectionContext {
  readonly policy: ConnectionPolicy;
  readonly rng: number;
  /** Reconnects since the last healthy period: drives the backoff growth (a flapping link backs off). */
  readonly attempt: number;
  /** Consecutive attempts that failed to reach `open`: what `maxAttempts` limits (a flapping link never gives up). */
  readonly failures: number;
  readonly lastDelayMs: number;
  /** Generation of the current socket (opening or open); the one whose events move the machine. */
  readonly gen: number;
  /** Highest generation ever allocated: generations are never reused, so late events of a dead socket are ignored. */
  readonly seq: number;
  readonly subscriptions: SubscriptionsInput;
  /** Generation of the old socket kept streaming during a rotation, or null. */
  readonly draining: number | null;
  /** True once streams are confirmed, so silence means a stale stream rather than an idle socket. */
  readonly expectData: boolean;
  readonly everConnected: boolean;
  readonly lastReason: string | null;
  readonly failure: ConnectionFailure | null;
  readonly reconnects: number;
  readonly rotations: number;
}

/** Events accepted from the provider and the transport. */
export type ConnectionEvent =
  | { type: 'connection.start' }
  | { type: 'connection.stop' }
  | { type: 'connection.rotate' }
  | { type: 'connection.fatal'; code: ErrorCode; message: string }
  | { type: 'socket.opened'; gen: number }
  | { type: 'socket.closed'; gen: number; code: number; reason: string }
  | { type: 'socket.activity'; gen: number }
  | { type: 'server.shutdown'; gen: number }
  | { type: 'handshake.succeeded'; gen: number }
  | { type: 'handshake.failed'; gen: number; fatal: boolean; code: ErrorCode; message: string; reason?: string }
  | { type: 'subscriptions.synced'; gen: number; count: number }
  | { type: 'subscriptions.unresponsive'; gen: number };

/** Facts emitted to listeners. */
export type ConnectionEmitted =
  | { type: 'connection.state'; state: ConnectionState; gen: number; reason: string | null; attempt: number }
  | { type: 'connection.reconnecting'; reason: string; attempt: number; delayMs: number }
  | { type: 'connection.rotated'; from: number; to: number }
  | { type: 'connection.failed'; code: ErrorCode; message: string };

/** Maps a close code to the reason recorded for the reconnect. */
export const closeReason = (code: number, reason: string): string =>
  code === 1008 ? 'rate_limited' : code === 1001 ? 'server_going_away' : code === 1006 ? 'abnormal_closure' : `closed_${code}${reason ? `:${reason}` : ''}`;

const isCurrent = ({ context, event }: { context: ConnectionContext; event: ConnectionEvent }) =>
  'gen' in event && event.gen === context.gen;
const isDraining = ({ context, event }: { context: ConnectionContext; event: ConnectionEvent }) =>
  'gen' in event && context.draining !== null && event.gen === context.draining;

/** The connection machine. Provide `openSocket`, `closeSocket` and `startHandshake` (and the subscriptions' actions). */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: { subscriptions: subscriptionsMachine },
  actions: {
    openSocket: (_, _params: { gen: number }) => {},
    closeSocket: (_, _params: { gen: number; code: number; reason: string }) => {},
    startHandshake: (_, _params: { gen: number }) => {},
    beginRotation: assign(({ context }) => ({ draining: context.gen, rotations: context.rotations + 1, lastReason: 'rotation' })),
    // The replacement socket failed: keep streaming on the old one (its subscriptions are replayed, idempotently).
    abandonRotation: assign(({ context }) => ({ gen: context.draining ?? context.gen, draining: null })),
  },
  guards: {
    isCurrent,
    isDraining,
    needsHandshake: ({ context }) => context.policy.handshake,
    rotating: ({ context }) => context.draining !== null,
    exhausted: ({ context }) => context.policy.maxAttempts > 0 && context.failures > context.policy.maxAttempts,
    rotateByAge: ({ context }) => context.policy.maxAgeMs > 0,
  },
  delays: {
    backoff: ({ context }) => context.lastDelayMs,
    connectTimeout: ({ context }) => context.policy.connectTimeoutMs,
    handshakeTimeout: ({ context }) => context.policy.handshakeTimeoutMs,
    healthy: ({ context }) => context.policy.healthyAfterMs,
    watchdog: ({ context }) => (context.expectData ? context.policy.staleAfterMs : context.policy.idleTimeoutMs),
    // A disabled age limit still needs a finite delay; the guard keeps it from firing anything.
    maxAge: ({ context }) => (context.policy.maxAgeMs > 0 ? context.policy.maxAgeMs : 2 ** 31 - 1),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    policy: input.policy,
    rng: input.seed >>> 0,
    attempt: 0,
    failures: 0,
    lastDelayMs: 0,
    gen: 0,
    seq: 0,
    subscriptions: input.subscriptions,
    draining: null,
    expectData: false,
    everConnected: false,
    lastReason: null,
    failure: null,
    reconnects: 0,
    rotations: 0,
  }),
  invoke: { id: 'subscriptions', systemId: 'subscriptions', src: 'subscriptions', input: ({ context }) => context.subscriptions },
  initial: 'idle',
  on: {
    'connection.stop': { target: '.closed' },
    'connection.fatal': {
      target: '.failed',
      actions: assign(({ event }) => ({ failure: { code: event.code, message: event.message } })),
    },
    // The old socket of a rotation may be cut by the server at any time; that is expected, not a failure.
    'socket.closed': { guard: 'isDraining', actions: assign({ draining: null }) },
  },
  states: {
    idle: {
      entry: emit(({ context }) => ({ type: 'connection.state' as const, state: 'disconnected' as const, gen: context.gen, reason: null, attempt: 0 })),
      on: { 'connection.start': 'connecting' },
    },
    connecting: {
      entry: [
        assign(({ context }) => ({ seq: context.seq + 1, gen: context.seq + 1 })),
        { type: 'openSocket', params: ({ context }) => ({ gen: context.gen }) },
        emit(({ context }) => ({
          type: 'connection.state' as const,
          state: context.draining !== null ? ('connected' as const) : context.everConnected || context.attempt > 0 ? ('reconnecting' as const) : ('connecting' as const),
          gen: context.gen, reason: context.lastReason, attempt: context.attempt,
        })),
      ],
      on: {
        'socket.opened': [
          { guard: and(['isCurrent', 'needsHandshake']), target: 'handshaking' },
          { guard: 'isCurrent', target: 'open' },
        ],
        'socket.closed': [
          { guard: ({ context, event }) => isCurrent({ context, event }) && context.draining !== null, target: 'open', actions: [{ type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'rotation_abandoned' }) }, 'abandonRotation'] },
          { guard: 'isCurrent', target: 'backoff', actions: assign(({ event }) => ({ lastReason: closeReason(event.code, event.reason) })) },
        ],
      },
      after: {
        connectTimeout: [
          { guard: 'rotating', target: 'open', actions: [{ type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'rotation_abandoned' }) }, 'abandonRotation'] },
          { target: 'backoff', actions: assign({ lastReason: 'connect_timeout' }) },
        ],
      },
    },
    handshaking: {
      entry: { type: 'startHandshake', params: ({ context }) => ({ gen: context.gen }) },
      on: {
        'handshake.succeeded': { guard: 'isCurrent', target: 'open' },
        'handshake.failed': [
          {
            guard: ({ context, event }) => isCurrent({ context, event }) && event.fatal,
            target: 'failed',
            actions: assign(({ event }) => ({ failure: { code: event.code, message: event.message } })),
          },
          { guard: ({ context, event }) => isCurrent({ context, event }) && context.draining !== null, target: 'open', actions: [{ type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'rotation_abandoned' }) }, 'abandonRotation'] },
          { guard: 'isCurrent', target: 'backoff', actions: assign(({ event }) => ({ lastReason: `handshake_failed:${event.reason ?? event.code}` })) },
        ],
        'socket.closed': [
          { guard: ({ context, event }) => isCurrent({ context, event }) && context.draining !== null, target: 'open', actions: [{ type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'rotation_abandoned' }) }, 'abandonRotation'] },
          { guard: 'isCurrent', target: 'backoff', actions: assign(({ event }) => ({ lastReason: closeReason(event.code, event.reason) })) },
        ],
      },
      after: {
        handshakeTimeout: [
          { guard: 'rotating', target: 'open', actions: [{ type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'rotation_abandoned' }) }, 'abandonRotation'] },
          { target: 'backoff', actions: assign({ lastReason: 'handshake_timeout' }) },
        ],
      },
    },
    open: {
      entry: [
        assign({ everConnected: true, failures: 0 }),
        sendTo('subscriptions', ({ context }) => ({ type: 'connection.ready' as const, gen: context.gen })),
        emit(({ context }) => ({ type: 'connection.state' as const, state: 'connected' as const, gen: context.gen, reason: null, attempt: context.attempt })),
      ],
      after: {
        healthy: { actions: assign({ attempt: 0, lastDelayMs: 0 }) },
        maxAge: { guard: and(['rotateByAge', not('rotating')]), target: 'connecting', actions: 'beginRotation' },
      },
      on: {
        // One rotation at a time: a second one would overwrite `draining` and orphan the old socket (three live).
        'server.shutdown': { guard: and(['isCurrent', not('rotating')]), target: 'connecting', actions: 'beginRotation' },
        'connection.rotate': { guard: not('rotating'), target: 'connecting', actions: 'beginRotation' },
        'subscriptions.synced': [
          {
            guard: ({ context, event }) => isCurrent({ context, event }) && context.draining !== null,
            // Re-entering `watching` re-arms the watchdog with the delay that fits the new `expectData`.
            target: '.watching',
            actions: [
              assign(({ event }) => ({ expectData: event.count > 0 })),
              // Rotation completes only once the new socket carries every stream: then the old one may go.
              { type: 'closeSocket', params: ({ context }) => ({ gen: context.draining ?? -1, code: 1000, reason: 'rotated' }) },
              emit(({ context }) => ({ type: 'connection.rotated' as const, from: context.draining ?? -1, to: context.gen })),
              assign({ draining: null }),
            ],
          },
          { guard: 'isCurrent', target: '.watching', actions: assign(({ event }) => ({ expectData: event.count > 0 })) },
        ],
        'subscriptions.unresponsive': { guard: 'isCurrent', target: 'backoff', actions: assign({ lastReason: 'control_timeout' }) },
        'socket.closed': { guard: 'isCurrent', target: 'backoff', actions: assign(({ event }) => ({ lastReason: closeReason(event.code, event.reason) })) },
      },
      initial: 'watching',
      states: {
        watching: {
          on: { 'socket.activity': { guard: 'isCurrent', target: 'watching', reenter: true } },
          after: { watchdog: { target: '#connection.backoff', actions: assign(({ context }) => ({ lastReason: context.expectData ? 'stale' : 'idle_timeout' })) } },
        },
      },
    },
    backoff: {
      entry: [
        { type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 4000, reason: context.lastReason ?? 'reconnect' }) },
        enqueueActions(({ context, enqueue }) => {
          if (context.draining !== null) enqueue({ type: 'closeSocket', params: { gen: context.draining, code: 4000, reason: context.lastReason ?? 'reconnect' } });
        }),
        assign({ draining: null }),
        sendTo('subscriptions', { type: 'connection.down' as const }),
        assign(({ context }) => {
          const draw = nextRandom(context.rng);
          const delay = backoffDelay(context.policy, context.attempt, context.lastDelayMs, draw.value);
          return { rng: draw.state, attempt: context.attempt + 1, failures: context.failures + 1, lastDelayMs: delay, reconnects: context.reconnects + 1, expectData: false };
        }),
        enqueueActions(({ context, enqueue, check }) => {
          // The attempt that exhausts the budget is never made: announce only reconnects that will happen.
          if (check('exhausted')) return;
          enqueue.emit({ type: 'connection.reconnecting', reason: context.lastReason ?? 'unknown', attempt: context.attempt, delayMs: context.lastDelayMs });
          enqueue.emit({ type: 'connection.state', state: 'reconnecting', gen: context.gen, reason: context.lastReason, attempt: context.attempt });
        }),
      ],
      always: {
        guard: 'exhausted',
        target: 'failed',
        actions: assign(({ context }) => ({
          failure: { code: 'CONNECTION_FAILED', message: `gave up after ${context.policy.maxAttempts} reconnect attempts (last: ${context.lastReason ?? 'unknown'})` },
        })),
      },
      after: { backoff: 'connecting' },
    },
    failed: {
      entry: [
        { type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'failed' }) },
        enqueueActions(({ context, enqueue }) => {
          if (context.draining !== null) enqueue({ type: 'closeSocket', params: { gen: context.draining, code: 1000, reason: 'failed' } });
        }),
        assign({ draining: null }),
        sendTo('subscriptions', { type: 'connection.down' as const }),
        emit(({ context }) => ({ type: 'connection.failed' as const, code: context.failure?.code ?? 'CONNECTION_FAILED', message: context.failure?.message ?? 'failed' })),
        emit(({ context }) => ({ type: 'connection.state' as const, state: 'disconnected' as const, gen: context.gen, reason: context.failure?.code ?? null, attempt: context.attempt })),
      ],
      on: { 'connection.start': { target: 'connecting', actions: assign({ attempt: 0, failures: 0, lastDelayMs: 0, failure: null, everConnected: false, lastReason: null }) } },
    },
    closed: {
      entry: [
        { type: 'closeSocket', params: ({ context }) => ({ gen: context.gen, code: 1000, reason: 'client_close' }) },
        enqueueActions(({ context, enqueue }) => {
          if (context.draining !== null) enqueue({ type: 'closeSocket', params: { gen: context.draining, code: 1000, reason: 'client_close' } });
        }),
        assign({ draining: null }),
        sendTo('subscriptions', { type: 'connection.down' as const }),
        emit(({ context }) => ({ type: 'connection.state' as const, state: 'disconnected' as const, gen: context.gen, reason: 'closed', attempt: 0 })),
      ],
      on: { 'connection.start': { target: 'connecting', actions: assign({ attempt: 0, failures: 0, lastDelayMs: 0, everConnected: false, lastReason: null }) } },
    },
  },
});
