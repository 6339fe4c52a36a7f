/**
 * Errors: one tagged error type for the realtime boundary, carrying the seed's stable `code`, whether a retry
 * can help, and JSON-serialisable data (so errors can be logged to the event log and traces as they are).
 */
import * as Data from 'effect/Data';
import { isRealtimeError as hasRealtimeErrorShape } from './error-guards.ts';

/** The seed's error codes, plus the few the TypeScript surfaces add, each marked retryable or fatal. */
export const ERROR_CODES = {
  CONNECTION_FAILED: { retryable: true, summary: 'could not open the connection' },
  CONNECTION_LOST: { retryable: true, summary: 'an open connection dropped' },
  AUTHENTICATION_FAILED: { retryable: false, summary: 'credentials were refused' },
  SUBSCRIPTION_FAILED: { retryable: true, summary: 'the server rejected or ignored a subscription' },
  INVALID_SYMBOL: { retryable: false, summary: 'the symbol does not exist on this provider' },
  RATE_LIMITED: { retryable: true, summary: 'a rate or weight limit was hit' },
  INVALID_MESSAGE: { retryable: true, summary: 'a frame or bar failed validation and was skipped' },
  WRITE_FAILED: { retryable: true, summary: 'a flush to storage failed; its rows are kept and retried' },
  BUFFER_OVERFLOW: { retryable: true, summary: 'the write buffer reached its hard cap' },
  CONFIG_INVALID: { retryable: false, summary: 'a configuration value is missing or wrong' },
  STRATEGY_FAILED: { retryable: false, summary: 'the strategy could not be loaded, or failed under the stop policy' },
  RISK_REJECTED: { retryable: false, summary: 'the pre-trade risk engine refused an order (the check and reason are in the order and the event log)' },
  KILL_SWITCH_ACTIVE: { retryable: false, summary: 'the kill switch is tripped: new orders are refused until it is reset' },
  STORAGE_LOST: { retryable: false, summary: 'the DuckDB file was deleted or replaced under the running process; nothing more is written' },
  GAP_UNCOVERED: { retryable: false, summary: 'bars missing since the last stored bar are older than the resume lookback and were not fetched' },
  BARS_UNPERSISTED: { retryable: true, summary: 'the session stopped with bars it could not persist (listed by stream and range); the next start fetches them' },
  NOT_CONNECTED: { retryable: false, summary: 'a call that needs the connection came before connect() or after disconnect(): call connect() first, or create a new provider' },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The error every realtime component reports: match on `code`, decide on `retryable`. */
export class RealtimeError extends Data.TaggedError('RealtimeError')<{
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly data?: Readonly<Record<string, unknown>>;
}> {
  /** A plain JSON object with everything needed to understand the error later. */
  override toJSON(): { _tag: 'RealtimeError'; code: ErrorCode; message: string; retryable: boolean; data?: unknown } {
    return { _tag: this._tag, code: this.code, message: this.message, retryable: this.retryable, ...(this.data ? { data: this.data } : {}) };
  }
}

/** Builds a {@link RealtimeError}; `retryable` defaults to the code's classification. */
export const realtimeError = (
  code: ErrorCode,
  message: string,
  data?: Record<string, unknown>,
  retryable: boolean = ERROR_CODES[code].retryable,
): RealtimeError => new RealtimeError(data ? { code, message, retryable, data } : { code, message, retryable });

// Structural checks (every RealtimeError carries `_tag` and `code`), in a module without effect for the CLI's start-up.
export { describe } from './error-guards.ts';

/** True for a {@link RealtimeError}, also one that crossed a worker or JSON boundary as a plain object. */
export const isRealtimeError = (e: unknown): e is RealtimeError => hasRealtimeErrorShape(e);
