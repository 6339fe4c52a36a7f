/** ProviderSignals: announced states, redacted errors, the closed gate, and waits that end on changes, never on polls. */
import { describe, expect, it } from 'vitest';
import { realtimeError, type RealtimeError } from '../../../src/errors.ts';
import { ProviderSignals } from '../../../src/providers/shared/provider-signals.ts';
import { ManualClock } from '../../support/manual-clock.ts';

/** How a pending promise ended, read without waiting on time. */
const outcome = <T>(p: Promise<T>) => {
  const o: { state: 'pending' | 'resolved' | 'rejected'; error?: RealtimeError } = { state: 'pending' };
  p.then(() => { o.state = 'resolved'; }, (e: RealtimeError) => { o.state = 'rejected'; o.error = e; });
  return o;
};
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('ProviderSignals.waitFor', () => {
  it('resolves at once when the condition already holds, with no timer left behind', async () => {
    const clock = new ManualClock();
    const signals = new ProviderSignals(clock);
    await signals.waitFor(() => true, undefined, undefined, 1_000);
    await clock.advance(5_000);
  });

  it('resolves on the change that makes the condition hold, without time passing', async () => {
    const clock = new ManualClock();
    const signals = new ProviderSignals(clock);
    let ready = false;
    let checks = 0;
    const wait = outcome(signals.waitFor(() => { checks++; return ready; }));
    signals.changed();
    await settle();
    expect(wait.state).toBe('pending');
    ready = true;
    signals.changed();
    await settle();
    expect(wait.state).toBe('resolved');
    expect(clock.now()).toBe(0);
    const before = checks;
    signals.changed();
    expect(checks).toBe(before);
  });

  it('re-checks pending waits on every setState, also when the announced state stays the same', async () => {
    const signals = new ProviderSignals(new ManualClock());
    const states: string[] = [];
    signals.states.add((s) => states.push(s));
    let ready = false;
    const wait = outcome(signals.waitFor(() => ready));
    signals.setState('connecting', { connection: 0 });
    ready = true;
    signals.setState('connecting', { connection: 1 });
    await settle();
    expect(wait.state).toBe('resolved');
    expect(states).toEqual(['connecting']);
  });

  it('rejects with the failure the check reports', async () => {
    const signals = new ProviderSignals(new ManualClock());
    let failure: RealtimeError | undefined;
    const wait = outcome(signals.waitFor(() => false, undefined, () => failure));
    failure = realtimeError('AUTHENTICATION_FAILED', 'bad key');
    signals.changed();
    await settle();
    expect(wait.state).toBe('rejected');
    expect(wait.error).toBe(failure);
  });

  it('rejects every pending wait when the provider closes', async () => {
    const signals = new ProviderSignals(new ManualClock());
    const a = outcome(signals.waitFor(() => false));
    const b = outcome(signals.waitFor(() => false));
    signals.closed = true;
    await settle();
    expect([a.state, b.state]).toEqual(['rejected', 'rejected']);
    expect(a.error).toMatchObject({ code: 'CLOSED', message: 'provider disconnected' });
    await expect(signals.waitFor(() => false)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('rejects when the caller aborts, with the abort reason', async () => {
    const signals = new ProviderSignals(new ManualClock());
    const controller = new AbortController();
    const wait = outcome(signals.waitFor(() => false, controller.signal));
    await settle();
    expect(wait.state).toBe('pending');
    controller.abort('gave up');
    await settle();
    expect(wait.state).toBe('rejected');
    expect(wait.error).toMatchObject({ code: 'ABORTED', data: { reason: 'gave up' } });
  });

  it('rejects at its deadline on the injected clock, and not a millisecond before', async () => {
    const clock = new ManualClock();
    const signals = new ProviderSignals(clock);
    const wait = outcome(signals.waitFor(() => false, undefined, undefined, 30_000));
    await clock.advance(29_999);
    expect(wait.state).toBe('pending');
    await clock.advance(1);
    expect(wait.state).toBe('rejected');
    expect(wait.error).toMatchObject({ code: 'SUBSCRIPTION_FAILED', message: 'timed out waiting for the server', data: { reason: 'no answer within 30000 ms' } });
  });

  it('cancels its deadline once it resolves', async () => {
    const clock = new ManualClock();
    const signals = new ProviderSignals(clock);
    let ready = false;
    const wait = outcome(signals.waitFor(() => ready, undefined, undefined, 100));
    ready = true;
    signals.changed();
    await clock.advance(1_000);
    expect(wait.state).toBe('resolved');
  });

  it('ends a wait whose condition throws with an error, and keeps the others', async () => {
    const signals = new ProviderSignals(new ManualClock());
    let ready = false;
    const broken = outcome(signals.waitFor(() => { if (ready) throw new Error('boom'); return false; }));
    const fine = outcome(signals.waitFor(() => ready));
    ready = true;
    expect(() => signals.changed()).not.toThrow();
    await settle();
    expect(broken.error).toMatchObject({ code: 'INTERNAL_ERROR', message: 'wait condition failed: boom' });
    expect(fine.state).toBe('resolved');
  });
});

describe('ProviderSignals', () => {
  it('announces a state only when it changes', () => {
    const signals = new ProviderSignals(new ManualClock());
    const seen: [string, number][] = [];
    signals.states.add((s, d) => seen.push([s, d.connection]));
    signals.setState('connecting', { connection: 0 });
    signals.setState('connecting', { connection: 0 });
    signals.setState('connected', { connection: 0 });
    expect(seen).toEqual([['connecting', 0], ['connected', 0]]);
    expect(signals.state).toBe('connected');
  });

  it('redacts secrets in the message and data of every error it reports, and keeps code and retry rule', () => {
    const signals = new ProviderSignals(new ManualClock());
    const errors: RealtimeError[] = [];
    signals.errors.add((e) => errors.push(e));
    signals.fail(realtimeError('CONNECTION_FAILED', 'GET wss://x/?apiKey=abcdef123456 failed', { url: 'wss://x/?apiKey=abcdef123456' }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('CONNECTION_FAILED');
    expect(JSON.stringify([errors[0]!.message, errors[0]!.data])).not.toContain('abcdef123456');
  });

  it('reports nothing once closed, and clear drops every listener', () => {
    const signals = new ProviderSignals(new ManualClock());
    const calls: string[] = [];
    signals.errors.add(() => calls.push('error'));
    signals.data.add(() => calls.push('bar'));
    signals.closed = true;
    signals.fail(realtimeError('CONNECTION_FAILED', 'late'));
    expect(calls).toEqual([]);
    signals.clear();
    expect([signals.data.size, signals.errors.size, signals.states.size]).toEqual([0, 0, 0]);
  });
});
