/**
 * Plans and runs machine paths against the real system. Planning uses the machine's own graph
 * (`getShortestPaths` from `xstate/graph`, with the events a driver can cause in each state): the shortest path to
 * every abstract state, then, for every transition, the shortest such path extended by one event that takes it.
 * Running hands each step's event to the driver, which turns it into a real action (a simulator fault, a session
 * command, a full disk) or nothing (the real system produces it itself: a reply, a timer), then waits for the
 * observed actor's state sequence to reach the step and checks that it equals the path so far.
 */
import { createActor, transition, type AnyActorRef, type InspectionEvent, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { transitionKey } from './graph.ts';
import type { InspectionRecorder } from './recorder.ts';

/** One step: the event, and the state the machine is in after it. */
export interface PlannedStep {
  readonly event: EventObject;
  readonly state: AnyMachineSnapshot;
}

/** A path to run: its steps (the first is `xstate.init`) and the transitions its last step takes. */
export interface PlannedPath {
  readonly steps: readonly PlannedStep[];
  readonly takes: readonly string[];
  /** The transitions its events take, every step (eventless ones that follow are not listed). */
  readonly keys?: readonly string[];
}

/**
 * The transitions the pure machine takes along a path, eventless ones included: each step's event is sent to a
 * throwaway actor restored from the previous step's snapshot, and its `@xstate.microstep` inspection events name
 * the transitions (the actor is stopped at once; its actions are the machine's inert defaults).
 */
export const pathKeys = (machine: AnyStateMachine, steps: readonly PlannedStep[]): string[] => {
  const keys = new Set<string>();
  steps.slice(1).forEach((step, i) => {
    const inspect = (ev: InspectionEvent) => {
      if (ev.type === '@xstate.microstep' && ev.actorRef === actor) {
        for (const t of (ev as unknown as { _transitions: never[] })._transitions) keys.add(transitionKey(t));
      }
    };
    const actor = createActor(machine, { snapshot: steps[i]!.state, inspect });
    actor.subscribe({ error: () => {} });
    try {
      actor.start();
      actor.send(step.event);
    } finally {
      actor.stop();
    }
  });
  return [...keys];
};

/** How to traverse the machine's graph. */
export interface PlanOptions {
  readonly input?: unknown;
  /** The events the driver can cause (or the real system produces) in a state. */
  readonly events: (state: AnyMachineSnapshot) => EventObject[];
  /** A finite abstraction of a state: what changes what can happen next. */
  readonly serializeState: (state: AnyMachineSnapshot) => string;
}

/** A readable form of a path: its events. */
export const describePath = (path: PlannedPath): string => path.steps.slice(1).map((s) => s.event.type).join(' → ') || '(initial)';

/** The shortest paths to every state, and one path per transition that some drivable event takes. */
export const planPaths = (machine: AnyStateMachine, options: PlanOptions): PlannedPath[] => {
  const traversal = { events: options.events, serializeState: options.serializeState, ...(options.input !== undefined ? { input: options.input } : {}) };
  const shortest = getShortestPaths(machine, traversal as never).sort((a, b) => a.steps.length - b.steps.length);
  const byKey = new Map<string, PlannedPath>();
  const plans: PlannedPath[] = [];
  for (const p of shortest) {
    const steps = p.steps as unknown as PlannedStep[];
    plans.push({ steps, takes: [] });
    const end = p.state as AnyMachineSnapshot;
    if (end.status !== 'active') continue;
    for (const event of options.events(end)) {
      const [next] = transition(machine, end as never, event as never);
      const last = { event, state: next as AnyMachineSnapshot };
      // The event's own transitions and the eventless ones they lead to (a transient state's branches).
      const keys = pathKeys(machine, [steps.at(-1)!, last]);
      const fresh = keys.filter((k) => !byKey.has(k));
      if (fresh.length === 0) continue;
      const path = { steps: [...steps, last], takes: keys };
      for (const k of fresh) byKey.set(k, path);
    }
  }
  const unique = new Map<string, PlannedPath>();
  for (const p of [...plans, ...byKey.values()]) {
    const name = JSON.stringify(p.steps.map((s) => s.event));
    const seen = unique.get(name);
    unique.set(name, seen ? { steps: seen.steps, takes: [...new Set([...seen.takes, ...p.takes])] } : p);
  }
  return [...unique.values()].map((p) => ({ ...p, keys: pathKeys(machine, p.steps) })).sort((a, b) => a.steps.length - b.steps.length);
};

/** What a driver does for one step. */
export interface Driver<S> {
  /** Starts a fresh real system for a path (the path lets it pick timeouts the path needs). */
  start(path: PlannedPath, recorder: InspectionRecorder): Promise<S>;
  /** The real actor whose state sequence must equal the path (undefined until the system has created it). */
  observed(system: S): AnyActorRef | undefined;
  /** Turns one event into an action on the real system (nothing for events the system produces itself). */
  act(system: S, event: EventObject, before: AnyMachineSnapshot): Promise<void> | void;
  /** Domain invariants at the end of the path; throws when one is broken. */
  check(system: S, path: PlannedPath): Promise<void>;
  stop(system: S): Promise<void>;
}

/** The JSON state values of a path's steps, consecutive repeats folded (as the recorder folds them). */
export const expectedSequence = (path: PlannedPath): string[] => {
  const out: string[] = [];
  for (const s of path.steps) {
    const v = JSON.stringify(s.state.value);
    if (out.at(-1) !== v) out.push(v);
  }
  return out;
};

/** A path's expected sequence disagreeing with the observed one. */
export class PathDiverged extends Error {
  readonly expected: readonly string[];
  readonly observed: readonly string[];
  constructor(path: PlannedPath, expected: readonly string[], observed: readonly string[]) {
    super(`real actor left the path ${describePath(path)}\n  expected ${expected.join(' → ')}\n  observed ${observed.join(' → ')}`);
    this.expected = expected;
    this.observed = observed;
  }
}

/**
 * Runs one path on a fresh real system: after each step's action, waits until the observed sequence has reached
 * that step and equals the path up to it; then checks the invariants. The real system may go on by itself after
 * the last step (a reconnect after a backoff); only the path's own prefix is compared.
 */
export const runPath = async <S>(path: PlannedPath, driver: Driver<S>, recorder: InspectionRecorder, timeoutMs = 15_000): Promise<void> => {
  const system = await driver.start(path, recorder);
  try {
    const expected = expectedSequence(path);
    const prefixOf = (step: number) => {
      const seen: PlannedStep[] = path.steps.slice(0, step + 1) as PlannedStep[];
      return expectedSequence({ steps: seen, takes: [] });
    };
    const reach = (want: string[]) => recorder.until(() => {
      const actor = driver.observed(system);
      if (!actor) return undefined;
      const seen = recorder.sequence(actor).length > 0 ? recorder.sequence(actor) : [JSON.stringify(actor.getSnapshot().value)];
      const n = Math.min(seen.length, want.length);
      for (let i = 0; i < n; i++) if (seen[i] !== want[i]) throw new PathDiverged(path, expected, seen);
      return seen.length >= want.length ? true : undefined;
    }, `${describePath(path)}: state ${want.at(-1)}`, timeoutMs);
    if (driver.observed(system)) await reach(prefixOf(0));
    for (let i = 1; i < path.steps.length; i++) {
      await driver.act(system, path.steps[i]!.event, path.steps[i - 1]!.state);
      await reach(prefixOf(i));
    }
    // A step that keeps the state (an action-only transition) is only done once the real actor has taken it.
    const machineId = path.steps[0]!.state.machine.id;
    await recorder.until(() => (path.takes.every((k) => recorder.seen.get(machineId)?.transitions.has(k)) ? true : undefined),
      `${describePath(path)}: transitions ${path.takes.join(', ')}`, timeoutMs);
    await driver.check(system, path);
  } finally {
    await driver.stop(system);
  }
};
