/**
 * How the subscription set matches server answers to its requests: acknowledgements by id and per stream,
 * errors with and without an id, rejected streams inside a batch, and the counters of what was sent.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition } from 'xstate';
import { isSynced, subscriptionsMachine, type SubscriptionsContext } from '../../machines/subscriptions.machine.ts';
import { testLimits } from './support/connection-harness.ts';
import { SubscriptionsHarness } from './support/subscriptions-harness.ts';

/** Spacing of the sender at 5 messages per second: floor(1000 / 5) + 10. */
const GAP = 210;
const online = (limits: Parameters<typeof testLimits>[0] = {}): SubscriptionsHarness => {
  const h = new SubscriptionsHarness(limits);
  h.send({ type: 'connection.ready', gen: 1 });
  return h;
};
const requests = (h: SubscriptionsHarness) => h.controls.map((c) => [c.request.op, c.request.streams]);

describe('subscriptions: answers', () => {
  it('starts offline with nothing wanted when no initial streams are given', () => {
    const [s] = initialTransition(subscriptionsMachine, { controlPerSecond: 5, ackTimeoutMs: 1_000, maxStreamsPerMessage: 10 });
    expect(s.value).toBe('offline');
    expect(s.context).toMatchObject({ desired: [], confirmed: [], rejected: [], isolate: [], pending: [], pongs: [], gen: null, nextId: 1, reportedSynced: false, sent: 0 });
  });

  it('is synced only online, with nothing in flight and the same streams confirmed as desired', () => {
    const base = initialTransition(subscriptionsMachine, testLimits({ initial: ['a'] }))[0].context;
    const c = (patch: Partial<SubscriptionsContext>): SubscriptionsContext => ({ ...base, gen: 1, confirmed: ['a'], ...patch });
    expect(isSynced(c({}))).toBe(true);
    expect(isSynced(c({ gen: null }))).toBe(false);
    expect(isSynced(c({ pending: [{ id: 1, op: 'subscribe', streams: ['b'], acked: [] }] }))).toBe(false);
    expect(isSynced(c({ confirmed: [] }))).toBe(false);
  });

  it('ignores an acknowledgement of an id it never sent', () => {
    const h = online({ initial: ['a'] });
    h.send({ type: 'control.ack', gen: 1, id: 99 });
    expect(h.context.pending.map((p) => p.id)).toEqual([1]);
    expect(h.context.confirmed).toEqual([]);
  });

  it('numbers requests consecutively and counts every message sent, pongs included', () => {
    const h = online({ initial: ['a'] });
    h.send({ type: 'ping.received', gen: 1, payload: 'p' });
    h.advance(GAP);
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    h.advance(GAP);
    expect(h.controls.map((c) => c.request.id)).toEqual([1, 2]);
    expect(h.context).toMatchObject({ nextId: 3, sent: 3 });
  });

  it('does not send an unsubscribe again while the first is in flight, and splits a large one', () => {
    const h = online({ initial: ['a', 'b', 'c'], maxStreamsPerMessage: 2 });
    h.advance(GAP);
    for (const c of h.controls) h.send({ type: 'control.ack', gen: 1, id: c.request.id });
    h.send({ type: 'subscriptions.remove', streams: ['a', 'b', 'c'] });
    h.advance(5 * GAP);
    expect(requests(h).slice(2)).toEqual([['unsubscribe', ['a', 'b']], ['unsubscribe', ['c']]]);
  });

  it('completes a request acknowledged stream by stream, only by answers of its own operation', () => {
    const h = online({ initial: ['a', 'b'] });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'unsubscribe', stream: 'a' });
    expect(h.context.pending[0]!.acked).toEqual([]);
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'z' });
    expect(h.context.pending).toEqual([{ id: 1, op: 'subscribe', streams: ['a', 'b'], acked: ['a'] }]);
    expect(h.context.confirmed).toEqual(['a']);
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'b' });
    expect(h.context.pending).toEqual([]);
    expect(h.context.confirmed).toEqual(['a', 'b']);
    expect(h.synced()).toHaveLength(1);
  });

  it('retries the streams of a failed batch one per message, and a lone stream acknowledged per stream confirms it', () => {
    const h = online({ initial: ['a', 'b'] });
    h.send({ type: 'control.error', gen: 1, id: 1, code: 2, message: 'invalid' });
    h.advance(GAP);
    expect(requests(h)).toEqual([['subscribe', ['a', 'b']], ['subscribe', ['a']]]);
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    expect(h.context.pending).toEqual([]);
    expect(h.context).toMatchObject({ confirmed: ['a'], isolate: ['b'] });
  });

  it('matches an error to the request with its id among several in flight', () => {
    const h = online({ initial: ['a'] });
    h.advance(GAP);
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    h.advance(GAP);
    h.send({ type: 'control.error', gen: 1, id: 2, code: 2, message: 'unknown stream' });
    expect(h.context.pending.map((p) => p.id)).toEqual([1]);
    expect(h.context.rejected).toEqual(['b']);
    expect(h.emitted).toContainEqual(expect.objectContaining({ type: 'subscription.rejected', stream: 'b', code: 2, message: 'unknown stream' }));
  });

  it('matches an error without an id only when a single request is in flight', () => {
    const h = online({ initial: ['a'] });
    h.advance(GAP);
    h.send({ type: 'subscriptions.add', streams: ['b'] });
    h.advance(GAP);
    h.send({ type: 'control.error', gen: 1, id: null, code: 2, message: '?' });
    expect(h.context.pending.map((p) => p.id)).toEqual([1, 2]);
    h.send({ type: 'control.ack', gen: 1, id: 1 });
    h.send({ type: 'control.error', gen: 1, id: null, code: 2, message: 'unknown stream' });
    expect(h.context.pending).toEqual([]);
    expect(h.context.rejected).toEqual(['b']);
  });

  it('treats a failed unsubscribe as done: the stream is no longer counted as confirmed', () => {
    const h = online({ initial: ['a', 'b'] });
    h.ackLast();
    h.send({ type: 'subscriptions.remove', streams: ['a'] });
    h.advance(GAP);
    expect(requests(h).at(-1)).toEqual(['unsubscribe', ['a']]);
    h.send({ type: 'control.error', gen: 1, id: h.last.request.id, code: 3, message: 'not subscribed' });
    expect(h.context.pending).toEqual([]);
    expect(h.context.confirmed).toEqual(['b']);
    expect(h.context.rejected).toEqual([]);
  });

  it('drops a rejected stream from its batch and finishes the batch once the rest is acknowledged', () => {
    const h = online({ initial: ['a', 'b', 'c'] });
    h.send({ type: 'control.streamRejected', gen: 1, stream: 'b', code: 4, message: 'no such stream' });
    expect(h.context.pending).toEqual([{ id: 1, op: 'subscribe', streams: ['a', 'c'], acked: [] }]);
    expect(h.context).toMatchObject({ rejected: ['b'], desired: ['a', 'c'] });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'c' });
    expect(h.context.pending).toEqual([]);
    expect(h.context.confirmed).toEqual(['a', 'c']);
  });

  it('finishes a batch whose last unacknowledged stream is rejected', () => {
    const h = online({ initial: ['a', 'b'] });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    h.send({ type: 'control.streamRejected', gen: 1, stream: 'b', code: 4, message: 'no such stream' });
    expect(h.context.pending).toEqual([]);
    expect(h.context).toMatchObject({ confirmed: ['a'], rejected: ['b'], desired: ['a'] });
    expect(h.synced()).toHaveLength(1);
  });

  it('reports a sync once, and not again when asked to remove a stream it does not want', () => {
    const h = online({ initial: ['a'] });
    h.ackLast();
    h.send({ type: 'subscriptions.remove', streams: ['zzz'] });
    h.advance(GAP);
    expect(h.synced()).toHaveLength(1);
  });
  it('completes one of several requests in flight stream by stream without touching the others', () => {
    const h = online({ initial: ['a'] });
    h.advance(GAP);
    h.send({ type: 'subscriptions.add', streams: ['b', 'c'] });
    h.advance(GAP);
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'b' });
    expect(h.context.pending).toEqual([
      { id: 1, op: 'subscribe', streams: ['a'], acked: [] },
      { id: 2, op: 'subscribe', streams: ['b', 'c'], acked: ['b'] },
    ]);
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    expect(h.context.pending).toEqual([{ id: 2, op: 'subscribe', streams: ['b', 'c'], acked: ['b'] }]);
  });

  it('keeps a batch waiting for its unacknowledged stream after another of its streams is rejected', () => {
    const h = online({ initial: ['a', 'b', 'c'] });
    h.send({ type: 'control.streamAcked', gen: 1, op: 'subscribe', stream: 'a' });
    h.send({ type: 'control.streamRejected', gen: 1, stream: 'b', code: 4, message: 'no such stream' });
    expect(h.context.pending).toEqual([{ id: 1, op: 'subscribe', streams: ['a', 'c'], acked: ['a'] }]);
  });

  it('stops isolating a stream the server rejects', () => {
    const h = online({ initial: ['a', 'b'] });
    h.send({ type: 'control.error', gen: 1, id: 1, code: 2, message: 'invalid' });
    expect(h.context.isolate).toEqual(['a', 'b']);
    h.send({ type: 'control.streamRejected', gen: 1, stream: 'b', code: 4, message: 'no such stream' });
    expect(h.context.isolate).toEqual(['a']);
  });
});
