/**
 * What every provider tells its consumers, in one place: bar, error and connection-state listeners, the
 * aggregated state, a closed gate (nothing is emitted after `disconnect()`), redaction of every error on its way
 * out, and a clock-driven wait for a condition (connected, confirmed) that fails fast when the provider closes.
 */
import type { Clock } from '../../clock.ts';
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
  /** Set by `disconnect()`: no listener is called afterwards and waits end. */
  closed = false;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Announces a state when it changed. */
  setState(state: ConnectionState, detail: ConnectionStateDetail): void {
    if (state === this.state) return;
    this.state = state;
    this.states.emit(state, detail);
  }

  /** Reports an error; its message and data are redacted once more (no secret may leave a provider). */
  fail(error: RealtimeError): void {
    if (this.closed) return;
    const data = error.data ? (JSON.parse(redact(JSON.stringify(error.data))) as Record<string, unknown>) : undefined;
    this.errors.emit(realtimeError(error.code, redact(error.message), data));
  }

  /** Polls `ok` on the clock until true, a `failure` shows, the provider closes, or `signal` aborts. */
  async waitFor(ok: () => boolean, signal?: AbortSignal, failure?: () => RealtimeError | undefined): Promise<void> {
    while (!ok()) {
      const f = failure?.();
      if (f) throw f;
      if (this.closed) throw realtimeError('CLOSED', 'provider disconnected');
      if (signal?.aborted) throw realtimeError('ABORTED', 'aborted while waiting for the server', { reason: String(signal.reason) });
      await this.clock.sleep(10);
    }
  }

  /** Drops every listener (after disconnect). */
  clear(): void {
    this.data.clear();
    this.errors.clear();
    this.states.clear();
  }
}
