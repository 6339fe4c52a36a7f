/**
 * The checks on thrown values that need no error class: kept apart from errors.ts (which builds errors with
 * effect's `Data`), so that `--help` and the exit-code table load without effect.
 */
import type { RealtimeError } from './errors.ts';

/** True for a {@link RealtimeError}, also one that crossed a worker or JSON boundary as a plain object. */
export const isRealtimeError = (e: unknown): e is RealtimeError =>
  typeof e === 'object' && e !== null && (e as { _tag?: unknown })._tag === 'RealtimeError' && typeof (e as { code?: unknown }).code === 'string';

/** A short message for any thrown value, without stack noise. */
export const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));
