/**
 * A token bucket: `rate` tokens a second up to `burst`, taken by calls that may pass. The strategy's message
 * gate (host side) and the sandbox (worker side, before a message crosses threads) both meter with it.
 */

/** Tokens refilled at a steady rate up to a cap; `take(n)` passes only when n tokens are there. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(rate: number, burst: number, now: () => number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Takes `n` tokens and returns true, or takes none and returns false when fewer are there. */
  take(n = 1): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Gives back tokens taken for a call that was refused later for another reason. */
  refund(n = 1): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + n);
  }
}
