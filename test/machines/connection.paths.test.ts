/**
 * Path tests generated from the connection machine's own graph (`xstate/graph`): every state node is reachable
 * with a policy that needs a handshake, and every generated path replays to its end state through the pure
 * `transition()` function. Delayed transitions are part of the graph as their `xstate.after.*` events.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { getShortestPaths, getSimplePaths, toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { connectionMachine, type ConnectionEvent, type ConnectionInput } from '../../machines/connection.machine.ts';
import { testLimits, testPolicy } from './support/connection-harness.ts';

const input: ConnectionInput = {
  policy: testPolicy({ handshake: true, maxAttempts: 1, maxAgeMs: 60_000 }),
  subscriptions: testLimits({ initial: ['a'] }),
  seed: 1,
};

type Snapshot = ReturnType<typeof initialTransition<typeof connectionMachine>>[0];

/** The events a test can send in `state`, tagged with the generations that matter there. */
const eventsFor = (state: Snapshot): ConnectionEvent[] => {
  const { gen, draining } = state.context;
  const events: ConnectionEvent[] = [
    { type: 'connection.start' },
    { type: 'connection.stop' },
    { type: 'connection.rotate' },
    { type: 'connection.fatal', code: 'INVALID_SYMBOL', message: 'fatal' },
    { type: 'socket.opened', gen },
    { type: 'socket.closed', gen, code: 1006, reason: '' },
    { type: 'socket.activity', gen },
    { type: 'server.shutdown', gen },
    { type: 'handshake.succeeded', gen },
    { type: 'handshake.failed', gen, fatal: true, code: 'AUTHENTICATION_FAILED', message: 'bad key' },
    { type: 'handshake.failed', gen, fatal: false, code: 'TIMEOUT', reason: 'auth_timeout', message: 'late' },
    { type: 'subscriptions.synced', gen, count: 1 },
    { type: 'subscriptions.unresponsive', gen },
  ];
  if (draining !== null) events.push({ type: 'socket.closed', gen: draining, code: 1001, reason: '' });
  // Timers fire as `xstate.after.<delay>.<state id>` events; a custom event list must name them itself.
  const timers = state._nodes.flatMap((node) => node.after.map((t) => ({ type: t.eventType }) as unknown as ConnectionEvent));
  return [...events, ...timers];
};

/** A finite abstraction of the state: its value and the context facts that change what can happen next. */
const serializeState = (state: Snapshot): string =>
  JSON.stringify({
    value: state.value,
    rotating: state.context.draining !== null,
    failures: state.context.failures,
    failed: state.context.failure !== null,
    expectData: state.context.expectData,
  });

const traversal = { input, events: eventsFor, serializeState: serializeState as (s: AnyMachineSnapshot) => string };

type Step = { event: unknown; state: unknown };

/**
 * Replays a path from the initial state through `transition()`. The traversal keeps one representative snapshot
 * per abstract state, so a socket event carries the generation of that representative; it is re-aimed at the
 * same socket (current or draining) of the snapshot being replayed. Paths start with `xstate.init` (the start).
 */
const replay = (steps: readonly Step[]): Snapshot => {
  let [snapshot] = initialTransition(connectionMachine, input);
  let representative = snapshot;
  for (const step of steps) {
    const event = step.event as ConnectionEvent;
    if ((event.type as string) !== 'xstate.init') {
      let aimed = event;
      if ('gen' in event) {
        const toDraining = representative.context.draining !== null && event.gen === representative.context.draining;
        aimed = { ...event, gen: toDraining ? (snapshot.context.draining ?? -1) : snapshot.context.gen };
      }
      [snapshot] = transition(connectionMachine, snapshot, aimed);
    }
    representative = step.state as Snapshot;
  }
  return snapshot;
};

const nodeIds = (node: DirectedGraphNode): string[] => [node.id, ...node.children.flatMap(nodeIds)];

/** Every state node the machine defines, read from its graph (so a new state cannot escape the test). */
const ALL_NODES = nodeIds(toDirectedGraph(connectionMachine)).filter((id) => id !== 'connection').sort();

describe('connection machine paths', () => {
  const paths = getShortestPaths(connectionMachine, traversal);

  it('defines exactly the documented state nodes', () => {
    expect(ALL_NODES).toEqual(
      ['backoff', 'closed', 'connecting', 'failed', 'handshaking', 'idle', 'open', 'open.watching'].map((s) => `connection.${s}`).sort(),
    );
  });

  it('reaches every state node from idle', () => {
    const reached = new Set(paths.flatMap((p) => (p.state as Snapshot)._nodes.map((n) => n.id)));
    for (const id of ALL_NODES) expect(reached, id).toContain(id);
  });

  it('reaches a rotation in progress and a failure by exhausted attempts', () => {
    const states = paths.map((p) => p.state as Snapshot);
    expect(states.some((s) => s.matches('connecting') && s.context.draining !== null)).toBe(true);
    expect(states.some((s) => s.matches({ open: 'watching' }) && s.context.draining !== null)).toBe(true);
    expect(states.some((s) => s.matches('failed') && s.context.failure?.code === 'CONNECTION_FAILED')).toBe(true);
    expect(states.some((s) => s.matches('failed') && s.context.failure?.code === 'AUTHENTICATION_FAILED')).toBe(true);
  });

  it('replays every shortest path to its end state through transition()', () => {
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) {
      const end = replay(path.steps);
      expect(serializeState(end), path.steps.map((s) => s.event.type).join(' → ')).toBe(serializeState(path.state as Snapshot));
    }
  });

  it('replays simple paths to every open state through transition()', () => {
    // Every simple path is enumerated: leave out fatal (an end like stop) and activity (a self-loop) to keep it quick.
    const lifecycle = (state: Snapshot) => eventsFor(state).filter((e) => !['connection.fatal', 'socket.activity'].includes(e.type));
    const toOpen = getSimplePaths(connectionMachine, { ...traversal, events: lifecycle, toState: (s) => s.matches('open') });
    expect(toOpen.length).toBeGreaterThan(20);
    for (const path of toOpen) {
      const end = replay(path.steps);
      expect(serializeState(end)).toBe(serializeState(path.state as Snapshot));
      expect(end.value).toEqual({ open: 'watching' });
    }
  });

  it('always passes through handshaking on the way to open when the policy needs a handshake', () => {
    for (const path of paths.filter((p) => (p.state as Snapshot).matches('open'))) {
      const visited = path.steps.map((s) => JSON.stringify((s.state as Snapshot).value));
      expect(visited).toContain(JSON.stringify('handshaking'));
    }
  });
});
