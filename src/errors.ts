/**
 * Errors: one tagged error type for the realtime boundary, carrying the seed's stable `code`, whether a retry
 * can help, and JSON-serialisable data (so errors can be logged to the event log and traces as they are).
 */
import * as Data from 'effect/Data';
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';
import { isRealtimeError as hasRealtimeErrorShape } from './error-guards.ts';

export { ERROR_CODES, errorCodeOf, isErrorCode, type ErrorCode } from './error-codes.ts';

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

/** Builds a {@link RealtimeError}; whether it is retryable is its code's rule in {@link ERROR_CODES}, never the caller's. */
export const realtimeError = (code: ErrorCode, message: string, data?: Record<string, unknown>): RealtimeError => {
  const { retryable } = ERROR_CODES[code];
  return new RealtimeError(data ? { code, message, retryable, data } : { code, message, retryable });
};

// Structural checks (every RealtimeError carries `_tag` and `code`), in a module without effect for the CLI's start-up.
export { decodeRealtimeError, describe } from './error-guards.ts';

/** True for a {@link RealtimeError}, also one that crossed a worker or JSON boundary as a plain object. */
export const isRealtimeError = (e: unknown): e is RealtimeError => hasRealtimeErrorShape(e);
