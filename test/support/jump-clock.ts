/**
 * A Clock whose timers fire at once (on the next microtask), time jumping to their due time: code that paces itself
 * runs at full speed, and the test asserts the waits it asked for (`waits`) instead of measuring wall time.
 */
import type { Clock, TimerHandle } from '../../src/clock.ts';

/** A clock that records every wait and jumps over it. */
export class JumpClock implements Clock {
  #t: number;
  /** Every `setTimeout` / `sleep` duration asked for, in order (cancelled ones included). */
  readonly waits: number[] = [];

  constructor(start = 0) {
    this.#t = start;
  }

  now(): number {
    return this.#t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.waits.push(ms);
    let cancelled = false;
    queueMicrotask(() => {
      if (cancelled) return;
      this.#t += Math.max(0, ms);
      fn();
    });
    return { cancel: () => { cancelled = true; } };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => { this.setTimeout(resolve, ms); });
  }
}
