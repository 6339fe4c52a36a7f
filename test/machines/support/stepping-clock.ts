/**
 * A `SimulatedClock` that fires every timer at its own due time. `SimulatedClock.increment(ms)` jumps to the
 * end first and then runs every due callback with `now()` already at the end, so a timer armed by a callback
 * starts late; stepping from due time to due time keeps delays exact (a backoff of 300 ms after a timeout that
 * fired at 1000 ms reconnects at 1300 ms, not at the end of the increment).
 */
import { SimulatedClock } from 'xstate';

/** SimulatedClock with exact, ordered timer firing and a hook run after each fired step. */
export class SteppingClock extends SimulatedClock {
  private readonly due = new Map<number, number>();
  /** Called after each group of timers fires (invariant checks). */
  afterStep: (() => void) | undefined;

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    let id = -1;
    id = super.setTimeout(() => {
      this.due.delete(id);
      fn();
    }, timeout);
    this.due.set(id, this.now() + timeout);
    return id;
  }

  override clearTimeout(id: number): void {
    this.due.delete(id);
    super.clearTimeout(id);
  }

  /** Moves time forward by `ms`, firing each timer at its due time, in due order. */
  advance(ms: number): void {
    const end = this.now() + ms;
    for (;;) {
      let next = Infinity;
      for (const at of this.due.values()) if (at < next) next = at;
      if (next > end) break;
      this.set(Math.max(next, this.now()));
      this.afterStep?.();
    }
    this.set(end);
    this.afterStep?.();
  }

  /** Due time of the earliest pending timer, or undefined. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const at of this.due.values()) if (next === undefined || at < next) next = at;
    return next;
  }
}
