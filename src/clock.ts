/** Wall clock and timers behind an interface, so components with timers can be driven by tests. */

/** A cancellable timer handle. */
export type TimerHandle = { readonly cancel: () => void };

/** Time and timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  sleep(ms: number): Promise<void>;
}

/** The real clock (timers are unref'd so they never keep a process alive on their own). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The subset of XState's clock (`SimulatedClock`, an actor's `clock` option) a {@link Clock} converts from and to. */
export interface XStateClock {
  now?(): number;
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A {@link Clock} over XState's `SimulatedClock`: tests drive sessions and machines by the same `increment()`. */
export const clockFromXState = (sim: XStateClock & { now(): number }): Clock => ({
  now: () => sim.now(),
  setTimeout: (fn, ms) => {
    const id = sim.setTimeout(fn, ms);
    return { cancel: () => sim.clearTimeout(id) };
  },
  sleep: (ms) => new Promise((resolve) => { sim.setTimeout(() => resolve(), ms); }),
});

/** XState's clock interface over a {@link Clock}, for the actors a component starts on that clock. */
export const xstateClockOf = (clock: Clock): XStateClock => {
  const timers = new Map<number, TimerHandle>();
  let next = 1;
  return {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.set(id, clock.setTimeout(() => { timers.delete(id); fn(); }, ms));
      return id;
    },
    clearTimeout: (id) => {
      timers.get(id as number)?.cancel();
      timers.delete(id as number);
    },
  };
};
