/**
 * The session machine's stop path through pure `transition()`: it undoes only what was started, reports the
 * failure that stopped it, and a writer that never confirms its close makes the stop fail rather than hang.
 */
import { initialTransition, transition, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { sessionMachine, type SessionEmitted, type SessionEvent, type SessionInput } from '../../machines/session.machine.ts';

const input: SessionInput = { hasStrategy: true, hasTrading: true, stepTimeoutMs: 1_000 };
type Snap = ReturnType<typeof initialTransition<typeof sessionMachine>>[0];
type Action = { type: string; params?: unknown };

const run = (events: readonly AnyEventObject[], from: Snap = initialTransition(sessionMachine, input)[0]) => {
  let snapshot = from;
  const actions: Action[] = [];
  for (const event of events) {
    const [next, acts] = transition(sessionMachine, snapshot, event as SessionEvent);
    snapshot = next;
    actions.push(...(acts as Action[]));
  }
  return { snapshot, actions };
};
const sent = (actions: readonly Action[]): string[] =>
  actions.filter((a) => a.type === 'xstate.sendTo').map((a) => (a.params as { event: { type: string } }).event.type);
const emitted = (actions: readonly Action[]): SessionEmitted[] =>
  actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: SessionEmitted }).event);
const timeout = (state: string): AnyEventObject => ({ type: `xstate.after.step.session.stopping.${state}` });

const failure = { code: 'CONNECTION_FAILED' as const, message: 'gave up', source: 'marketData' as const };
const running: SessionEvent[] = [
  { type: 'session.start' }, { type: 'writer.opened' }, { type: 'strategy.loaded' }, { type: 'trading.connected' }, { type: 'marketData.started' },
];

describe('session machine stop', () => {
  it('starts with nothing started, no failure and no bars', () => {
    expect(initialTransition(sessionMachine, input)[0].context).toEqual({
      hasStrategy: true, hasTrading: true, stepTimeoutMs: 1_000, failure: null, barsReceived: 0,
      started: { writer: false, strategy: false, trading: false, marketData: false },
    });
  });

  it('stops only the writer when stopped while the writer opens', () => {
    const { snapshot, actions } = run([{ type: 'session.start' }, { type: 'session.stop' }]);
    expect(snapshot.value).toEqual({ stopping: 'closingWriter' });
    expect(sent(actions)).toEqual(['writer.open', 'writer.close']);
  });

  it('skips stopping a strategy the session does not have', () => {
    const { actions } = run([{ type: 'session.start' }, { type: 'writer.opened' }, { type: 'trading.connected' }, { type: 'session.stop' },
      { type: 'marketData.stopped' }, { type: 'trading.disconnected' }],
      initialTransition(sessionMachine, { ...input, hasStrategy: false })[0]);
    expect(sent(actions)).toEqual(['writer.open', 'trading.connect', 'marketData.start', 'marketData.stop', 'trading.disconnect', 'writer.close']);
  });

  it('reports the failure that stopped it when stopping and when failed', () => {
    const { snapshot, actions } = run([...running, { type: 'marketData.failed', failure }, { type: 'marketData.stopped' },
      { type: 'strategy.stopped' }, { type: 'trading.disconnected' }, { type: 'writer.closed' }]);
    expect(snapshot.value).toBe('failed');
    expect(emitted(actions).filter((e) => e.type === 'session.state').slice(-2)).toEqual([
      { type: 'session.state', state: 'stopping', failure },
      { type: 'session.state', state: 'failed', failure },
    ]);
  });

  it('fails the stop when the writer never confirms its close, naming the writer', () => {
    const { snapshot } = run([...running, { type: 'session.stop' }, { type: 'marketData.stopped' }, { type: 'strategy.stopped' },
      { type: 'trading.disconnected' }, timeout('closingWriter')]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.failure).toEqual({ code: 'TIMEOUT', source: 'writer', message: 'closing the writer did not answer in time' });
  });

  it('keeps the first failure when the writer close also times out', () => {
    const { snapshot } = run([...running, { type: 'trading.failed', failure: { ...failure, source: 'trading' } }, { type: 'marketData.stopped' },
      { type: 'strategy.stopped' }, { type: 'trading.disconnected' }, timeout('closingWriter')]);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.failure).toEqual({ ...failure, source: 'trading' });
  });

  it('moves on when a child does not answer its stop step in time, without failing', () => {
    const { snapshot, actions } = run([...running, { type: 'session.stop' }, timeout('stoppingMarketData'), timeout('stoppingStrategy'),
      timeout('disconnectingTrading'), { type: 'writer.closed' }]);
    expect(snapshot.value).toBe('stopped');
    expect(sent(actions).slice(-4)).toEqual(['marketData.stop', 'strategy.stop', 'trading.disconnect', 'writer.close']);
  });
});
