/**
 * Mermaid rendering of a machine: its states as a `stateDiagram-v2` (composite states nested, parallel regions
 * separated by `--`) and the edges of scripts/machine-docs/graph.ts placed in the blocks Mermaid needs.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { ancestors, graphEdges, isBelow } from './graph.ts';

const ANY = 'any_state';
// Words of Mermaid's state grammar that cannot be state ids.
const RESERVED = new Set(['as', 'class', 'classDef', 'default', 'direction', 'end', 'left', 'note', 'of', 'right', 'state', 'style']);

/**
 * Mermaid id of a state node: its path joined with `_` (`open_watching`), since ids are global in a diagram;
 * characters Mermaid does not take become `_`. A node whose id differs from its key is labelled with its key.
 */
const idOf = (node: AnyStateNode): string => {
  if (!node.parent) return ANY;
  const raw = node.path.join('_').replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(raw) && !RESERVED.has(raw) ? raw : `s_${raw}`;
};

/**
 * Where an edge is written: inside the block of the deepest common proper ancestor of its ends, or, when that
 * ancestor is a parallel state, right after the region holding the source (a parallel block holds only its
 * regions, separated by `--`). Mermaid places a state in the block that first names it, so every state is
 * declared before any edge.
 */
const slotOf = (source: AnyStateNode, target: AnyStateNode): { inside?: AnyStateNode; after?: AnyStateNode } => {
  if (!source.parent) return { inside: source };
  const up = new Set(ancestors(target));
  const container = ancestors(source).find((a) => up.has(a)) ?? source.machine.root;
  if (container.type !== 'parallel') return { inside: container };
  let region = source;
  while (region.parent !== container) region = region.parent!;
  return { after: region };
};

interface Edges {
  /** Lines written inside a state's block, after its children. */
  readonly inside: Map<AnyStateNode, string[]>;
  /** Lines written after a region's declaration, inside its parallel parent. */
  readonly after: Map<AnyStateNode, string[]>;
}

const push = (map: Map<AnyStateNode, string[]>, key: AnyStateNode, line: string): void => {
  map.set(key, [...(map.get(key) ?? []), line]);
};

const relativePath = (node: AnyStateNode, from: AnyStateNode): string => node.path.slice(from.path.length).join('.');

/** The edges of `graph` as Mermaid lines, each filed under the block it is written in. */
const placeEdges = (graph: DirectedGraphNode): Edges => {
  const edges: Edges = { inside: new Map(), after: new Map() };
  for (const { source, target, label } of graphEdges(graph)) {
    // Mermaid draws no edge between a composite state and its own descendant (mermaid-js/mermaid#5560): show it as
    // a loop on the composite. The root is drawn as the `(any state)` pseudo-state, not as a composite.
    const [from, to, text] = source.parent && isBelow(target, source) ? [source, source, `${label} (to ${relativePath(target, source)})`]
      : isBelow(source, target) ? [target, target, `${label} (from ${relativePath(source, target)})`]
      : [source, target, label];
    const slot = slotOf(from, to);
    push(slot.inside ? edges.inside : edges.after, (slot.inside ?? slot.after)!, `${idOf(from)} --> ${idOf(to)} : ${text}`);
  }
  return edges;
};

const declare = (graph: DirectedGraphNode, edges: Edges, indent: string): string[] => {
  const node = graph.stateNode;
  const id = idOf(node);
  const label = `${node.key}${node.type === 'history' ? ' (history)' : ''}`;
  const name = label === id ? id : `state "${label.replace(/"/g, "'")}" as ${id}`;
  if (graph.children.length === 0) return [`${indent}${name}`];
  return [`${indent}${name.startsWith('state ') ? name : `state ${id}`} {`, ...body(graph, edges, `${indent}  `), `${indent}}`];
};

const body = (graph: DirectedGraphNode, edges: Edges, indent: string): string[] => {
  const node = graph.stateNode;
  const lines: string[] = [];
  const initial = node.type === 'compound' ? node.initial?.target?.[0] : undefined;
  if (initial) lines.push(`${indent}[*] --> ${idOf(initial)}`);
  graph.children.forEach((child, i) => {
    if (node.type === 'parallel' && i > 0) lines.push(`${indent}--`);
    lines.push(...declare(child, edges, indent));
    for (const line of edges.after.get(child.stateNode) ?? []) lines.push(`${indent}${line}`);
  });
  for (const line of edges.inside.get(node) ?? []) lines.push(`${indent}${line}`);
  for (const child of graph.children) if (child.stateNode.type === 'final') lines.push(`${indent}${idOf(child.stateNode)} --> [*]`);
  return lines;
};

/** The Mermaid `stateDiagram-v2` text of a machine. */
export const renderDiagram = (machine: AnyStateMachine): string => {
  const graph = toDirectedGraph(machine.root);
  const ids = new Map<string, AnyStateNode>();
  const check = (g: DirectedGraphNode): void => {
    const id = idOf(g.stateNode);
    if (ids.has(id)) throw new Error(`machine ${machine.id}: states ${ids.get(id)!.id} and ${g.stateNode.id} share the Mermaid id ${id}`);
    ids.set(id, g.stateNode);
    g.children.forEach(check);
  };
  check(graph);
  const edges = placeEdges(graph);
  const lines = ['stateDiagram-v2'];
  // Transitions declared on the machine root are taken in every state: they start from a pseudo-state.
  if (graph.edges.length > 0 || (machine.root.always?.length ?? 0) > 0) lines.push(`  state "(any state)" as ${ANY}`);
  lines.push(...body(graph, edges, '  '));
  return lines.join('\n');
};
