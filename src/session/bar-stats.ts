/**
 * The session's bar figures for `stats()`: bars received, bars per second over a sliding 10 s window, and each
 * symbol's last bar with its age, all read from an injected clock (a `SimulatedClock` in tests).
 */
import type { Clock } from '../clock.ts';
import type { Bar } from '../domain/bar.ts';
import type { SessionStats } from './types.ts';

const WINDOW_MS = 10_000;

/** Counts closed bars and reports their rate and the last one per symbol. */
export class BarStats {
  readonly #clock: Clock;
  /** Receive times inside the window, oldest first, from `#head` on (a head index, not `shift()`, keeps it O(1)). */
  #recent: number[] = [];
  #head = 0;
  readonly #last: Record<string, { openTime: number; close: number; at: number }> = {};
  /** Closed bars received. */
  received = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Counts one closed bar, received now. */
  add(bar: Bar): void {
    const now = this.#clock.now();
    this.received++;
    this.#recent.push(now);
    this.#trim(now);
    this.#last[bar.symbol] = { openTime: bar.openTime, close: bar.close, at: now };
  }

  /** Bars per second over the last 10 s. */
  barsPerSecond(): number {
    this.#trim(this.#clock.now());
    return (this.#recent.length - this.#head) / (WINDOW_MS / 1000);
  }

  /** Each symbol's last closed bar and how long ago it arrived. */
  lastBars(): SessionStats['lastBars'] {
    const now = this.#clock.now();
    return Object.fromEntries(Object.entries(this.#last).map(([s, b]) => [s, { openTime: b.openTime, close: b.close, ageMs: now - b.at }]));
  }

  #trim(now: number): void {
    while (this.#head < this.#recent.length && this.#recent[this.#head]! < now - WINDOW_MS) this.#head++;
    // Drop the consumed prefix once it dominates, so memory follows the bars in the window.
    if (this.#head > 1024 && this.#head * 2 > this.#recent.length) {
      this.#recent = this.#recent.slice(this.#head);
      this.#head = 0;
    }
  }
}
