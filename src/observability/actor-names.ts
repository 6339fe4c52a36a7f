/**
 * Readable, unique names for actors across actor systems, for traces and the inspector. XState numbers actors per
 * system (`x:0`, `x:1`, …), so the session's root and each provider connection's root are all `x:0`: a root is
 * named by its machine id (`session`, `connection`, `connection#2`, `writer`), a child by its parent's name and its
 * own id (`session.marketData`, `connection.subscriptions`). Also renders state values as dotted text.
 */

/** The parts of an actor reference the names are built from (any XState actor has them). */
export interface ActorRefParts {
  readonly id?: string;
  readonly sessionId: string;
  readonly _parent?: ActorRefParts;
  readonly logic?: unknown;
  readonly system?: unknown;
}

const machineId = (logic: unknown): string | undefined => {
  const config = (logic as { config?: { id?: unknown } } | undefined)?.config;
  return typeof config?.id === 'string' ? config.id : undefined;
};

/** Gives every actor seen a stable readable name and every actor system a small index, in order of appearance. */
export class ActorNames {
  readonly #names = new WeakMap<object, string>();
  readonly #rootCounts = new Map<string, number>();
  readonly #systems = new WeakMap<object, number>();
  #systemCount = 0;

  /** The actor's name: `session`, `session.writer`, `connection#2.subscriptions`, … */
  name(ref: ActorRefParts): string {
    const known = this.#names.get(ref);
    if (known !== undefined) return known;
    let name: string;
    if (ref._parent) {
      name = `${this.name(ref._parent)}.${ref.id ?? ref.sessionId}`;
    } else {
      const base = machineId(ref.logic) ?? (ref.id && ref.id !== ref.sessionId ? ref.id : 'actor');
      const n = (this.#rootCounts.get(base) ?? 0) + 1;
      this.#rootCounts.set(base, n);
      name = n === 1 ? base : `${base}#${n}`;
    }
    this.#names.set(ref, name);
    return name;
  }

  /** Index of the actor's system (0 for the first system seen); actors without one share index 0. */
  system(ref: ActorRefParts): number {
    const system = ref.system;
    if (typeof system !== 'object' || system === null) return 0;
    let index = this.#systems.get(system);
    if (index === undefined) {
      index = this.#systemCount++;
      this.#systems.set(system, index);
    }
    return index;
  }
}

/** A state value as text: `running`, `starting.openingWriter`, `(a.x, b.y)` for parallel regions. */
export const stateText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const parts = Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
    const rest = stateText(inner);
    return rest ? `${key}.${rest}` : key;
  });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : `(${parts.join(', ')})`;
};
