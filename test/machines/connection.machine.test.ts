import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  closeReason,
  connectionMachine,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionPolicy,
} from '../../machines/connection.machine.ts';
import type { ConnectionState } from '../../src/providers/realtime-provider.ts';
import { ConnectionHarness, testLimits, testPolicy } from './support/connection-harness.ts';

type Snapshot = ReturnType<typeof initialTransition<typeof connectionMachine>>[0];
type Action = ReturnType<typeof transition<typeof connectionMachine>>[1][number];

const inputWith = (policy: Partial<ConnectionPolicy> = {}, initial: string[] = []): ConnectionInput => ({
  policy: testPolicy(policy),
  subscriptions: testLimits({ initial }),
  seed: 7,
});

/** Folds events through the pure transition function, keeping every action of the last step. */
const run = (input: ConnectionInput, events: readonly ConnectionEvent[]): { snapshot: Snapshot; actions: Action[] } => {
  let [snapshot, actions] = initialTransition(connectionMachine, input);
  for (const event of events) [snapshot, actions] = transition(connectionMachine, snapshot, event);
  return { snapshot, actions };
};

/** The named (transport) actions among `actions`, with their params. */
const commands = (actions: readonly Action[]) =>
  actions.filter((a) => !a.type.startsWith('xstate.')).map((a) => ({ type: a.type, params: a.params as Record<string, unknown> }));

/** The facts emitted by `actions`. */
const facts = (actions: readonly Action[]) =>
  actions.filter((a) => (a.type as string) === 'xstate.emit').map((a) => (a.params as { event: { type: string } }).event);

const start: ConnectionEvent = { type: 'connection.start' };
const opened = (gen: number): ConnectionEvent => ({ type: 'socket.opened', gen });
const closed = (gen: number, code = 1006): ConnectionEvent => ({ type: 'socket.closed', gen, code, reason: '' });

describe('connection machine: connecting (pure transitions)', () => {
  it('opens socket generation 1 on connection.start and reports connecting', () => {
    const { snapshot, actions } = run(inputWith(), [start]);
    expect(snapshot.value).toBe('connecting');
    expect(commands(actions)).toEqual([{ type: 'openSocket', params: { gen: 1 } }]);
    expect(facts(actions)).toEqual([{ type: 'connection.state', state: 'connecting', gen: 1, reason: null, attempt: 0 }]);
  });

  it('goes straight to open when the venue needs no handshake, without starting one', () => {
    const { snapshot, actions } = run(inputWith({ handshake: false }), [start, opened(1)]);
    expect(snapshot.value).toEqual({ open: 'watching' });
    expect(commands(actions)).toEqual([]);
    expect(facts(actions)).toEqual([{ type: 'connection.state', state: 'connected', gen: 1, reason: null, attempt: 0 }]);
  });

  it('starts the handshake when the venue needs one and opens on handshake.succeeded', () => {
    const shaking = run(inputWith({ handshake: true }), [start, opened(1)]);
    expect(shaking.snapshot.value).toBe('handshaking');
    expect(commands(shaking.actions)).toEqual([{ type: 'startHandshake', params: { gen: 1 } }]);
    const done = run(inputWith({ handshake: true }), [start, opened(1), { type: 'handshake.succeeded', gen: 1 }]);
    expect(done.snapshot.value).toEqual({ open: 'watching' });
  });

  it('fails with the handshake error when the handshake fails fatally', () => {
    const { snapshot, actions } = run(inputWith({ handshake: true }), [
      start, opened(1),
      { type: 'handshake.failed', gen: 1, fatal: true, code: 'AUTHENTICATION_FAILED', message: 'authentication failed' },
    ]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.failure).toEqual({ code: 'AUTHENTICATION_FAILED', message: 'authentication failed' });
    expect(commands(actions)).toContainEqual({ type: 'closeSocket', params: { gen: 1, code: 1000, reason: 'failed' } });
    expect(facts(actions)).toContainEqual({ type: 'connection.failed', code: 'AUTHENTICATION_FAILED', message: 'authentication failed' });
    expect(facts(actions)).toContainEqual(expect.objectContaining({ type: 'connection.state', state: 'disconnected', reason: 'AUTHENTICATION_FAILED' }));
  });

  it('backs off after a non-fatal handshake failure', () => {
    const { snapshot, actions } = run(inputWith({ handshake: true }), [
      start, opened(1),
      { type: 'handshake.failed', gen: 1, fatal: false, code: 'TIMEOUT', reason: 'auth_timeout', message: 'No authentication request received.' },
    ]);
    expect(snapshot.value).toBe('backoff');
    expect(snapshot.context.lastReason).toBe('handshake_failed:auth_timeout');
    expect(commands(actions)).toContainEqual({ type: 'closeSocket', params: { gen: 1, code: 4000, reason: 'handshake_failed:auth_timeout' } });
    expect(facts(actions)).toContainEqual({ type: 'connection.reconnecting', reason: 'handshake_failed:auth_timeout', attempt: 1, delayMs: 100 });
  });

  it('ignores socket and handshake events tagged with another generation', () => {
    const input = inputWith({ handshake: true });
    const stale: ConnectionEvent[] = [
      opened(0), opened(2), closed(0), closed(2),
      { type: 'handshake.succeeded', gen: 0 },
      { type: 'handshake.failed', gen: 0, fatal: true, code: 'AUTHENTICATION_FAILED', message: 'x' },
    ];
    const connecting = run(input, [start, ...stale]);
    expect(connecting.snapshot.value).toBe('connecting');
    const shaking = run(input, [start, opened(1), ...stale]);
    expect(shaking.snapshot.value).toBe('handshaking');
  });

  it('ignores every event of an earlier socket once it has reconnected', () => {
    const input = inputWith();
    const base: ConnectionEvent[] = [start, opened(1), closed(1), { type: 'xstate.after.backoff.connection.backoff' } as unknown as ConnectionEvent, opened(2)];
    const open = run(input, base);
    expect(open.snapshot.value).toEqual({ open: 'watching' });
    expect(open.snapshot.context.gen).toBe(2);
    for (const late of [
      closed(1),
      { type: 'server.shutdown', gen: 1 },
      { type: 'subscriptions.unresponsive', gen: 1 },
      { type: 'subscriptions.synced', gen: 1, count: 3 },
    ] satisfies ConnectionEvent[]) {
      const { snapshot, actions } = run(input, [...base, late]);
      expect(snapshot.value).toEqual({ open: 'watching' });
      expect(snapshot.context.expectData).toBe(false);
      expect(commands(actions)).toEqual([]);
    }
  });

  it('maps close codes to reconnect reasons', () => {
    expect(closeReason(1008, 'Too many requests')).toBe('rate_limited');
    expect(closeReason(1001, '')).toBe('server_going_away');
    expect(closeReason(1006, '')).toBe('abnormal_closure');
    expect(closeReason(4001, 'bye')).toBe('closed_4001:bye');
    expect(closeReason(1000, '')).toBe('closed_1000');
  });
});

describe('connection machine: timeouts and reconnects', () => {
  it('backs off with reason connect_timeout when the socket does not open within connectTimeoutMs', () => {
    const h = new ConnectionHarness();
    h.send({ type: 'connection.start' });
    h.advance(2_999);
    expect(h.state).toBe('connecting');
    h.advance(1);
    expect(h.state).toBe('backoff');
    expect(h.of('close')).toEqual([{ kind: 'close', gen: 1, code: 4000, reason: 'connect_timeout', at: 3_000 }]);
    expect(h.facts('connection.reconnecting')).toEqual([{ type: 'connection.reconnecting', reason: 'connect_timeout', attempt: 1, delayMs: 100, at: 3_000 }]);
  });

  it('backs off with reason handshake_timeout when the handshake does not finish within handshakeTimeoutMs', () => {
    const h = new ConnectionHarness({ policy: { handshake: true } });
    h.send({ type: 'connection.start' });
    h.send({ type: 'socket.opened', gen: 1 });
    h.advance(1_999);
    expect(h.state).toBe('handshaking');
    h.advance(1);
    expect(h.state).toBe('backoff');
    expect(h.context.lastReason).toBe('handshake_timeout');
  });

  it('reconnects with a new generation exactly after the backoff delay when an open socket closes', () => {
    const h = new ConnectionHarness();
    h.connect();
    h.advance(1_000);
    h.drop(1, 1006);
    expect(h.state).toBe('backoff');
    expect(h.of('close')).toEqual([{ kind: 'close', gen: 1, code: 4000, reason: 'abnormal_closure', at: 1_000 }]);
    expect(h.facts('connection.reconnecting')).toEqual([{ type: 'connection.reconnecting', reason: 'abnormal_closure', attempt: 1, delayMs: 100, at: 1_000 }]);
    h.advance(99);
    expect(h.of('open')).toHaveLength(1);
    h.advance(1);
    expect(h.of('open')).toEqual([{ kind: 'open', gen: 1, at: 0 }, { kind: 'open', gen: 2, at: 1_100 }]);
    h.opened();
    expect(h.state).toBe('open.watching');
    expect(h.gen).toBe(2);
  });

  it('resubscribes every stream after a reconnect', () => {
    const h = new ConnectionHarness({ limits: { initial: ['a', 'b'] } });
    h.connect();
    h.ackPending();
    h.child({ type: 'subscriptions.add', streams: ['c'] });
    h.advance(300);
    h.ackPending();
    expect(h.subs.confirmed).toEqual(['a', 'b', 'c']);
    h.drop();
    expect(h.subs).toMatchObject({ gen: null, confirmed: [] });
    h.advance(100);
    h.opened();
    expect(h.of('control').at(-1)).toMatchObject({ gen: 2, request: { op: 'subscribe', streams: ['a', 'b', 'c'] } });
    h.ackPending();
    expect(h.subs.confirmed).toEqual(['a', 'b', 'c']);
  });

  it('doubles the delay on each consecutive failure up to maxDelayMs', () => {
    const h = new ConnectionHarness({ policy: { maxDelayMs: 1_000 } });
    h.send({ type: 'connection.start' });
    for (let i = 0; i < 6; i++) h.advance(3_000 + h.context.lastDelayMs);
    expect(h.facts('connection.reconnecting').map((f) => f.delayMs)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(h.facts('connection.reconnecting').map((f) => f.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives up with CONNECTION_FAILED after maxAttempts consecutive failed attempts', () => {
    const h = new ConnectionHarness({ policy: { maxAttempts: 3 } });
    h.send({ type: 'connection.start' });
    for (let i = 0; i < 10 && h.state !== 'failed'; i++) {
      h.drop(h.gen, 1006);
      h.advance(h.context.lastDelayMs);
    }
    expect(h.state).toBe('failed');
    expect(h.of('open')).toHaveLength(4);
    expect(h.context.failure?.code).toBe('CONNECTION_FAILED');
    expect(h.facts('connection.failed')).toEqual([expect.objectContaining({ type: 'connection.failed', code: 'CONNECTION_FAILED' })]);
    expect(h.facts('connection.state').at(-1)).toMatchObject({ state: 'disconnected', reason: 'CONNECTION_FAILED' });
    // Only attempts that really happen are announced.
    expect(h.facts('connection.reconnecting').map((f) => f.attempt)).toEqual([1, 2, 3]);
    expect(h.live.size).toBe(0);
    h.advance(60_000);
    expect(h.of('open')).toHaveLength(4);
  });

  it('starts again from failed with a fresh attempt counter on connection.start', () => {
    const h = new ConnectionHarness({ policy: { maxAttempts: 1 } });
    h.send({ type: 'connection.start' });
    h.drop();
    h.advance(100);
    h.drop();
    expect(h.state).toBe('failed');
    h.send({ type: 'connection.start' });
    expect(h.state).toBe('connecting');
    expect(h.context.failure).toBeNull();
    h.drop();
    expect(h.facts('connection.reconnecting').at(-1)).toMatchObject({ attempt: 1, delayMs: 100 });
  });

  it('resets the attempt counter after healthyAfterMs of open connection', () => {
    const h = new ConnectionHarness();
    h.send({ type: 'connection.start' });
    for (let i = 0; i < 3; i++) {
      h.drop();
      h.advance(h.context.lastDelayMs);
    }
    expect(h.facts('connection.reconnecting').map((f) => f.delayMs)).toEqual([100, 200, 400]);
    h.opened();
    h.advance(9_999);
    expect(h.context.attempt).toBe(3);
    h.advance(1);
    expect(h.context.attempt).toBe(0);
    h.drop();
    expect(h.facts('connection.reconnecting').at(-1)).toMatchObject({ attempt: 1, delayMs: 100 });
  });

  it('keeps growing the delay across an open period shorter than healthyAfterMs', () => {
    const h = new ConnectionHarness();
    h.send({ type: 'connection.start' });
    h.drop();
    h.advance(100);
    h.opened();
    h.advance(9_000);
    h.drop();
    expect(h.facts('connection.reconnecting').map((f) => [f.attempt, f.delayMs])).toEqual([[1, 100], [2, 200]]);
  });
});

describe('connection machine: watchdog', () => {
  it('reconnects with reason stale when no frame arrives for staleAfterMs once streams are confirmed', () => {
    const h = new ConnectionHarness({ limits: { initial: ['btcusdt@kline_1m'] } });
    h.connect();
    h.advance(1_000);
    h.ackPending();
    expect(h.context.expectData).toBe(true);
    h.advance(4_999);
    expect(h.state).toBe('open.watching');
    h.advance(1);
    expect(h.state).toBe('backoff');
    expect(h.facts('connection.reconnecting')).toEqual([expect.objectContaining({ reason: 'stale', at: 6_000 })]);
    expect(h.of('close')).toContainEqual(expect.objectContaining({ gen: 1, reason: 'stale' }));
  });

  it('reconnects with reason idle_timeout after idleTimeoutMs of silence when no stream is subscribed', () => {
    const h = new ConnectionHarness();
    h.connect();
    expect(h.context.expectData).toBe(false);
    h.advance(29_999);
    expect(h.state).toBe('open.watching');
    h.advance(1);
    expect(h.state).toBe('backoff');
    expect(h.context.lastReason).toBe('idle_timeout');
  });

  it('goes back to the idle timeout once the last stream is unsubscribed', () => {
    const h = new ConnectionHarness({ limits: { initial: ['a'] } });
    h.connect();
    h.ackPending();
    h.send({ type: 'socket.activity', gen: 1 });
    h.child({ type: 'subscriptions.remove', streams: ['a'] });
    h.advance(210);
    h.ackPending();
    expect(h.context.expectData).toBe(false);
    h.advance(20_000);
    expect(h.state).toBe('open.watching');
  });

  it('postpones the watchdog on every socket.activity of the current socket', () => {
    const h = new ConnectionHarness({ limits: { initial: ['a'] } });
    h.connect();
    h.ackPending();
    for (let i = 0; i < 5; i++) {
      h.advance(4_000);
      h.send({ type: 'socket.activity', gen: 1 });
    }
    expect(h.state).toBe('open.watching');
    h.advance(5_000);
    expect(h.state).toBe('backoff');
    expect(h.facts('connection.reconnecting')).toEqual([expect.objectContaining({ reason: 'stale', at: 25_000 })]);
  });

  it('ignores activity of an earlier socket', () => {
    const h = new ConnectionHarness({ limits: { initial: ['a'] } });
    h.connect();
    h.drop();
    h.advance(100);
    h.opened();
    h.ackPending();
    h.send({ type: 'socket.activity', gen: 2 });
    h.advance(4_000);
    h.send({ type: 'socket.activity', gen: 1 });
    h.advance(1_000);
    expect(h.state).toBe('backoff');
    expect(h.context.lastReason).toBe('stale');
  });
});

describe('connection machine: rotation', () => {
  const synced = (options: ConstructorParameters<typeof ConnectionHarness>[0] = {}): ConnectionHarness => {
    const h = new ConnectionHarness({ ...options, limits: { initial: ['a', 'b'], ...options.limits } });
    h.connect();
    h.ackPending();
    return h;
  };

  it('opens a new socket on server.shutdown, resubscribes it, and closes the old one once synced', () => {
    const h = synced();
    h.advance(1_000);
    h.send({ type: 'server.shutdown', gen: 1 });
    expect(h.state).toBe('connecting');
    expect(h.context).toMatchObject({ gen: 2, draining: 1 });
    expect(h.of('open').map((o) => o.gen)).toEqual([1, 2]);
    expect(h.live).toEqual(new Set([1, 2]));
    h.opened(2);
    expect(h.of('control').at(-1)).toMatchObject({ gen: 2, request: { op: 'subscribe', streams: ['a', 'b'] } });
    expect(h.of('close')).toEqual([]);
    expect(h.facts('connection.rotated')).toEqual([]);
    h.ackPending();
    expect(h.of('close')).toEqual([{ kind: 'close', gen: 1, code: 1000, reason: 'rotated', at: 1_000 }]);
    expect(h.facts('connection.rotated')).toEqual([{ type: 'connection.rotated', from: 1, to: 2, at: 1_000 }]);
    expect(h.context.draining).toBeNull();
    expect(h.live).toEqual(new Set([2]));
    expect(h.maxLive).toBe(2);
    expect(h.facts('connection.reconnecting')).toEqual([]);
    expect(h.facts('connection.state').map((f) => f.state)).toEqual(['disconnected', 'connecting', 'connected', 'connected', 'connected']);
  });

  it('reports no rotation and closes nothing on an ordinary subscription sync', () => {
    const h = synced();
    h.child({ type: 'subscriptions.add', streams: ['c'] });
    h.advance(300);
    h.ackPending();
    expect(h.subs.confirmed).toEqual(['a', 'b', 'c']);
    expect(h.facts('connection.rotated')).toEqual([]);
    expect(h.of('close')).toEqual([]);
  });

  it('rotates proactively once the connection reaches maxAgeMs', () => {
    const h = synced({ policy: { maxAgeMs: 60_000, staleAfterMs: 120_000, idleTimeoutMs: 120_000 } });
    h.advance(59_999);
    expect(h.of('open')).toHaveLength(1);
    h.advance(1);
    expect(h.of('open').map((o) => [o.gen, o.at])).toEqual([[1, 0], [2, 60_000]]);
    expect(h.context.draining).toBe(1);
    h.opened(2);
    h.ackPending();
    expect(h.facts('connection.rotated')).toEqual([expect.objectContaining({ from: 1, to: 2 })]);
    expect(h.live).toEqual(new Set([2]));
  });

  it('rotates on connection.rotate', () => {
    const h = synced();
    h.send({ type: 'connection.rotate' });
    expect(h.context).toMatchObject({ gen: 2, draining: 1 });
  });

  it('falls back to the old socket when the new one does not open in time', () => {
    const h = synced();
    h.send({ type: 'server.shutdown', gen: 1 });
    h.advance(3_000);
    expect(h.state).toBe('open.watching');
    expect(h.context).toMatchObject({ gen: 1, draining: null });
    expect(h.of('close')).toEqual([{ kind: 'close', gen: 2, code: 1000, reason: 'rotation_abandoned', at: 3_000 }]);
    expect(h.live).toEqual(new Set([1]));
    expect(h.facts('connection.reconnecting')).toEqual([]);
  });

  it('falls back to the old socket when the new one closes or fails its handshake', () => {
    const closedEarly = synced();
    closedEarly.send({ type: 'server.shutdown', gen: 1 });
    closedEarly.drop(2);
    expect(closedEarly.state).toBe('open.watching');
    expect(closedEarly.context).toMatchObject({ gen: 1, draining: null });
    expect(closedEarly.live).toEqual(new Set([1]));

    const refused = synced({ policy: { handshake: true } });
    refused.send({ type: 'server.shutdown', gen: 1 });
    refused.send({ type: 'socket.opened', gen: 2 });
    refused.send({ type: 'handshake.failed', gen: 2, fatal: false, code: 'CONNECTION_FAILED', reason: 'max_connections', message: 'Maximum number of connections exceeded.' });
    expect(refused.state).toBe('open.watching');
    expect(refused.context).toMatchObject({ gen: 1, draining: null });
    expect(refused.live).toEqual(new Set([1]));
  });

  it('keeps the old socket subscribed and in sync after an abandoned rotation', () => {
    const h = synced();
    h.advance(300);
    h.send({ type: 'server.shutdown', gen: 1 });
    h.child({ type: 'subscriptions.add', streams: ['c'] });
    const sub = h.of('control').at(-1)!;
    expect(sub).toMatchObject({ gen: 1, request: { op: 'subscribe', streams: ['c'] } });
    h.advance(50);
    h.child({ type: 'subscriptions.remove', streams: ['c'] });
    h.drop(2);
    expect(h.context).toMatchObject({ gen: 1, draining: null });
    // The server applies requests in order: it now holds a, b and c on socket 1 until told otherwise.
    h.child({ type: 'control.ack', gen: 1, id: sub.request.id });
    h.advance(1_000);
    h.ackPending();
    h.advance(1_000);
    h.ackPending();
    const server = new Set(['a', 'b']);
    for (const c of h.of('control').filter((x) => x.gen === 1)) {
      for (const s of c.request.streams) c.request.op === 'subscribe' ? server.add(s) : server.delete(s);
    }
    expect([...server].sort()).toEqual(['a', 'b']);
    expect([...h.subs.confirmed].sort()).toEqual(['a', 'b']);
  });

  it('reconnects when a request left unanswered during an abandoned rotation stays unanswered', () => {
    const h = synced({ policy: { handshake: true } });
    h.advance(300);
    h.child({ type: 'subscriptions.add', streams: ['c'] });
    h.advance(700);
    h.send({ type: 'server.shutdown', gen: 1 });
    h.advance(2_000);
    h.send({ type: 'socket.opened', gen: 2 });
    // The ack timeout (4300 ms) passes while the new socket is still handshaking: the report has no taker.
    h.advance(2_000);
    expect(h.state).toBe('open.watching');
    expect(h.context).toMatchObject({ gen: 1, draining: null });
    expect(h.subs.pending).toHaveLength(1);
    h.advance(4_000);
    expect(h.facts('connection.reconnecting')).toEqual([expect.objectContaining({ reason: 'control_timeout', at: 9_000 })]);
  });

  it('reconnects afresh, closing both sockets, when the new socket dies after opening but before it is synced', () => {
    const h = synced();
    h.send({ type: 'server.shutdown', gen: 1 });
    h.opened(2);
    h.drop(2);
    expect(h.state).toBe('backoff');
    expect(h.context.draining).toBeNull();
    expect(h.of('close').map((c) => c.gen)).toEqual([2, 1]);
    expect(h.live.size).toBe(0);
    h.advance(100);
    expect(h.of('open').map((o) => o.gen)).toEqual([1, 2, 3]);
  });

  it('never has more than two sockets when a rotation is asked for during a rotation', () => {
    const h = synced();
    h.send({ type: 'server.shutdown', gen: 1 });
    h.opened(2);
    h.send({ type: 'connection.rotate' });
    h.send({ type: 'server.shutdown', gen: 2 });
    expect(h.maxLive).toBe(2);
    h.advance(300);
    h.ackPending();
    expect(h.live.size).toBe(1);
    expect(h.facts('connection.rotated')).toEqual([expect.objectContaining({ from: 1, to: 2 })]);
  });

  it('forgets the old socket when the server closes it during the rotation', () => {
    const h = synced();
    h.send({ type: 'server.shutdown', gen: 1 });
    h.drop(1, 1001);
    expect(h.context).toMatchObject({ gen: 2, draining: null });
    expect(h.state).toBe('connecting');
    h.opened(2);
    h.advance(300);
    h.ackPending();
    expect(h.subs.confirmed).toEqual(['a', 'b']);
    expect(h.live).toEqual(new Set([2]));
    expect(h.facts('connection.rotated')).toEqual([]);
  });
});

describe('connection machine: stop and states', () => {
  it('closes every socket on connection.stop, even mid-rotation', () => {
    const h = new ConnectionHarness({ limits: { initial: ['a'] } });
    h.connect();
    h.ackPending();
    h.send({ type: 'server.shutdown', gen: 1 });
    h.send({ type: 'connection.stop' });
    expect(h.state).toBe('closed');
    expect(h.of('close').map((c) => [c.gen, c.code, c.reason])).toEqual([[2, 1000, 'client_close'], [1, 1000, 'client_close']]);
    expect(h.live.size).toBe(0);
    expect(h.subs.gen).toBeNull();
    h.advance(120_000);
    expect(h.of('open')).toHaveLength(2);
    expect(h.facts('connection.state').at(-1)).toMatchObject({ state: 'disconnected', reason: 'closed' });
  });

  it('connects again from closed on connection.start with a new generation', () => {
    const h = new ConnectionHarness();
    h.connect();
    h.send({ type: 'connection.stop' });
    h.send({ type: 'connection.start' });
    expect(h.of('open').map((o) => o.gen)).toEqual([1, 2]);
    h.opened();
    expect(h.state).toBe('open.watching');
  });

  it('goes to failed with the given reason on connection.fatal', () => {
    const h = new ConnectionHarness();
    h.connect();
    h.send({ type: 'connection.fatal', code: 'INVALID_SYMBOL', message: 'no such market' });
    expect(h.state).toBe('failed');
    expect(h.facts('connection.failed')).toEqual([expect.objectContaining({ code: 'INVALID_SYMBOL', message: 'no such market' })]);
    expect(h.live.size).toBe(0);
  });

  it("maps its lifecycle onto the seed's connection states", () => {
    const h = new ConnectionHarness({ policy: { maxAttempts: 1 } });
    h.connect();
    h.drop();
    h.advance(100);
    h.opened();
    h.send({ type: 'connection.stop' });
    h.send({ type: 'connection.start' });
    h.drop();
    h.advance(100);
    h.drop();
    const states = h.facts('connection.state').map((f) => f.state);
    const allowed: readonly ConnectionState[] = ['disconnected', 'connecting', 'connected', 'reconnecting'];
    expect(states.every((s) => allowed.includes(s))).toBe(true);
    const collapsed = states.filter((s, i) => s !== states[i - 1]);
    expect(collapsed).toEqual([
      'disconnected', 'connecting', 'connected', 'reconnecting', 'connected', 'disconnected',
      'connecting', 'reconnecting', 'disconnected',
    ]);
  });
});
