/**
 * Which of an order's listed executions to apply, reconciled with the venue's cumulative executed quantity
 * (`executedQty` of the order answer or query, the same figure as the user-data stream's `z`). A venue can list an
 * execution twice under a new trade id (the simulator's `duplicateNextExecutions` fault): applying the copy would
 * report a fill that never happened. So an execution is applied only while the applied total stays within what the
 * venue reports as executed; the rest are refused, and since their ids are not marked as seen they are weighed
 * again at the next reading (a genuine execution refused against a stale cumulative is applied once the cumulative
 * catches up). Executions whose price, quantity, commission and time repeat those of a lower trade id of the same
 * order (what a copy looks like) are weighed last, so a genuine execution is applied before a copy takes its room;
 * and a repeat is applied only when it makes the applied quantity and quote value equal the venue's cumulative
 * ones (`executedQty`, `cummulativeQuoteQty`): two genuine executions of equal content are, while a copy standing in
 * for a genuine execution the list lacks yet would leave the quote value off (it has another price).
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints (Query order).
 */

/** One execution of an order as the tracker applies it (quote-valued fee computed later). */
export interface Execution {
  readonly id: number;
  readonly price: number;
  readonly qty: number;
  readonly commission: number;
  readonly commissionAsset: string;
  readonly time: number;
}

/**
 * Why an execution was not applied: it would take the applied total past the venue's executed quantity, or it
 * repeats an earlier execution and applying it would not account exactly for the venue's cumulative figures.
 */
export type ExecutionRefusal = 'past_venue_executed' | 'repeat_not_accounted';

/** What the venue reports as executed so far, and what was applied of it. */
export interface Cumulative {
  /** The venue's executed quantity (`executedQty`). */
  readonly executed: number;
  /** The venue's executed quote value (`cummulativeQuoteQty`); negative or NaN when the venue does not have it. */
  readonly executedQuote: number;
  readonly applied: number;
  readonly appliedQuote: number;
}

/** The executions to apply, in order, and those refused this time. */
export interface ExecutionChoice {
  readonly apply: readonly Execution[];
  readonly refused: readonly { readonly execution: Execution; readonly reason: ExecutionRefusal }[];
}

const EPSILON = 1e-9;

const contentOf = (x: Execution): string => `${x.price}|${x.qty}|${x.commission}|${x.commissionAsset}|${x.time}`;

const fits = (value: number, limit: number): boolean => value <= limit + EPSILON * Math.max(1, limit);
const equal = (a: number, b: number): boolean => Math.abs(a - b) <= EPSILON * Math.max(1, Math.abs(b)) + 1e-8;

/**
 * Chooses, among `listed` executions not in `seen`, those that fit within the venue's cumulative figures: distinct
 * executions first (by trade id), then repeats of a lower trade id's content when they account for them exactly.
 */
export const chooseExecutions = (listed: readonly Execution[], seen: ReadonlySet<number>, at: Cumulative): ExecutionChoice => {
  const byId = [...listed].sort((a, b) => a.id - b.id);
  const contents = new Set<string>();
  const distinct: Execution[] = [];
  const repeats: Execution[] = [];
  for (const x of byId) {
    const key = contentOf(x);
    if (!seen.has(x.id)) (contents.has(key) ? repeats : distinct).push(x);
    contents.add(key);
  }
  const apply: Execution[] = [];
  const refused: ExecutionChoice['refused'][number][] = [];
  let total = at.applied;
  let quote = at.appliedQuote;
  const weigh = (xs: readonly Execution[]): Execution[] => {
    const taken: Execution[] = [];
    for (const x of xs) {
      if (!fits(total + x.qty, at.executed)) refused.push({ execution: x, reason: 'past_venue_executed' });
      else {
        total += x.qty;
        quote += x.qty * x.price;
        taken.push(x);
      }
    }
    return taken;
  };
  apply.push(...weigh(distinct));
  const repeated = weigh(repeats);
  const quoteKnown = Number.isFinite(at.executedQuote) && at.executedQuote >= 0;
  if (repeated.length > 0 && !(equal(total, at.executed) && (!quoteKnown || equal(quote, at.executedQuote)))) {
    for (const x of repeated) refused.push({ execution: x, reason: 'repeat_not_accounted' });
  } else apply.push(...repeated);
  // Applied in trade-id order, as the venue made them.
  apply.sort((a, b) => a.id - b.id);
  return { apply, refused };
};
