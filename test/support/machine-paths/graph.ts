/**
 * The static inventory of a machine: every state node and every transition (each branch of an event's transition
 * list, every `always` branch and every delayed transition), each under a stable key that the real actors'
 * `@xstate.microstep` inspection events map back to. Keys are built from the state node id, so they are the same
 * for the pure machine and for the `provide()`d copy the real system runs.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** A transition definition as XState hands it to inspectors (`@xstate.microstep` `_transitions`). */
export interface TransitionLike {
  readonly source: AnyStateNode;
  readonly eventType: string;
  readonly target?: readonly AnyStateNode[] | undefined;
}

/** One transition of the inventory. */
export interface TransitionInfo {
  readonly key: string;
  readonly source: string;
  readonly event: string;
  readonly targets: readonly string[];
}

const allNodes = (node: AnyStateNode): AnyStateNode[] => [node, ...Object.values(node.states).flatMap((n) => allNodes(n as AnyStateNode))];

// `xstate.after.backoff.connection.backoff` → `after(backoff)`: the source id already says where.
const eventLabel = (eventType: string, source: AnyStateNode): string => {
  if (eventType === '') return 'always';
  const after = `.${source.id}`;
  if (eventType.startsWith('xstate.after.') && eventType.endsWith(after)) return `after(${eventType.slice(13, -after.length)})`;
  return eventType;
};

const branches = (node: AnyStateNode, eventType: string): readonly TransitionLike[] =>
  eventType === '' ? ((node.always ?? []) as TransitionLike[]) : ((node.transitions.get(eventType) ?? []) as TransitionLike[]);

/** The key of one transition definition: `source --event[branch]--> targets`. */
export const transitionKey = (t: TransitionLike): string => {
  const list = branches(t.source, t.eventType);
  const index = list.indexOf(t);
  const targets = (t.target ?? []).map((n) => n.id).join(',') || '(stay)';
  return `${t.source.id} --${eventLabel(t.eventType, t.source)}${list.length > 1 ? `[${index}]` : ''}--> ${targets}`;
};

/** Every state node id of a machine, the root excepted. */
export const stateIds = (machine: AnyStateMachine): string[] => allNodes(machine.root).slice(1).map((n) => n.id);

/** Every transition of a machine. */
export const transitions = (machine: AnyStateMachine): TransitionInfo[] =>
  allNodes(machine.root).flatMap((node) => {
    const types = ['', ...node.transitions.keys()];
    return types.flatMap((type) => branches(node, type).map((t) => ({
      key: transitionKey(t), source: node.id, event: eventLabel(type, node), targets: (t.target ?? []).map((n) => n.id),
    })));
  });

const isParentSend = (v: unknown): boolean =>
  typeof v === 'function' && (v as { type?: unknown }).type === 'xstate.sendTo' && (v as { to?: unknown }).to === '#_parent';

const stripParentSends = (v: unknown): unknown => {
  if (isParentSend(v)) return () => {};
  if (Array.isArray(v)) return v.map(stripParentSends);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripParentSends(x)]));
  }
  return v;
};

/**
 * The same machine (same ids, same transitions, same keys) with its `sendParent` actions made inert, so that a
 * child machine can be traversed on its own: a pure traversal has no parent to send to.
 */
export const withoutParent = <M extends AnyStateMachine>(machine: M): M => {
  const config = stripParentSends(machine.config) as M['config'];
  return new (machine.constructor as new (c: unknown, i: unknown) => M)(config, machine.implementations);
};
