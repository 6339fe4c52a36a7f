/**
 * Errors of the strategy boundary, tagged and carrying data so they serialise into the event log as they are:
 * {@link StrategyLoadError} when a strategy cannot be started, {@link ReadOnlyQueryError} when `executeSQL`
 * refuses or aborts a query.
 */
import * as Data from 'effect/Data';

/** The step at which loading a strategy failed. */
export type StrategyLoadStage = 'not_found' | 'import' | 'export' | 'config' | 'initialize' | 'timeout' | 'worker';

/** A strategy module could not be loaded or initialised; `message` names the path. */
export class StrategyLoadError extends Data.TaggedError('StrategyLoadError')<{
  readonly message: string;
  readonly path: string;
  readonly stage: StrategyLoadStage;
  /** Stack of the underlying error, inside the worker, when there was one. */
  readonly causeStack?: string;
}> {}

/** Why `executeSQL` refused or aborted a query. */
export type ReadOnlyQueryReason =
  | 'empty'
  | 'syntax_error'
  | 'multiple_statements'
  | 'not_select'
  | 'forbidden_function'
  | 'forbidden_table'
  | 'too_many_rows'
  | 'too_large'
  | 'timeout'
  | 'busy'
  | 'budget'
  | 'closed';

/** `executeSQL` refused a query that is not one read-only SELECT, or aborted one that ran too long or big. */
export class ReadOnlyQueryError extends Data.TaggedError('ReadOnlyQueryError')<{
  readonly message: string;
  readonly reason: ReadOnlyQueryReason;
}> {}
