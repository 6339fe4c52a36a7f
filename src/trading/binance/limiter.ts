/**
 * Outgoing request limiter of the Binance trading client: requests go out one at a time in call order, at most
 * `requestsPerSecond`, never while a `Retry-After` (429 / 418) is running, never past 90 % of the request
 * weight per minute the server reports (`x-mbx-used-weight-1m`), and order placements within the ORDERS
 * limits of exchangeInfo. Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits
 */
import type { BinanceRateLimit } from './messages.ts';

/** Clock and sleep of the limiter (injected for tests). */
export interface LimiterOptions {
  readonly requestsPerSecond: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const INTERVAL_MS = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 } as const;
/** Share of the weight limit used before waiting for the next minute (the rest is left for retries). */
const WEIGHT_SHARE = 0.9;

/** Paces requests to Binance's limits. */
export class RequestLimiter {
  readonly #options: LimiterOptions;
  #queue: Promise<void> = Promise.resolve();
  #lastAt = -Infinity;
  #blockedUntil = 0;
  #weightLimit = 6_000;
  #weightMinute = -1;
  #usedWeight = 0;
  #orderWindows: { readonly intervalMs: number; readonly limit: number; times: number[] }[] = [
    { intervalMs: 10_000, limit: 100, times: [] },
  ];

  constructor(options: LimiterOptions) {
    this.#options = options;
  }

  /** Waits until a request of `weight` (an order placement when `isOrder`) may go out, and books it. */
  acquire(weight: number, isOrder = false): Promise<void> {
    const turn = this.#queue.then(() => this.#waitFor(weight, isOrder));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Takes the server's count of weight used in the current minute. */
  noteUsedWeight(used: number): void {
    if (!Number.isFinite(used) || used < 0) return;
    this.#weightMinute = Math.floor(this.#options.now() / 60_000);
    this.#usedWeight = used;
  }

  /** Holds every request until `until` (ms), e.g. for a `Retry-After`. */
  blockUntil(until: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, until);
  }

  /** Adopts the REQUEST_WEIGHT and ORDERS limits of exchangeInfo. */
  configure(limits: readonly BinanceRateLimit[]): void {
    const weight = limits.find((l) => l.rateLimitType === 'REQUEST_WEIGHT' && l.interval === 'MINUTE' && l.intervalNum === 1);
    if (weight && weight.limit > 0) this.#weightLimit = weight.limit;
    const orders = limits.filter((l) => l.rateLimitType === 'ORDERS' && l.limit > 0);
    if (orders.length > 0) {
      this.#orderWindows = orders.map((l) => ({ intervalMs: INTERVAL_MS[l.interval] * l.intervalNum, limit: l.limit, times: [] }));
    }
  }

  /** The earliest time a request may go out. */
  #readyAt(now: number, weight: number, isOrder: boolean): number {
    let at = Math.max(this.#blockedUntil, this.#lastAt + 1_000 / this.#options.requestsPerSecond);
    const minute = Math.floor(now / 60_000);
    if (minute === this.#weightMinute && this.#usedWeight + weight > this.#weightLimit * WEIGHT_SHARE) {
      at = Math.max(at, (minute + 1) * 60_000);
    }
    if (isOrder) {
      for (const w of this.#orderWindows) {
        w.times = w.times.filter((t) => t > now - w.intervalMs);
        if (w.times.length >= w.limit) at = Math.max(at, w.times[0]! + w.intervalMs);
      }
    }
    return at;
  }

  async #waitFor(weight: number, isOrder: boolean): Promise<void> {
    for (;;) {
      const now = this.#options.now();
      const at = this.#readyAt(now, weight, isOrder);
      if (at <= now) break;
      await this.#options.sleep(at - now);
    }
    const now = this.#options.now();
    this.#lastAt = now;
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#weightMinute) [this.#weightMinute, this.#usedWeight] = [minute, 0];
    this.#usedWeight += weight;
    if (isOrder) for (const w of this.#orderWindows) w.times.push(now);
  }
}
