/**
 * Requests to TWS that end with an `...End` message (positions, open orders, executions, account summary):
 * one waiter per key, so concurrent callers share a single request; each wait times out, and every wait is
 * rejected when the socket goes away. Request ids come from {@link FIRST_REQUEST_ID} up.
 */
import type { Clock, TimerHandle } from '../../clock.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import { FIRST_REQUEST_ID } from './messages.ts';

interface Waiter {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: RealtimeError) => void;
  readonly timer: TimerHandle;
}

/** Open requests and their waiters. */
export class PendingRequests {
  readonly #clock: Clock;
  readonly #waiters = new Map<string | number, Waiter>();
  #nextId = FIRST_REQUEST_ID;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A fresh request id. */
  nextId(): number {
    return this.#nextId++;
  }

  /** True while a request with this key waits for its end. */
  has(key: string | number): boolean {
    return this.#waiters.has(key);
  }

  /**
   * Waits for the end of request `key`; `send` runs only when no such request is in flight. Rejects with
   * CONNECTION_LOST after `timeoutMs` (TWS did not answer).
   */
  request(key: string | number, what: string, timeoutMs: number, send: () => void): Promise<void> {
    const existing = this.#waiters.get(key);
    if (existing) return existing.promise;
    let resolve!: () => void;
    let reject!: (e: RealtimeError) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    const timer = this.#clock.setTimeout(() => {
      this.reject(key, realtimeError('TIMEOUT', `TWS did not answer ${what} within ${timeoutMs} ms`, { request: what }));
    }, timeoutMs);
    this.#waiters.set(key, { promise, resolve, reject, timer });
    // A caller that gives up must not leave an unhandled rejection behind.
    promise.catch(() => undefined);
    send();
    return promise;
  }

  /** Ends request `key` successfully. */
  resolve(key: string | number): void {
    const w = this.#waiters.get(key);
    if (!w) return;
    this.#waiters.delete(key);
    w.timer.cancel();
    w.resolve();
  }

  /** Ends request `key` with an error. */
  reject(key: string | number, error: RealtimeError): void {
    const w = this.#waiters.get(key);
    if (!w) return;
    this.#waiters.delete(key);
    w.timer.cancel();
    w.reject(error);
  }

  /** Ends every request with an error (the socket is gone). */
  rejectAll(error: RealtimeError): void {
    for (const key of [...this.#waiters.keys()]) this.reject(key, error);
  }
}
