/**
 * A bounded memory of the keys this writer has committed, with the values it wrote. It lets a flush send new keys
 * through a plain INSERT (about 3x cheaper than INSERT OR REPLACE on a keyed table), send only possible corrections
 * through the upsert, and skip exact re-deliveries. Forgetting is safe: an unknown key that is in fact stored makes
 * the plain INSERT fail on the primary key, and the flush then upserts the whole batch.
 */
import type { Bar } from '../domain/bar.ts';

/** Two generations of at most `capacity / 2` keys each: recent keys stay, old ones age out in O(1). */
export class KnownKeys {
  #current = new Map<string, Bar>();
  #previous = new Map<string, Bar>();
  readonly #generation: number;

  constructor(capacity: number) {
    this.#generation = Math.max(0, Math.floor(capacity / 2));
  }

  /** The stored bar for `key`, when remembered. */
  get(key: string): Bar | undefined {
    if (this.#generation === 0) return undefined;
    return this.#current.get(key) ?? this.#previous.get(key);
  }

  /** Remembers that `bar` is the stored row of `key`. */
  set(key: string, bar: Bar): void {
    if (this.#generation === 0) return;
    this.#current.set(key, bar);
    // A key left behind in the previous generation would shadow nothing: `get` reads the current one first.
    if (this.#current.size >= this.#generation) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
  }

  /** Keys remembered now (both generations, a key in both counted twice). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
