/**
 * The connection machine's details through pure `transition()`: what each socket close and rotation fallback
 * tells the transport (generation, code, reason), the counters and reasons it keeps, the exact facts of a
 * reconnect and of giving up, and a disabled age limit that never rotates.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyEventObject } from 'xstate';
import { connectionMachine, type ConnectionEvent, type ConnectionPolicy } from '../../machines/connection.machine.ts';
import { testLimits, testPolicy } from './support/connection-harness.ts';

type Snapshot = ReturnType<typeof initialTransition<typeof connectionMachine>>[0];
type Action = { type: string; params?: unknown };

const begin = (policy: Partial<ConnectionPolicy> = {}): Snapshot =>
  initialTransition(connectionMachine, { policy: testPolicy(policy), subscriptions: testLimits(), seed: 7 })[0];
/** Folds events through the pure transition function, keeping the actions of the last step. */
const run = (from: Snapshot, events: readonly (ConnectionEvent | AnyEventObject)[]): { snapshot: Snapshot; actions: Action[] } => {
  let snapshot = from;
  let actions: Action[] = [];
  for (const event of events) [snapshot, actions] = transition(connectionMachine, snapshot, event as ConnectionEvent) as unknown as [Snapshot, Action[]];
  return { snapshot, actions };
};
const closes = (actions: readonly Action[]) => actions.filter((a) => a.type === 'closeSocket').map((a) => a.params);
const facts = (actions: readonly Action[]) =>
  actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: { type: string } }).event);
const delays = (actions: readonly Action[]) =>
  actions.filter((a) => a.type === 'xstate.raise' && (a.params as { delay?: number }).delay !== undefined)
    .map((a) => a.params as { id: string; delay: number });

const start: ConnectionEvent = { type: 'connection.start' };
const opened = (gen: number): ConnectionEvent => ({ type: 'socket.opened', gen });
const closed = (gen: number, code = 1006, reason = ''): ConnectionEvent => ({ type: 'socket.closed', gen, code, reason });
const rotate: ConnectionEvent = { type: 'connection.rotate' };
/** Open on socket 1, then a rotation in progress: socket 2 connecting, socket 1 draining. */
const rotating = (policy: Partial<ConnectionPolicy> = {}) => run(begin(policy), [start, opened(1), ...(policy.handshake ? [{ type: 'handshake.succeeded', gen: 1 } as const] : []), rotate]);

describe('connection details', () => {
  it('counts a rotation and reports it as the reason while still connected', () => {
    const { snapshot, actions } = rotating();
    expect(snapshot.context).toMatchObject({ rotations: 1, lastReason: 'rotation', gen: 2, draining: 1 });
    expect(facts(actions)).toEqual([{ type: 'connection.state', state: 'connected', gen: 2, reason: 'rotation', attempt: 0 }]);
  });

  it('keeps the draining socket when a socket of another generation closes during a rotation', () => {
    const { snapshot } = run(rotating().snapshot, [closed(99)]);
    expect(snapshot.context).toMatchObject({ gen: 2, draining: 1 });
    expect(snapshot.value).toBe('connecting');
  });

  it('forgets the draining socket when it is the one that closes', () => {
    const { snapshot } = run(rotating().snapshot, [closed(1)]);
    expect(snapshot.context).toMatchObject({ gen: 2, draining: null });
  });

  it('closes the replacement as rotation_abandoned when it closes before opening', () => {
    const { snapshot, actions } = run(rotating().snapshot, [closed(2)]);
    expect(snapshot.value).toEqual({ open: 'watching' });
    expect(closes(actions)).toEqual([{ gen: 2, code: 1000, reason: 'rotation_abandoned' }]);
  });

  it('closes the replacement as rotation_abandoned when its handshake fails or its socket closes', () => {
    const failed = run(rotating({ handshake: true }).snapshot, [opened(2), { type: 'handshake.failed', gen: 2, fatal: false, code: 'x', message: 'x' }]);
    expect(closes(failed.actions)).toEqual([{ gen: 2, code: 1000, reason: 'rotation_abandoned' }]);
    const cut = run(rotating({ handshake: true }).snapshot, [opened(2), closed(2)]);
    expect(cut.snapshot.value).toEqual({ open: 'watching' });
    expect(cut.snapshot.context).toMatchObject({ gen: 1, draining: null });
    expect(closes(cut.actions)).toEqual([{ gen: 2, code: 1000, reason: 'rotation_abandoned' }]);
    const slow = run(rotating({ handshake: true }).snapshot, [opened(2), { type: 'xstate.after.handshakeTimeout.connection.handshaking' }]);
    expect(slow.snapshot.value).toEqual({ open: 'watching' });
    expect(closes(slow.actions)).toEqual([{ gen: 2, code: 1000, reason: 'rotation_abandoned' }]);
  });

  it('records the close reason of a socket that closes while connecting or handshaking', () => {
    expect(run(begin(), [start, closed(1, 1008)]).snapshot.context.lastReason).toBe('rate_limited');
    expect(run(begin({ handshake: true }), [start, opened(1), closed(1, 1001)]).snapshot.context.lastReason).toBe('server_going_away');
    expect(run(begin({ handshake: true }), [start, opened(1), closed(1, 4001, 'bye')]).snapshot.value).toBe('backoff');
  });

  it('expects data after a rotation sync only when streams are confirmed', () => {
    const withStreams = run(rotating().snapshot, [opened(2), { type: 'subscriptions.synced', gen: 2, count: 3 }]);
    expect(withStreams.snapshot.context).toMatchObject({ expectData: true, draining: null });
    expect(delays(withStreams.actions)).toContainEqual(expect.objectContaining({ delay: 5_000 }));
    const empty = run(rotating().snapshot, [opened(2), { type: 'subscriptions.synced', gen: 2, count: 0 }]);
    expect(empty.snapshot.context.expectData).toBe(false);
    expect(delays(empty.actions)).toContainEqual(expect.objectContaining({ delay: 30_000 }));
  });

  it('never rotates by age when maxAgeMs is 0, and arms its timer at the largest delay', () => {
    const open = run(begin({ maxAgeMs: 0 }), [start, opened(1)]);
    expect(delays(open.actions)).toContainEqual(expect.objectContaining({ delay: 2 ** 31 - 1 }));
    const { snapshot } = run(open.snapshot, [{ type: 'xstate.after.maxAge.connection.open' }]);
    expect(snapshot.value).toEqual({ open: 'watching' });
    expect(snapshot.context.draining).toBeNull();
  });

  it('arms the age timer at maxAgeMs when it is set', () => {
    expect(delays(run(begin({ maxAgeMs: 60_000 }), [start, opened(1)]).actions)).toContainEqual(expect.objectContaining({ delay: 60_000 }));
  });

  it('counts reconnects and reports each with its reason, attempt and delay', () => {
    const first = run(begin(), [start, opened(1), closed(1)]);
    expect(facts(first.actions)).toEqual([
      { type: 'connection.reconnecting', reason: 'abnormal_closure', attempt: 1, delayMs: 100 },
      { type: 'connection.state', state: 'reconnecting', gen: 1, reason: 'abnormal_closure', attempt: 1 },
    ]);
    const second = run(first.snapshot, [{ type: 'xstate.after.backoff.connection.backoff' }, closed(2, 1008)]);
    expect(second.snapshot.context.reconnects).toBe(2);
  });

  it('closes both sockets with the reconnect reason when the replacement dies after opening', () => {
    const { actions } = run(rotating().snapshot, [opened(2), closed(2, 1008)]);
    expect(closes(actions)).toEqual([{ gen: 2, code: 4000, reason: 'rate_limited' }, { gen: 1, code: 4000, reason: 'rate_limited' }]);
  });

  it('gives up with a message naming the attempts and the last reason', () => {
    const { snapshot } = run(begin({ maxAttempts: 1 }), [start, closed(1), { type: 'xstate.after.backoff.connection.backoff' }, closed(2, 1008)]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.failure).toEqual({ code: 'CONNECTION_FAILED', message: 'gave up after 1 reconnect attempts (last: rate_limited)' });
  });

  it('closes both sockets when a fatal error arrives mid-rotation, and only the current one otherwise', () => {
    const fatal: ConnectionEvent = { type: 'connection.fatal', code: 'AUTHENTICATION_FAILED', message: 'no' };
    expect(closes(run(rotating().snapshot, [fatal]).actions)).toEqual([{ gen: 2, code: 1000, reason: 'failed' }, { gen: 1, code: 1000, reason: 'failed' }]);
    expect(closes(run(begin(), [start, opened(1), fatal]).actions)).toEqual([{ gen: 1, code: 1000, reason: 'failed' }]);
  });

  it('closes only the current socket on stop when no rotation runs', () => {
    expect(closes(run(begin(), [start, opened(1), { type: 'connection.stop' }]).actions)).toEqual([{ gen: 1, code: 1000, reason: 'client_close' }]);
  });
});
