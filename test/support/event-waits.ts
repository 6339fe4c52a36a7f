/**
 * Waits that end on events, never on sleeps: a condition is checked whenever something it may read changed (a bar,
 * an error, a state, an actor snapshot, a simulator step, a socket closing), and only a failure deadline uses a
 * timer. Wire the sources with `poke`; `until` then resolves on the first event after which the condition holds.
 */

/** A change notifier with condition waits. */
export interface EventWaits {
  /** Call on every event a condition may depend on. */
  readonly poke: () => void;
  /** Resolves once `ok()` holds, checked now and on every `poke`; rejects after `ms` with `what` in the message. */
  readonly until: (ok: () => boolean, what: string, ms?: number) => Promise<void>;
}

/** A fresh notifier. */
export const eventWaits = (): EventWaits => {
  const checks = new Set<() => void>();
  const poke = (): void => {
    for (const check of [...checks]) check();
  };
  const until = (ok: () => boolean, what: string, ms = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (ok()) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        checks.delete(check);
      };
      const check = (): void => {
        if (!ok()) return;
        done();
        resolve();
      };
      // A failure bound, not a synchronisation: the wait ends on `poke` long before this in a passing run.
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      checks.add(check);
    });
  return { poke, until };
};
