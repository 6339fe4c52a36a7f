/**
 * What every provider tells its consumers, in one place: bar, error and connection-state listeners, the
 * aggregated state, a closed gate (nothing is emitted after `disconnect()`), redaction of every error on its way
 * out, and a wait for a condition (connected, confirmed) that is re-checked on every change the provider reports
 * (`changed()`: a state, a snapshot of its actors), fails fast when the provider closes, and ends at one deadline
 * timer on the injected clock.
 */
import type { Clock, TimerHandle } from '../../clock.ts';
import type { Bar } from '../../domain/bar.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import { redact } from '../../secrets.ts';
import type { ConnectionState, ConnectionStateDetail } from '../realtime-provider.ts';
import { Listeners } from './listeners.ts';

/** Listener sets, state and closing of one provider. */
export class ProviderSignals<B extends Bar = Bar> {
  readonly data = new Listeners<[B]>();
  readonly errors = new Listeners<[RealtimeError]>();
  readonly states = new Listeners<[ConnectionState, ConnectionStateDetail]>();
  /** The state last announced to listeners. */
  state: ConnectionState = 'disconnected';
  private readonly clock: Clock;
  private isClosed = false;
  /** Pending waits, each re-checked by `changed()`. */
  private readonly waiters = new Set<() => void>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Set by `disconnect()`: no listener is called afterwards and waits end. */
  get closed(): boolean {
    return this.isClosed;
  }

  set closed(value: boolean) {
    this.isClosed = value;
    this.changed();
  }

  /** Announces a state when it changed; pending waits are re-checked either way (a shard's own state moved). */
  setState(state: ConnectionState, detail: ConnectionStateDetail): void {
    if (state !== this.state) {
      this.state = state;
      this.states.emit(state, detail);
    }
    this.changed();
  }

  /** Re-checks every pending wait: called whenever something a wait's condition reads may have changed. */
  changed(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Reports an error; its message and data are redacted once more (no secret may leave a provider). */
  fail(error: RealtimeError): void {
    if (this.closed) return;
    const data = error.data ? (JSON.parse(redact(JSON.stringify(error.data))) as Record<string, unknown>) : undefined;
    this.errors.emit(realtimeError(error.code, redact(error.message), data));
  }

  /**
   * Resolves once `ok()` holds, checked now and on every `changed()`; rejects when a `failure` shows, the provider
   * closes, `signal` aborts, or `timeoutMs` passes on the clock (one timer, cancelled when the wait ends).
   */
  waitFor(ok: () => boolean, signal?: AbortSignal, failure?: () => RealtimeError | undefined, timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const end = (error?: RealtimeError): void => {
        this.waiters.delete(check);
        timer?.cancel();
        signal?.removeEventListener('abort', check);
        if (error) reject(error);
        else resolve();
      };
      const timedOut = (reason: string): RealtimeError => realtimeError('SUBSCRIPTION_FAILED', 'timed out waiting for the server', { reason });
      const aborted = (reason: string): RealtimeError => realtimeError('ABORTED', 'aborted while waiting for the server', { reason });
      const check = (): void => {
        try {
          if (ok()) return end();
          const f = failure?.();
          if (f) return end(f);
        } catch (e) {
          // A condition that throws ends its own wait, never the actor or timer that reported the change.
          return end(realtimeError('INTERNAL_ERROR', `wait condition failed: ${(e as Error).message}`));
        }
        if (this.closed) return end(realtimeError('CLOSED', 'provider disconnected'));
        if (signal?.aborted) return end(aborted(String(signal.reason)));
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', check);
      if (timeoutMs !== undefined) timer = this.clock.setTimeout(() => end(timedOut(`no answer within ${timeoutMs} ms`)), timeoutMs);
      check();
    });
  }

  /** Drops every listener (after disconnect). */
  clear(): void {
    this.data.clear();
    this.errors.clear();
    this.states.clear();
  }
}
