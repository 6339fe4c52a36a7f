/**
 * A bounded memory of the keys this writer has committed, with the values it wrote. It lets a flush send new keys
 * through a plain INSERT (about 3x cheaper than INSERT OR REPLACE on a keyed table), send only possible corrections
 * through the upsert, and skip exact re-deliveries. Forgetting is safe: an unknown key that is in fact stored makes
 * the plain INSERT fail on the primary key, and the flush then upserts the whole batch.
 */
import type { Bar } from '../domain/bar.ts';

/** The values a row stores besides its key (what a re-delivery must match to be skipped). */
export type StoredValues = Pick<Bar, 'open' | 'high' | 'low' | 'close' | 'volume' | 'vwap' | 'tradeCount'>;

const FIELDS = 7;

/**
 * One generation: key → slot, and the slot's seven values in one Float64Array (null as NaN: a stored vwap or
 * trade count is finite or null). Keeping numbers in a slab rather than the `Bar` objects holds ~90 B per key
 * instead of ~400 B: the cache no longer dominates the heap of a long recording (docs/benchmarks.md, Findings).
 */
class Generation {
  readonly slots = new Map<string, number>();
  readonly values: Float64Array;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity * FIELDS);
  }

  get size(): number {
    return this.slots.size;
  }

  /** Slot of `key`, or -1. */
  slot(key: string): number {
    return this.slots.get(key) ?? -1;
  }

  write(key: string, bar: StoredValues): void {
    let slot = this.slots.get(key);
    if (slot === undefined) this.slots.set(key, (slot = this.slots.size));
    const v = this.values;
    const at = slot * FIELDS;
    v[at] = bar.open;
    v[at + 1] = bar.high;
    v[at + 2] = bar.low;
    v[at + 3] = bar.close;
    v[at + 4] = bar.volume;
    v[at + 5] = bar.vwap ?? Number.NaN;
    v[at + 6] = bar.tradeCount ?? Number.NaN;
  }

  read(slot: number): StoredValues {
    const v = this.values;
    const at = slot * FIELDS;
    const vwap = v[at + 5]!;
    const trades = v[at + 6]!;
    return {
      open: v[at]!, high: v[at + 1]!, low: v[at + 2]!, close: v[at + 3]!, volume: v[at + 4]!,
      vwap: Number.isNaN(vwap) ? null : vwap, tradeCount: Number.isNaN(trades) ? null : trades,
    };
  }
}

/** Two generations of at most `capacity / 2` keys each: recent keys stay, old ones age out in O(1). */
export class KnownKeys {
  readonly #generation: number;
  #current: Generation;
  #previous: Generation;
  /**
   * Newest open time ever remembered per stream (provider → symbol → interval). A bar newer than that cannot be
   * remembered, so {@link find} answers without probing the two large maps: the common case of a live stream.
   */
  readonly #newest = new Map<string, Map<string, Map<string, number>>>();

  constructor(capacity: number) {
    this.#generation = Math.max(0, Math.floor(capacity / 2));
    this.#current = new Generation(this.#generation);
    this.#previous = new Generation(0);
  }

  /** The stored values of `key`, when remembered. */
  get(key: string): StoredValues | undefined {
    if (this.#generation === 0) return undefined;
    const slot = this.#current.slot(key);
    if (slot >= 0) return this.#current.read(slot);
    const old = this.#previous.slot(key);
    return old >= 0 ? this.#previous.read(old) : undefined;
  }

  /** {@link get} for `bar`, whose key is `key`; no map lookup when `bar` is newer than its stream's newest. */
  find(key: string, bar: Bar): StoredValues | undefined {
    if (this.#generation === 0) return undefined;
    const newest = this.#newest.get(bar.provider)?.get(bar.symbol)?.get(bar.interval);
    if (newest === undefined || bar.openTime > newest) return undefined;
    return this.get(key);
  }

  /** Remembers that `bar` is the stored row of `key`. */
  set(key: string, bar: Bar): void {
    if (this.#generation === 0) return;
    this.#current.write(key, bar);
    // A key left behind in the previous generation would shadow nothing: `get` reads the current one first.
    if (this.#current.size >= this.#generation) {
      this.#previous = this.#current;
      this.#current = new Generation(this.#generation);
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
