/**
 * The fleet's rebalancing rule, pure: given the universe of streams, who holds which, and how many recorders
 * are alive, which streams this recorder should try to take and which it should give back. Every recorder
 * aims at `ceil(streams / recorders)`; free streams are tried in an order hashed with the recorder's id, so
 * recorders starting together mostly try different streams first.
 */
import { createHash } from 'node:crypto';

/** Input of {@link planLeases}. */
export interface LeaseView {
  readonly self: string;
  /** Every stream key of the fleet's universe. */
  readonly universe: readonly string[];
  /** Current holder of each leased stream. */
  readonly holders: ReadonlyMap<string, string>;
  /** Recorders alive (including `self`). */
  readonly live: number;
}

/** What to do this round. */
export interface LeasePlan {
  readonly acquire: readonly string[];
  readonly release: readonly string[];
}

const rank = (self: string, key: string): string => createHash('sha256').update(`${self}|${key}`).digest('hex');

/** Plans one round of acquiring and releasing. */
export const planLeases = ({ self, universe, holders, live }: LeaseView): LeasePlan => {
  const target = Math.ceil(universe.length / Math.max(1, live));
  const mine = universe.filter((k) => holders.get(k) === self).sort((a, b) => (rank(self, a) < rank(self, b) ? -1 : 1));
  if (mine.length > target) return { acquire: [], release: mine.slice(target) };
  const free = universe.filter((k) => !holders.has(k)).sort((a, b) => (rank(self, a) < rank(self, b) ? -1 : 1));
  return { acquire: free.slice(0, target - mine.length), release: [] };
};
