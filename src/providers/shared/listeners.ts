/** A tiny typed listener set: listeners that throw are isolated from each other and from the caller. */

/** A set of callbacks of one signature. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();
  private readonly onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = (e) => console.error('argo-realtime: a listener threw:', e)) {
    this.onListenerError = onListenerError;
  }

  /** Adds a listener; returns its remover. */
  add(fn: (...args: A) => void): () => void {
    this.set.add(fn);
    return () => this.set.delete(fn);
  }

  /** Calls every listener with `args`. */
  emit(...args: A): void {
    for (const fn of this.set) {
      try {
        fn(...args);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}
