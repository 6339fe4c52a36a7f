/**
 * The session machine: pure `transition()` tests of the defined transitions (second start, stop while starting,
 * a provider failing while running) and path tests generated from its graph covering every state node.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { getShortestPaths, toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { sessionMachine, type SessionEvent, type SessionInput } from '../../machines/session.machine.ts';
import type { Bar } from '../../src/domain/bar.ts';

const input: SessionInput = { hasStrategy: true, hasTrading: true, stepTimeoutMs: 1_000 };
const bar: Bar = { provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: 0, closeTime: 59_999, open: 1, high: 2, low: 1, close: 2, volume: 3, vwap: 1.5, tradeCount: 4, final: true, receivedAt: 1 };
const failure = { code: 'CONNECTION_FAILED' as const, message: 'gave up', source: 'marketData' as const };

/** Runs events through the pure transition function, collecting the actions it returned. */
const run = (events: SessionEvent[], from = initialTransition(sessionMachine, input)[0]) => {
  let snapshot = from;
  const actions: { type: string; params?: unknown; event?: unknown }[] = [];
  for (const event of events) {
    const [next, acts] = transition(sessionMachine, snapshot, event);
    snapshot = next;
    actions.push(...(acts as typeof actions));
  }
  return { snapshot, actions };
};

/** Commands sent to children (sendTo actions), as `child:type`. */
const commands = (actions: { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === 'xstate.sendTo').map((a) => {
    const p = a.params as { to: { id?: string } | string; event: { type: string } };
    return (p.event as { type: string }).type;
  });

const started: SessionEvent[] = [
  { type: 'session.start' }, { type: 'writer.opened' }, { type: 'strategy.loaded' }, { type: 'trading.connected' }, { type: 'marketData.started' },
];

describe('session machine', () => {
  it('starts its children in order: writer, strategy, trading, market data', () => {
    const { snapshot, actions } = run(started);
    expect(snapshot.value).toBe('running');
    expect(commands(actions)).toEqual(['writer.open', 'strategy.load', 'trading.connect', 'marketData.start']);
  });

  it('skips the strategy and trading steps when the session only records', () => {
    const { snapshot, actions } = run([{ type: 'session.start' }, { type: 'writer.opened' }], initialTransition(sessionMachine, { ...input, hasStrategy: false, hasTrading: false })[0]);
    expect(snapshot.value).toEqual({ starting: 'startingMarketData' });
    expect(commands(actions)).toEqual(['writer.open', 'marketData.start']);
  });

  it('fans each closed bar out to writer, trading and strategy while running', () => {
    const { actions } = run([...started, { type: 'bar.closed', bar }]);
    expect(commands(actions).slice(-3)).toEqual(['writer.write', 'trading.bar', 'strategy.bar']);
  });

  it('already fans bars out while the last subscriptions are being confirmed', () => {
    const { snapshot, actions } = run([...started.slice(0, 4), { type: 'bar.closed', bar }]);
    expect(snapshot.value).toEqual({ starting: 'startingMarketData' });
    expect(commands(actions).slice(-3)).toEqual(['writer.write', 'trading.bar', 'strategy.bar']);
    expect(snapshot.context.barsReceived).toBe(1);
  });

  it('stops and ends failed when the strategy halts on a bar that arrived while market data was still starting', () => {
    const halted = { ...failure, source: 'strategy' as const, code: 'STRATEGY_FAILED' as const };
    const r = run([...started.slice(0, 4), { type: 'bar.closed', bar }, { type: 'strategy.halted', failure: halted }]);
    expect(r.snapshot.value).toEqual({ stopping: 'stoppingMarketData' });
    const end = run([{ type: 'marketData.stopped' }, { type: 'strategy.stopped' }, { type: 'trading.disconnected' }, { type: 'writer.closed' }], r.snapshot);
    expect(end.snapshot.value).toBe('failed');
    expect(end.snapshot.context.failure).toEqual(halted);
  });

  it('ignores a second start while running and says so', () => {
    const { snapshot, actions } = run([...started, { type: 'session.start' }]);
    expect(snapshot.value).toBe('running');
    expect(actions.some((a) => a.type === 'xstate.emit' && (a.params as { event: { type: string } }).event.type === 'session.ignored')).toBe(true);
  });

  it('stops what was started, in reverse order, when stopped while starting', () => {
    const { snapshot, actions } = run([{ type: 'session.start' }, { type: 'writer.opened' }, { type: 'session.stop' }, { type: 'strategy.stopped' }, { type: 'writer.closed' }]);
    // The strategy load was still in flight, so it counts as started: it is stopped too, then the writer closes.
    expect(commands(actions)).toEqual(['writer.open', 'strategy.load', 'strategy.stop', 'writer.close']);
    expect(snapshot.value).toBe('stopped');
  });

  it('stops in order and ends failed when the market data fails while running, keeping the first failure', () => {
    const r = run([...started, { type: 'marketData.failed', failure }, { type: 'writer.failed', failure: { ...failure, source: 'writer', code: 'WRITE_FAILED' } }]);
    expect(r.snapshot.value).toEqual({ stopping: 'stoppingMarketData' });
    const end = run([{ type: 'marketData.stopped' }, { type: 'strategy.stopped' }, { type: 'trading.disconnected' }, { type: 'writer.closed' }], r.snapshot);
    expect(commands([...r.actions, ...end.actions]).slice(-4)).toEqual(['marketData.stop', 'strategy.stop', 'trading.disconnect', 'writer.close']);
    expect(end.snapshot.value).toBe('failed');
    expect(end.snapshot.context.failure).toEqual(failure);
  });

  it('still persists bars that arrive while stopping, without feeding the strategy', () => {
    const { actions } = run([...started, { type: 'session.stop' }, { type: 'bar.closed', bar }]);
    expect(commands(actions).slice(-2)).toEqual(['writer.write', 'trading.bar']);
  });

  it('reaches every state node through paths generated from its graph', () => {
    const events: SessionEvent[] = [
      ...started, { type: 'session.stop' }, { type: 'marketData.stopped' }, { type: 'strategy.stopped' }, { type: 'trading.disconnected' }, { type: 'writer.closed' },
      { type: 'writer.failed', failure }, { type: 'strategy.failed', failure }, { type: 'strategy.halted', failure }, { type: 'trading.failed', failure }, { type: 'marketData.failed', failure },
      { type: 'bar.closed', bar },
    ];
    // Counters make every bar a new state: identify states by value, started children and failure only.
    const paths = getShortestPaths(sessionMachine, {
      events, input,
      serializeState: (state) => JSON.stringify([state.value, state.context.started, state.context.failure !== null]),
    });
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    const nodes: string[] = [];
    const walk = (n: DirectedGraphNode) => { if (n.children.length === 0) nodes.push(n.id); n.children.forEach(walk); };
    walk(toDirectedGraph(sessionMachine));
    const leafValue = (id: string) => {
      const parts = id.replace(/^session\./, '').split('.');
      return JSON.stringify(parts.length === 1 ? parts[0] : { [parts[0]!]: parts[1] });
    };
    // `stopping.done` is transient (only `always` transitions): it is passed through, never rested in.
    for (const id of nodes.filter((n) => n !== 'session' && n !== 'session.stopping.done')) expect(reached, id).toContain(leafValue(id));
    // Each generated path replays to its state through the pure transition function.
    for (const p of paths) {
      const replayed = run(p.steps.slice(1).map((s) => s.event as SessionEvent));
      expect(replayed.snapshot.value).toEqual(p.state.value);
    }
  });
});
