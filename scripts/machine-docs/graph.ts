/**
 * Graph extraction for the machine diagrams: every transition of a machine as a (source, target, label) edge,
 * from `toDirectedGraph` of `xstate/graph` plus the eventless `always` transitions it leaves out, with
 * readable labels for events, delays and guards. Knows nothing of Mermaid (scripts/machine-docs/mermaid.ts).
 */
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import type { DirectedGraphNode } from 'xstate/graph';

/** The proper ancestors of a state node, nearest first. */
export const ancestors = (node: AnyStateNode): AnyStateNode[] => {
  const out: AnyStateNode[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(p);
  return out;
};

/** True when `node` is a proper descendant of `of`. */
export const isBelow = (node: AnyStateNode, of: AnyStateNode): boolean => ancestors(node).includes(of);

type Guard = string | { type?: unknown } | ((...args: never[]) => unknown) | undefined;

/** A readable name for a guard: its name, `not(…)`, `and(…)`, `or(…)`, `in state`, or `inline`. */
export const guardLabel = (guard: Guard): string | undefined => {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as { name?: string; guards?: Guard[]; stateValue?: unknown };
    if (g.name === 'stateIn' && g.stateValue !== undefined) {
      return `in ${typeof g.stateValue === 'string' ? g.stateValue.replace(/^#/, '') : JSON.stringify(g.stateValue).replace(/"/g, '')}`;
    }
    if ((g.name === 'not' || g.name === 'and' || g.name === 'or') && Array.isArray(g.guards)) {
      return `${g.name}(${g.guards.map((x) => guardLabel(x) ?? 'inline').join(', ')})`;
    }
    return 'inline';
  }
  return typeof guard.type === 'string' ? guard.type : 'inline';
};

/** The label of a transition: its event (`after <delay>`, `always`), then the guard in brackets. */
export const transitionLabel = (t: AnyTransitionDefinition): string => {
  const delay = (t as { delay?: unknown }).delay;
  const event = t.eventType === '' ? 'always'
    : delay !== undefined ? `after ${typeof delay === 'number' ? `${delay}ms` : String(delay)}`
    : String(t.eventType);
  const guard = guardLabel(t.guard as Guard);
  // These characters have meanings in Mermaid's state grammar.
  return `${event}${guard ? ` [${guard}]` : ''}`.replace(/[:;#{}]/g, ' ');
};

/** One transition to one target; a transition without a target (actions only) targets its own state. */
export interface GraphEdge {
  readonly source: AnyStateNode;
  readonly target: AnyStateNode;
  readonly label: string;
}

/** Every edge of `graph` and its descendants, the node's own first, then its children's, in definition order. */
export const graphEdges = (graph: DirectedGraphNode): GraphEdge[] => {
  const node = graph.stateNode;
  const out: GraphEdge[] = [];
  const transitions = new Set<AnyTransitionDefinition>([...graph.edges.map((e) => e.transition), ...(node.always ?? [])]);
  for (const t of transitions) {
    const label = transitionLabel(t);
    for (const target of t.target?.length ? t.target : [node]) out.push({ source: node, target, label });
  }
  for (const child of graph.children) out.push(...graphEdges(child));
  return out;
};
