/**
 * The checks on thrown values that need no error class: kept apart from errors.ts (which builds errors with
 * effect's `Data`), so that `--help` and the exit-code table load without effect.
 */
/** What a RealtimeError (errors.ts) looks like on the wire, without importing it (errors.ts imports this file). */
export interface RealtimeErrorShape {
  readonly _tag: 'RealtimeError';
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** True for a RealtimeError, also one that crossed a worker or JSON boundary as a plain object. */
export const isRealtimeError = (e: unknown): e is RealtimeErrorShape =>
  typeof e === 'object' && e !== null && (e as { _tag?: unknown })._tag === 'RealtimeError' && typeof (e as { code?: unknown }).code === 'string';

/** A short message for any thrown value, without stack noise. */
export const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));
