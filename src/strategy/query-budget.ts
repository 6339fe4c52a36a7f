/**
 * The time budget of a strategy's `executeSQL`: how much of the wall clock its queries may keep DuckDB busy.
 * A query's cost is only known once it has run (a scan of a trillion rows parses as fast as `SELECT 1`), so the
 * budget is charged afterwards and may go into debt: a query may start while any time is left, runs at most its
 * timeout, and the calls after it are refused until the debt is earned back. Over any long window strategy
 * queries therefore occupy at most `msPerSecond` per second, whatever their shape: a flood of slow scans or of
 * huge results costs the host that share of one DuckDB thread and no more.
 */

/** Rate and burst of a {@link QueryBudget}. */
export interface QueryBudgetOptions {
  /** Query time earned per second of wall clock (ms). */
  readonly msPerSecond: number;
  /** Most query time that can be saved up (ms); a fresh budget starts full. */
  readonly burstMs: number;
}

/** The default: a quarter of one thread, and two queries of the default 5 s timeout saved up. */
export const DEFAULT_QUERY_BUDGET: QueryBudgetOptions = { msPerSecond: 250, burstMs: 10_000 };

/** Query time left, earned at a steady rate up to a cap and charged after each query, possibly below zero. */
export class QueryBudget {
  readonly #options: QueryBudgetOptions;
  readonly #now: () => number;
  #left: number;
  #at: number;

  constructor(options: QueryBudgetOptions, now: () => number) {
    if (!(options.msPerSecond > 0) || !(options.burstMs > 0)) {
      throw new RangeError(`a query budget needs msPerSecond > 0 and burstMs > 0, got ${options.msPerSecond} and ${options.burstMs}`);
    }
    this.#options = options;
    this.#now = now;
    this.#left = options.burstMs;
    this.#at = now();
  }

  #refill(): void {
    const now = this.#now();
    this.#left = Math.min(this.#options.burstMs, this.#left + ((now - this.#at) / 1000) * this.#options.msPerSecond);
    this.#at = now;
  }

  /** Ms until a query may start again: 0 while any query time is left. */
  waitMs(): number {
    this.#refill();
    return this.#left > 0 ? 0 : Math.ceil(((1 - this.#left) / this.#options.msPerSecond) * 1000);
  }

  /** Charges `ms` of query time. */
  spend(ms: number): void {
    this.#refill();
    this.#left -= Math.max(0, ms);
  }

  /** The budget's rate and cap, for messages. */
  get options(): QueryBudgetOptions {
    return this.#options;
  }
}
