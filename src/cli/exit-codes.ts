/** Exit codes of the CLI, documented in docs/configuration.md, and the mapping from error codes to them. */
import { ERROR_CODE_LIST, type ErrorCode } from '../error-codes.ts';
import { decodeRealtimeError } from '../error-guards.ts';

/** Every exit code the CLI uses. */
export const EXIT = {
  /** Finished, or stopped gracefully by SIGINT / SIGTERM / `--duration`. */
  ok: 0,
  /** Anything else: a write that kept failing, a strategy that stopped the session, a refused query, a bug. */
  failure: 1,
  /** Invalid configuration or command line: bad field, missing environment variable, literal secret, unknown or unavailable provider, no known symbol at all, unwritable output. */
  config: 2,
  /** Credentials refused by the provider. */
  auth: 3,
  /** Could not connect, or gave up reconnecting. */
  connection: 4,
  /** A second SIGINT / SIGTERM forced the exit before the graceful stop finished. */
  forced: 130,
} as const;

/** One of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of every error code (the compiler keeps it complete; docs/errors.md shows it). */
export const EXIT_BY_ERROR_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  CONNECTION_FAILED: EXIT.connection, CONNECTION_LOST: EXIT.connection, SOCKET_ERROR: EXIT.connection, REQUEST_FAILED: EXIT.connection, TIMEOUT: EXIT.connection,
  REQUEST_REFUSED: EXIT.failure, LEASE_LOST: EXIT.failure,
  AUTHENTICATION_FAILED: EXIT.auth,
  SUBSCRIPTION_FAILED: EXIT.failure, SUBSCRIPTION_REJECTED: EXIT.failure, SUBSCRIPTION_REFUSED: EXIT.failure,
  INVALID_SYMBOL: EXIT.config, INVALID_INTERVAL: EXIT.config,
  RATE_LIMITED: EXIT.failure, INVALID_MESSAGE: EXIT.failure, CLOCK_SKEW: EXIT.failure,
  WRITE_FAILED: EXIT.failure, BUFFER_OVERFLOW: EXIT.failure, BATCH_TOO_LARGE: EXIT.failure, CHECKPOINT_FAILED: EXIT.failure, EXPORT_FAILED: EXIT.failure,
  STORAGE_UNAVAILABLE: EXIT.failure, STORAGE_INVALIDATED: EXIT.failure, STORAGE_LOST: EXIT.failure, GAP_UNCOVERED: EXIT.failure, BACKFILL_FAILED: EXIT.failure, BARS_UNPERSISTED: EXIT.failure,
  CONFIG_INVALID: EXIT.config,
  NOT_READY: EXIT.failure, CLOSED: EXIT.failure, ALREADY_STARTED: EXIT.failure, ABORTED: EXIT.failure,
  ORDER_INVALID: EXIT.failure, ORDER_REJECTED: EXIT.failure, ORDER_NOT_FOUND: EXIT.failure, ORDER_OUTCOME_UNKNOWN: EXIT.failure,
  RISK_REJECTED: EXIT.failure, KILL_SWITCH_ACTIVE: EXIT.failure, STRATEGY_FAILED: EXIT.failure,
  INTERNAL_ERROR: EXIT.failure, UNKNOWN_ERROR: EXIT.failure,
};

const codesExitingWith = (exit: ExitCode): readonly ErrorCode[] => ERROR_CODE_LIST.filter((c) => EXIT_BY_ERROR_CODE[c] === exit);

/** Every exit code with what causes it, for docs/configuration.md (generated) and `--help`. */
export const EXIT_CODE_DOCS: readonly { readonly code: ExitCode; readonly label: string; readonly meaning: string; readonly errorCodes: readonly ErrorCode[] }[] = [
  { code: EXIT.ok, label: 'finished, or stopped gracefully', meaning: 'Finished: `--duration` elapsed, or stopped gracefully by SIGINT / SIGTERM (everything received was flushed); `query`, `schema`, `providers`, `export` succeeded. An unknown symbol among known ones does not change this: it is reported (`INVALID_SYMBOL`) and skipped, and the session streams the others.', errorCodes: [] },
  { code: EXIT.failure, label: 'other failure', meaning: 'Any other failure: a write that kept failing, bars not saved at the stop (listed with their ranges; the next start fetches them), the DuckDB file deleted or replaced, a strategy that stopped the session (`on_error: stop`) or could not load, a query DuckDB rejected, the demo\'s exactness check failing.', errorCodes: codesExitingWith(EXIT.failure) },
  { code: EXIT.config, label: 'configuration or usage error', meaning: 'Configuration or usage error: an invalid field (named with its path and line), a missing environment variable, a literal secret in the file, an unknown or not yet available provider, no known symbol at all (every symbol unknown), an output path that cannot be written (read-only directory), a bad flag, a refused (non-SELECT) query.', errorCodes: codesExitingWith(EXIT.config) },
  { code: EXIT.auth, label: 'authentication failed', meaning: 'The provider refused the credentials.', errorCodes: codesExitingWith(EXIT.auth) },
  { code: EXIT.connection, label: 'connection failed', meaning: 'Could not connect, or gave up after `reconnect_attempts` consecutive failed reconnects, or a peer (venue, TWS, bus) did not answer in time.', errorCodes: codesExitingWith(EXIT.connection) },
  { code: EXIT.forced, label: 'forced exit (second signal)', meaning: 'A second SIGINT / SIGTERM forced the exit (after waiting up to 3 s for the flush in progress).', errorCodes: [] },
];

/** The exit code for an error code (a RealtimeError's `code`, or a failure's); 1 without one. */
export const exitCodeForCode = (code: ErrorCode | undefined): ExitCode => (code ? EXIT_BY_ERROR_CODE[code] : EXIT.failure);

/** The exit code for a thrown value (a RealtimeError with a code this build does not know exits as UNKNOWN_ERROR). */
export const exitCodeFor = (error: unknown): ExitCode => exitCodeForCode(decodeRealtimeError(error)?.code);
