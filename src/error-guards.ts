/**
 * The checks on thrown values that need no error class: kept apart from errors.ts (which builds errors with
 * effect's `Data`), so that `--help` and the exit-code table load without effect.
 */
import { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes.ts';

/** What a RealtimeError (errors.ts) looks like on the wire, without importing it (errors.ts imports this file). */
export interface RealtimeErrorShape {
  readonly _tag: 'RealtimeError';
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly data?: Readonly<Record<string, unknown>>;
}

const hasTag = (e: unknown): e is { _tag: 'RealtimeError'; code?: unknown; message?: unknown; data?: unknown } =>
  typeof e === 'object' && e !== null && (e as { _tag?: unknown })._tag === 'RealtimeError';

/** True for a RealtimeError with a known code, also one that crossed a worker or JSON boundary as a plain object. */
export const isRealtimeError = (e: unknown): e is RealtimeErrorShape => hasTag(e) && isErrorCode(e.code);

/**
 * A RealtimeError read back from a worker or JSON boundary: a code this build does not know becomes
 * UNKNOWN_ERROR (the original kept in `data.code`), and `retryable` is the code's rule; undefined when the
 * value is not a RealtimeError at all.
 */
export const decodeRealtimeError = (e: unknown): RealtimeErrorShape | undefined => {
  if (!hasTag(e)) return undefined;
  if (isRealtimeError(e)) return e;
  const data = typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : {};
  return {
    _tag: 'RealtimeError', code: 'UNKNOWN_ERROR', retryable: ERROR_CODES.UNKNOWN_ERROR.retryable,
    message: typeof e.message === 'string' ? e.message : 'an error with an unknown code',
    data: { ...data, code: typeof e.code === 'string' ? e.code : String(e.code) },
  };
};

/** A short message for any thrown value, without stack noise. */
export const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));
