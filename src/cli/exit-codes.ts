/** Exit codes of the CLI, documented in docs/configuration.md, and the mapping from error codes to them. */
import { isRealtimeError } from '../error-guards.ts';

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

const BY_ERROR_CODE: Readonly<Record<string, ExitCode>> = {
  CONFIG_INVALID: EXIT.config,
  INVALID_SYMBOL: EXIT.config,
  AUTHENTICATION_FAILED: EXIT.auth,
  CONNECTION_FAILED: EXIT.connection,
  CONNECTION_LOST: EXIT.connection,
};

/** Every exit code with what causes it, for docs/configuration.md (generated) and `--help`. */
export const EXIT_CODE_DOCS: readonly { readonly code: ExitCode; readonly label: string; readonly meaning: string; readonly errorCodes: readonly string[] }[] = [
  { code: EXIT.ok, label: 'finished, or stopped gracefully', meaning: 'Finished: `--duration` elapsed, or stopped gracefully by SIGINT / SIGTERM (everything received was flushed); `query`, `schema`, `providers`, `export` succeeded. An unknown symbol among known ones does not change this: it is reported (`INVALID_SYMBOL`) and skipped, and the session streams the others.', errorCodes: [] },
  { code: EXIT.failure, label: 'other failure', meaning: 'Any other failure: a write that kept failing, bars not saved at the stop (listed with their ranges; the next start fetches them), the DuckDB file deleted or replaced, a strategy that stopped the session (`on_error: stop`) or could not load, a query DuckDB rejected, the demo\'s exactness check failing.', errorCodes: ['WRITE_FAILED', 'BARS_UNPERSISTED', 'STORAGE_LOST', 'STRATEGY_FAILED', '…'] },
  { code: EXIT.config, label: 'configuration or usage error', meaning: 'Configuration or usage error: an invalid field (named with its path and line), a missing environment variable, a literal secret in the file, an unknown or not yet available provider, no known symbol at all (every symbol unknown), an output path that cannot be written (read-only directory), a bad flag, a refused (non-SELECT) query.', errorCodes: ['CONFIG_INVALID', 'INVALID_SYMBOL'] },
  { code: EXIT.auth, label: 'authentication failed', meaning: 'The provider refused the credentials.', errorCodes: ['AUTHENTICATION_FAILED'] },
  { code: EXIT.connection, label: 'connection failed', meaning: 'Could not connect, or gave up after `reconnect_attempts` consecutive failed reconnects.', errorCodes: ['CONNECTION_FAILED', 'CONNECTION_LOST'] },
  { code: EXIT.forced, label: 'forced exit (second signal)', meaning: 'A second SIGINT / SIGTERM forced the exit (after waiting up to 3 s for the flush in progress).', errorCodes: [] },
];

/** The exit code for an error code (a RealtimeError's `code`, or a failure's); 1 for anything unlisted. */
export const exitCodeForCode = (code: string | undefined): ExitCode => (code ? BY_ERROR_CODE[code] : undefined) ?? EXIT.failure;

/** The exit code for a thrown value. */
export const exitCodeFor = (error: unknown): ExitCode => exitCodeForCode(isRealtimeError(error) ? error.code : undefined);
