/**
 * Which of an order's listed executions to apply, reconciled with the venue's cumulative executed quantity
 * (`executedQty` of the order answer or query, the same figure as the user-data stream's `z`). A venue can list an
 * execution twice under a new trade id (the simulator's `duplicateNextExecutions` fault): applying the copy would
 * report a fill that never happened. So an execution is applied only while the applied total stays within what the
 * venue reports as executed; the rest are refused, and since their ids are not marked as seen they are weighed
 * again at the next reading (a genuine execution refused against a stale cumulative is applied once the cumulative
 * catches up). Executions whose price, quantity, commission and time repeat those of a lower trade id of the same
 * order (what a copy looks like) are weighed last, so a genuine execution is applied before a copy takes its room.
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

/** Why an execution was not applied: it would take the applied total past the venue's executed quantity. */
export type ExecutionRefusal = 'past_venue_executed';

/** The executions to apply, in order, and those refused this time. */
export interface ExecutionChoice {
  readonly apply: readonly Execution[];
  readonly refused: readonly { readonly execution: Execution; readonly reason: ExecutionRefusal }[];
}

const EPSILON = 1e-9;

const contentOf = (x: Execution): string => `${x.price}|${x.qty}|${x.commission}|${x.commissionAsset}|${x.time}`;

/**
 * Chooses, among `listed` executions not in `seen`, those that fit within `executed` given `applied` already
 * applied: distinct executions first (by trade id), then repeats of a lower trade id's content (by trade id).
 */
export const chooseExecutions = (
  listed: readonly Execution[], seen: ReadonlySet<number>, applied: number, executed: number,
): ExecutionChoice => {
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
  let total = applied;
  for (const x of [...distinct, ...repeats]) {
    if (total + x.qty > executed + EPSILON * Math.max(1, executed)) {
      refused.push({ execution: x, reason: 'past_venue_executed' });
      continue;
    }
    total += x.qty;
    apply.push(x);
  }
  // Applied in trade-id order, as the venue made them.
  apply.sort((a, b) => a.id - b.id);
  return { apply, refused };
};
