/**
 * The writer's one buffer: an append-only view over a shared array, compacted once the consumed prefix
 * dominates, so every snapshot keeps seeing exactly its own rows at O(1) per appended bar.
 */
import type { Bar } from '../../src/domain/bar.ts';

/**
 * Append-only view `[start, end)` over a shared array. Appending pushes onto the shared array when this view owns
 * its tail (`rows.length === end`) and copies otherwise, so every snapshot keeps seeing exactly its own rows while
 * a long run costs O(1) per appended bar instead of copying the buffer on every write.
 */
export interface BarQueue {
  readonly rows: Bar[];
  readonly start: number;
  readonly end: number;
}

/** A queue holding nothing. */
export const emptyQueue = (): BarQueue => ({ rows: [], start: 0, end: 0 });

/** Rows in the queue. */
export const queueLength = (q: BarQueue): number => q.end - q.start;

/** The queue with `bars` appended (the shared array grows in place when this view owns its tail). */
export const queueAppend = (q: BarQueue, bars: readonly Bar[]): BarQueue => {
  if (q.rows.length === q.end) {
    for (const bar of bars) q.rows.push(bar);
    return { rows: q.rows, start: q.start, end: q.end + bars.length };
  }
  const rows = q.rows.slice(q.start, q.end).concat(bars);
  return { rows, start: 0, end: rows.length };
};

/** The queue without its first `n` rows. */
export const queueDrop = (q: BarQueue, n: number): BarQueue => {
  const start = q.start + n;
  if (start >= q.end) return emptyQueue();
  // Compact once the consumed prefix dominates, so memory stays proportional to the live rows.
  if (start >= 4096 && start > q.end - start) return { rows: q.rows.slice(start, q.end), start: 0, end: q.end - start };
  return { rows: q.rows, start, end: q.end };
};

/** The first `n` rows of a queue, as a fresh array. */
export const queueTake = (q: BarQueue, n: number): Bar[] => q.rows.slice(q.start, q.start + Math.min(n, queueLength(q)));
