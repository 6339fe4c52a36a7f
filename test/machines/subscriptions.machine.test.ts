import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { nextOutgoing, subscriptionsMachine, type SubscriptionsContext } from '../../machines/subscriptions.machine.ts';
import { sameSet } from '../../machines/lib/sets.ts';
import { testLimits } from './support/connection-harness.ts';
import { SubscriptionsHarness } from './support/subscriptions-harness.ts';

/** Spacing of the sender at 5 messages per second: floor(1000 / 5) + 10. */
const GAP = 210;

const online = (limits: Parameters<typeof testLimits>[0] = {}, gen = 1): SubscriptionsHarness => {
  const h = new SubscriptionsHarness(limits);
  h.send({ type: 'connection.ready', gen });
  return h;
};

/** Largest number of messages to one socket inside any closed 1000 ms window. */
const busiestSecond = (times: readonly number[]): number => {
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! - times[i]! <= 1_000; j++) n++;
    most = Math.max(most, n);
  }
  return most;
};

describe('subscriptions machine: requests', () => {
  it('batches adds made while offline into one SUBSCRIBE on connection.ready', () => {
    const h = new SubscriptionsHarness();
    h.send({ type: 'subscriptions.add', streams: ['a'] });
    h.send({ type: 'subscriptions.add', streams: ['b', 'c', 'a'] });
    expect(h.sent).toEqual([]);
    h.send({ type: 'connection.ready', gen: 1 });
    expect(h.controls.map((c) => [c.gen, c.request.op, c.request.streams])).toEqual([[1, 'subscribe', ['a', 'b', 'c']]]);
  });

  it('batches adds made while the sender cools down into one SUBSCRIBE', () => {
    const h = online();
    h.send({ type: 'subscriptions.add', streams: ['a'] });
    h.advance(50);
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    h.advance(50);
    h.send({ type: 'subscriptions.add', streams: ['c', 'd'] });
    h.advance(GAP);
    expect(h.controls.map((c) => c.request.streams)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(h.controls[1]!.at).toBe(GAP);
  });

  it('splits a large set into messages of at most maxStreamsPerMessage streams', () => {
    const h = online({ maxStreamsPerMessage: 2, initial: ['a', 'b', 'c', 'd', 'e'] });
    h.advance(3 * GAP);
    expect(h.controls.map((c) => c.request.streams)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('confirms the streams of an acknowledged request and reports the sync to its parent', () => {
    const h = online({ initial: ['a', 'b'] });
    h.ackLast();
    expect(h.context.confirmed).toEqual(['a', 'b']);
    expect(h.context.pending).toEqual([]);
    expect(h.synced()).toEqual([{ type: 'subscriptions.synced', gen: 1, count: 2, at: 0 }]);
    expect(h.emitted).toContainEqual({ type: 'subscriptions.changed', confirmed: ['a', 'b'], at: 0 });
  });

  it('reports an empty set as synced as soon as a socket is ready', () => {
    const h = online();
    expect(h.synced()).toEqual([{ type: 'subscriptions.synced', gen: 1, count: 0, at: 0 }]);
  });

  it('unsubscribes streams removed from the set and drops them from the confirmed set on ack', () => {
    const h = online({ initial: ['a', 'b'] });
    h.ackLast();
    h.send({ type: 'subscriptions.remove', streams: ['a'] });
    h.advance(GAP);
    expect(h.last.request).toMatchObject({ op: 'unsubscribe', streams: ['a'] });
    h.ackLast();
    expect(h.context.confirmed).toEqual(['b']);
    expect(h.synced().at(-1)).toMatchObject({ count: 1 });
  });

  it('unsubscribes a stream removed while its SUBSCRIBE is still in flight', () => {
    const h = online({ initial: ['a'] });
    h.send({ type: 'subscriptions.remove', streams: ['a'] });
    h.advance(GAP);
    expect(h.controls.map((c) => [c.request.op, c.request.streams])).toEqual([['subscribe', ['a']], ['unsubscribe', ['a']]]);
    for (const c of h.controls) h.send({ type: 'control.ack', gen: 1, id: c.request.id });
    expect(h.context.confirmed).toEqual([]);
    expect(h.context.pending).toEqual([]);
  });
});

describe('subscriptions machine: generations', () => {
  it('replays the whole desired set after connection.ready with a new generation', () => {
    const h = online({ initial: ['a', 'b'] });
    h.ackLast();
    h.send({ type: 'connection.down' });
    expect(h.context).toMatchObject({ gen: null, confirmed: [], pending: [] });
    h.send({ type: 'subscriptions.add', streams: ['c'] });
    h.advance(1_000);
    const before = h.controls.length;
    h.send({ type: 'connection.ready', gen: 2 });
    expect(h.controls.slice(before).map((c) => [c.gen, c.request.op, c.request.streams])).toEqual([[2, 'subscribe', ['a', 'b', 'c']]]);
    h.ackLast();
    expect(h.context.confirmed).toEqual(['a', 'b', 'c']);
    expect(h.synced().at(-1)).toMatchObject({ gen: 2, count: 3 });
  });

  it('ignores acknowledgements and errors of an old generation', () => {
    const h = online({ initial: ['a'] });
    const old = h.last.request.id;
    h.send({ type: 'connection.down' });
    h.send({ type: 'connection.ready', gen: 2 });
    const current = h.last.request.id;
    h.send({ type: 'control.ack', gen: 1, id: old });
    h.send({ type: 'control.ack', gen: 1, id: current });
    h.send({ type: 'control.error', gen: 1, id: current, code: 2, message: 'Invalid request' });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    expect(h.context.confirmed).toEqual([]);
    expect(h.context.pending.map((p) => p.id)).toEqual([current]);
    expect(h.context.rejected).toEqual([]);
    h.send({ type: 'control.ack', gen: 2, id: current });
    expect(h.context.confirmed).toEqual(['a']);
  });

  it('keeps its confirmed streams and requests in flight when the same socket is announced ready again', () => {
    const h = online({ initial: ['a'] });
    h.ackLast();
    h.advance(GAP);
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    const inFlight = h.last.request.id;
    h.send({ type: 'connection.ready', gen: 1 });
    expect(h.controls).toHaveLength(2);
    expect(h.context.confirmed).toEqual(['a']);
    h.send({ type: 'control.ack', gen: 1, id: inFlight });
    expect(h.context.confirmed).toEqual(['a', 'b']);
    expect(h.context.pending).toEqual([]);
  });

  it('restarts the wait for an answer when the same socket is announced ready again', () => {
    const h = online({ initial: ['a'], ackTimeoutMs: 4_000 });
    h.advance(3_000);
    h.send({ type: 'connection.ready', gen: 1 });
    h.advance(3_999);
    expect(h.unresponsive()).toEqual([]);
    h.advance(1);
    expect(h.unresponsive()).toEqual([{ type: 'subscriptions.unresponsive', gen: 1, at: 7_000 }]);
  });

  it('keeps its message spacing when a new socket becomes ready', () => {
    const h = online({ initial: ['a'] });
    h.advance(50);
    h.send({ type: 'connection.ready', gen: 2 });
    h.advance(GAP);
    expect(h.controls.map((c) => c.gen)).toEqual([1, 2]);
    expect(h.controls[1]!.at - h.controls[0]!.at).toBeGreaterThanOrEqual(GAP);
  });

  it('ignores everything but adds and removes while offline', () => {
    const h = new SubscriptionsHarness({ initial: ['a'] });
    h.send({ type: 'control.ack', gen: 1, id: 1 });
    h.send({ type: 'ping.received', gen: 1, payload: 'x' });
    h.advance(10_000);
    expect(h.sent).toEqual([]);
    expect(h.context.confirmed).toEqual([]);
    expect(h.reports).toEqual([]);
  });
});

describe('subscriptions machine: server errors', () => {
  it('retries a failed batch one stream per message and rejects only the bad stream', () => {
    const h = online({ initial: ['a', 'b', 'c'] });
    expect(h.last.request.streams).toEqual(['a', 'b', 'c']);
    h.send({ type: 'control.error', gen: 1, id: h.last.request.id, code: 2, message: 'Invalid request: invalid stream' });
    expect(h.emitted.filter((e) => e.type === 'subscription.rejected')).toEqual([]);
    for (const expected of ['a', 'b', 'c']) {
      h.advance(GAP);
      expect(h.last.request.streams).toEqual([expected]);
      if (expected === 'b') h.send({ type: 'control.error', gen: 1, id: h.last.request.id, code: 2, message: 'Invalid request: invalid stream' });
      else h.ackLast();
    }
    expect(h.controls).toHaveLength(4);
    expect(h.context).toMatchObject({ confirmed: ['a', 'c'], desired: ['a', 'c'], rejected: ['b'], isolate: [], pending: [] });
    expect(h.emitted.filter((e) => e.type === 'subscription.rejected')).toEqual([
      { type: 'subscription.rejected', stream: 'b', code: 2, message: 'Invalid request: invalid stream', at: 2 * GAP },
    ]);
    expect(h.synced().at(-1)).toMatchObject({ gen: 1, count: 2 });
    h.advance(5_000);
    expect(h.controls).toHaveLength(4);
  });

  it('matches an error without a request id to the only request in flight', () => {
    const h = online({ initial: ['bad'] });
    h.send({ type: 'control.error', gen: 1, id: null, code: 2, message: 'invalid' });
    expect(h.context.rejected).toEqual(['bad']);
    expect(h.context.pending).toEqual([]);
  });

  it('retries a rejected stream that is added again', () => {
    const h = online({ initial: ['bad'] });
    h.send({ type: 'control.error', gen: 1, id: h.last.request.id, code: 2, message: 'invalid' });
    h.advance(GAP);
    h.send({ type: 'subscriptions.add', streams: ['bad'] });
    expect(h.last.request.streams).toEqual(['bad']);
    expect(h.controls).toHaveLength(2);
    expect(h.context.rejected).toEqual([]);
  });
});

describe('subscriptions machine: per-stream acknowledgements (Polygon style)', () => {
  it('completes a request once every stream of it is acknowledged', () => {
    const h = online({ initial: ['AM.AAPL', 'AM.MSFT'] });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'AM.AAPL' });
    expect(h.context.confirmed).toEqual(['AM.AAPL']);
    expect(h.context.pending).toHaveLength(1);
    expect(h.synced()).toEqual([]);
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'AM.MSFT' });
    expect(h.context.confirmed).toEqual(['AM.AAPL', 'AM.MSFT']);
    expect(h.context.pending).toEqual([]);
    expect(h.synced()).toEqual([{ type: 'subscriptions.synced', gen: 1, count: 2, at: 0 }]);
  });

  it('rejects a stream the server refuses one by one and keeps the others', () => {
    const h = online({ initial: ['AM.AAPL', 'AM.NOPE'] });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'AM.AAPL' });
    h.send({ type: 'control.streamRejected', gen: 1, stream: 'AM.NOPE', code: 404, message: 'unknown ticker' });
    expect(h.context).toMatchObject({ confirmed: ['AM.AAPL'], desired: ['AM.AAPL'], rejected: ['AM.NOPE'], pending: [] });
    expect(h.emitted.filter((e) => e.type === 'subscription.rejected')).toEqual([
      { type: 'subscription.rejected', stream: 'AM.NOPE', code: 404, message: 'unknown ticker', at: 0 },
    ]);
    expect(h.synced().at(-1)).toMatchObject({ count: 1 });
  });
});

describe('subscriptions machine: pings and rate limit', () => {
  it('sends a pong before any queued request', () => {
    const h = online({ initial: ['a'] });
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    h.send({ type: 'ping.received', gen: 1, payload: 'cGluZw==' });
    h.advance(GAP);
    expect(h.sent.map((s) => [s.kind, s.at])).toEqual([['control', 0], ['pong', GAP]]);
    expect(h.sent[1]).toMatchObject({ kind: 'pong', gen: 1, payload: 'cGluZw==' });
    h.advance(GAP);
    expect(h.sent.map((s) => [s.kind, s.at])).toEqual([['control', 0], ['pong', GAP], ['control', 2 * GAP]]);
  });

  it('still answers a ping of the old socket after a new socket becomes ready', () => {
    const h = online({ initial: ['a'] });
    h.send({ type: 'ping.received', gen: 1, payload: 'old' });
    h.send({ type: 'connection.ready', gen: 2 });
    h.advance(2 * GAP);
    expect(h.sent.map((s) => [s.kind, s.gen])).toEqual([['control', 1], ['pong', 1], ['control', 2]]);
  });

  it('drops the pongs it owes when its socket goes down', () => {
    const h = online({ initial: ['a'] });
    h.send({ type: 'ping.received', gen: 1, payload: 'old' });
    h.send({ type: 'connection.down' });
    h.send({ type: 'connection.ready', gen: 2 });
    h.advance(2 * GAP);
    expect(h.sent.map((s) => [s.kind, s.gen])).toEqual([['control', 1], ['control', 2]]);
  });

  it('answers a ping on the socket that sent it', () => {
    const h = online();
    h.send({ type: 'ping.received', gen: 7, payload: 'p' });
    expect(h.sent).toEqual([{ kind: 'pong', gen: 7, payload: 'p', at: 0 }]);
  });

  it('never sends more than controlPerSecond messages in any second, pongs included', () => {
    const h = online({ controlPerSecond: 5, maxStreamsPerMessage: 1, initial: Array.from({ length: 12 }, (_, i) => `s${i}`) });
    for (let t = 0; t < 4_000; t += 100) {
      if (t % 300 === 0) h.send({ type: 'ping.received', gen: 1, payload: String(t) });
      h.advance(100);
    }
    const times = h.sent.map((s) => s.at);
    expect(h.sent.length).toBeGreaterThanOrEqual(16);
    expect(busiestSecond(times)).toBeLessThanOrEqual(5);
  });
});

describe('subscriptions machine: unresponsive server', () => {
  it('reports unresponsive to its parent when no ack arrives within ackTimeoutMs', () => {
    const h = online({ initial: ['a'], ackTimeoutMs: 4_000 });
    h.advance(3_999);
    expect(h.unresponsive()).toEqual([]);
    h.advance(1);
    expect(h.unresponsive()).toEqual([{ type: 'subscriptions.unresponsive', gen: 1, at: 4_000 }]);
  });

  it('restarts the ack timer on every acknowledgement', () => {
    const h = online({ initial: ['a'], ackTimeoutMs: 4_000 });
    h.advance(3_000);
    h.ackLast();
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    h.advance(3_000);
    expect(h.unresponsive()).toEqual([]);
    h.advance(1_000);
    expect(h.unresponsive()).toEqual([{ type: 'subscriptions.unresponsive', gen: 1, at: 7_000 }]);
  });

  it('does not let acknowledgements of an old socket postpone the unresponsive report', () => {
    const h = online({ initial: ['a'], ackTimeoutMs: 4_000 });
    h.send({ type: 'connection.down' });
    h.send({ type: 'connection.ready', gen: 2 });
    h.advance(3_000);
    h.send({ type: 'control.ack', gen: 1, id: 999 });
    h.advance(1_000);
    expect(h.unresponsive()).toEqual([{ type: 'subscriptions.unresponsive', gen: 2, at: 4_000 }]);
  });

  it('does not report unresponsive when nothing is in flight', () => {
    const h = online({ initial: ['a'] });
    h.ackLast();
    h.advance(60_000);
    expect(h.unresponsive()).toEqual([]);
  });
});

describe('subscriptions machine: pure decisions', () => {
  const base = (over: Partial<SubscriptionsContext>): SubscriptionsContext => ({
    limits: testLimits({ maxStreamsPerMessage: 2 }),
    desired: [], confirmed: [], rejected: [], isolate: [], pending: [], pongs: [],
    gen: 1, nextId: 5, reportedSynced: false, sent: 0,
    ...over,
  });

  it('unsubscribes before it subscribes', () => {
    expect(nextOutgoing(base({ desired: ['b'], confirmed: ['a'] }))).toEqual({
      kind: 'request', gen: 1, request: { id: 5, op: 'unsubscribe', streams: ['a'], acked: [] },
    });
  });

  it('sends nothing while offline or in sync', () => {
    expect(nextOutgoing(base({ gen: null, desired: ['a'], pongs: [{ gen: 1, payload: 'p' }] }))).toBeUndefined();
    expect(nextOutgoing(base({ desired: ['a'], confirmed: ['a'] }))).toBeUndefined();
  });

  it('does not ask again for streams already in flight', () => {
    const pending = [{ id: 1, op: 'subscribe' as const, streams: ['a'], acked: [] }];
    expect(nextOutgoing(base({ desired: ['a', 'b', 'c', 'd'], pending }))).toMatchObject({ request: { streams: ['b', 'c'] } });
  });

  it('starts offline with the initial streams deduplicated', () => {
    const [s, actions] = initialTransition(subscriptionsMachine, testLimits({ initial: ['a', 'b', 'a'] }));
    expect(s.value).toBe('offline');
    expect(s.context.desired).toEqual(['a', 'b']);
    expect(actions.filter((a) => a.type === 'sendControl')).toEqual([]);
  });

  it('sends the first SUBSCRIBE in the same step as connection.ready', () => {
    const [s0] = initialTransition(subscriptionsMachine, testLimits({ initial: ['a', 'b'] }));
    const [s1, actions] = transition(subscriptionsMachine, s0, { type: 'connection.ready', gen: 3 });
    expect(s1.matches({ online: { sender: 'cooling' } })).toBe(true);
    const sends = actions.filter((a) => a.type === 'sendControl').map((a) => a.params);
    expect(sends).toEqual([{ gen: 3, request: { id: 1, op: 'subscribe', streams: ['a', 'b'], acked: [] } }]);
  });
});

describe('set helpers', () => {
  it('compares sets regardless of order and duplicates', () => {
    expect(sameSet(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameSet(['a', 'b'], ['a', 'a'])).toBe(false);
    expect(sameSet(['a', 'a'], ['a', 'b'])).toBe(false);
  });
});
