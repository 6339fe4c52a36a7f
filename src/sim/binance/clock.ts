/**
 * The simulator's market clock: market time advances in fixed steps, either on a wall-clock timer (one step
 * every `tickMs`) or synchronously through `advance()`, so tests can replay months of bars in seconds.
 */
import { systemClock, type Clock, type TimerHandle } from '../../clock.ts';

/** Market time source that drives the simulated exchange. */
export interface MarketClock {
  /** Current market time (ms). */
  now(): number;
  /** True while the wall-clock timer is stopped. */
  readonly paused: boolean;
  /** Stops the wall-clock timer (market time stands still until resumed or advanced). */
  pause(): void;
  /** Restarts the wall-clock timer. */
  resume(): void;
  /** Advances `steps` market steps synchronously, calling the step listener for each. */
  advance(steps?: number): void;
  /** Stops the timer for good. */
  stop(): void;
}

/** Options of {@link createMarketClock}. */
export interface MarketClockOptions {
  readonly startTime: number;
  readonly tickMs: number;
  readonly stepMs: number;
  readonly paused: boolean;
  /** Called once per step with the market interval (from, to]. */
  readonly onStep: (from: number, to: number) => void;
  /** Timers of the ticks: the system clock by default; tests pass a hand-driven one to run or stop ticks exactly. */
  readonly timers?: Clock;
}

/** Creates a market clock; the timer runs unless `paused`. */
export const createMarketClock = (options: MarketClockOptions): MarketClock => {
  let now = options.startTime;
  const timers = options.timers ?? systemClock;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const step = (): void => {
    const from = now;
    now += options.stepMs;
    options.onStep(from, now);
  };

  // The next tick is armed before the step runs, so a step listener that pauses the clock cancels it.
  const tick = (): void => {
    timer = timers.setTimeout(tick, options.tickMs);
    step();
  };
  const start = (): void => {
    if (timer === undefined && !stopped) timer = timers.setTimeout(tick, options.tickMs);
  };
  const halt = (): void => {
    timer?.cancel();
    timer = undefined;
  };

  if (!options.paused) start();

  return {
    now: () => now,
    get paused() {
      return timer === undefined;
    },
    pause: halt,
    resume: start,
    advance: (steps = 1) => {
      for (let i = 0; i < steps; i++) step();
    },
    stop: () => {
      stopped = true;
      halt();
    },
  };
};
