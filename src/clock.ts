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
