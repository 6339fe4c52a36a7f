/**
 * Reconnect backoff: `min(cap, base·2^attempt)` with "equal jitter" (a random cut of up to `jitter` of the
 * delay), never shorter than the previous delay until the attempt counter resets, and never above the cap.
 */

/** Backoff parameters. */
export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Fraction of the exponential delay that may be cut at random, 0..1. */
  readonly jitter: number;
}

/** The delay before reconnect attempt `attempt` (0-based), given the previous delay and a uniform draw in [0, 1). */
export const backoffDelay = (policy: BackoffPolicy, attempt: number, previousMs: number, draw: number): number => {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = exp * (1 - policy.jitter * draw);
  // Monotone until reset: jitter must never make a later attempt come sooner than an earlier one.
  return Math.round(Math.min(policy.maxDelayMs, Math.max(previousMs, jittered)));
};
