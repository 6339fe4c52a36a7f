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
  /**
   * Newest open time ever remembered per stream (provider → symbol → interval). A bar newer than that cannot be
   * remembered, so {@link find} answers without probing the two large maps: the common case of a live stream.
   */
  readonly #newest = new Map<string, Map<string, Map<string, number>>>();

  constructor(capacity: number) {
    this.#generation = Math.max(0, Math.floor(capacity / 2));
  }

  /** The stored bar for `key`, when remembered. */
  get(key: string): Bar | undefined {
    if (this.#generation === 0) return undefined;
    return this.#current.get(key) ?? this.#previous.get(key);
  }

  /** {@link get} for `bar`, whose key is `key`; no map lookup when `bar` is newer than its stream's newest. */
  find(key: string, bar: Bar): Bar | undefined {
    if (this.#generation === 0) return undefined;
    const newest = this.#newest.get(bar.provider)?.get(bar.symbol)?.get(bar.interval);
    if (newest === undefined || bar.openTime > newest) return undefined;
    return this.get(key);
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
    let symbols = this.#newest.get(bar.provider);
    if (symbols === undefined) this.#newest.set(bar.provider, (symbols = new Map()));
    let intervals = symbols.get(bar.symbol);
    if (intervals === undefined) symbols.set(bar.symbol, (intervals = new Map()));
    const newest = intervals.get(bar.interval);
    if (newest === undefined || bar.openTime > newest) intervals.set(bar.interval, bar.openTime);
  }

  /** Keys remembered now (both generations, a key in both counted twice). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
