/**
 * The closed set of error codes: the seed's, plus those the session, storage and trading need. Each code has one
 * cause, one retry rule and one thing the user should do; docs/errors.md is generated from this table.
 * Kept free of effect (errors.ts builds the error class) so the CLI's start-up and the guards load it cheaply.
 */

/** Every error code, with whether a retry can help, what causes it (`summary`) and what the user should do (`action`). */
export const ERROR_CODES = {
  // Connection (seed)
  CONNECTION_FAILED: { retryable: false, summary: 'could not connect, or gave up after `reconnect_attempts` consecutive failed reconnects: the provider has spent its own retries', action: 'Check the network, the endpoint and that the venue is up, then start again (raise `reconnect_attempts` to wait longer).' },
  CONNECTION_LOST: { retryable: true, summary: 'an open connection dropped (or a request was cut off by it); the provider reconnects by itself', action: 'Nothing: bars missed while it was down are fetched after the reconnect. Frequent drops point to the network.' },
  SOCKET_ERROR: { retryable: true, summary: 'a socket reported an error (refused, reset, TLS); the connection closes it and reconnects', action: 'Nothing unless it repeats; then check the network or the endpoint.' },
  REQUEST_FAILED: { retryable: true, summary: 'a REST request got no answer or a server error status, or a bus operation failed', action: 'Nothing: the caller retries it; if it persists, check the venue status and the network.' },
  REQUEST_REFUSED: { retryable: false, summary: 'the venue refused a request that is not an order (a lookup, a query); its code and message are in the error', action: 'Read the venue\'s reason; fix the request (symbol, permissions) before sending it again.' },
  TIMEOUT: { retryable: true, summary: 'a peer or a component did not answer within its time limit', action: 'Retry; if it repeats, check that the peer (TWS, the bus, the venue) is responsive, or raise the timeout.' },
  AUTHENTICATION_FAILED: { retryable: false, summary: 'credentials were refused, or the account may not do what was asked', action: 'Fix the API key / secret in the environment (or the account permissions) and start again.' },
  LEASE_LOST: { retryable: false, summary: 'another recorder of the fleet took over a stream\'s lease; this one stops recording it', action: 'Nothing: the fleet member holding the lease records the stream (see docs/scale-out.md).' },
  // Subscription (seed)
  SUBSCRIPTION_FAILED: { retryable: true, summary: 'a subscription was not confirmed: the server did not answer, a stream went silent, or a check could not run', action: 'Nothing: it is retried; if a stream stays silent, check that the symbol trades at this time.' },
  SUBSCRIPTION_REJECTED: { retryable: false, summary: 'the server refused a stream (its code and message are in the error)', action: 'Fix the symbol or interval the server named; the other streams keep running.' },
  INVALID_SYMBOL: { retryable: false, summary: 'the symbol does not exist on this provider (or does not trade)', action: 'Correct the symbol (the venue\'s spelling and market); the other symbols keep streaming.' },
  INVALID_INTERVAL: { retryable: false, summary: 'the interval is unknown, or this provider or market does not offer it', action: 'Pick an interval the provider offers (see docs/configuration.md).' },
  SUBSCRIPTION_REFUSED: { retryable: false, summary: 'the session refused a strategy\'s subscribeRealtime: a symbol the risk engine does not allow, more streams than `strategy.max_subscriptions`, or malformed arguments', action: 'Subscribe only symbols in `risk.allowed_symbols` (default: the session\'s symbols), or raise `strategy.max_subscriptions`.' },
  RATE_LIMITED: { retryable: true, summary: 'a rate or weight limit was hit; requests wait and are retried', action: 'Nothing; if it persists, subscribe fewer streams per connection or lower the request rate.' },
  // Data (seed)
  INVALID_MESSAGE: { retryable: true, summary: 'a frame or bar failed validation and was skipped', action: 'Nothing for one; many point to a venue protocol change: report them with the logged frame.' },
  CLOCK_SKEW: { retryable: false, summary: 'a clock is off: the venue refused the request time (outside `recv_window_ms`), or a feed\'s bars are stamped behind this machine\'s clock', action: 'Synchronise this machine\'s clock (NTP), or raise `recv_window_ms` on a slow network.' },
  // Storage
  WRITE_FAILED: { retryable: true, summary: 'a flush to storage failed; its rows are kept and retried', action: 'Free disk space or fix the file\'s permissions; the held rows are written once a flush succeeds.' },
  BUFFER_OVERFLOW: { retryable: true, summary: 'a buffer reached its cap (write buffer, held bars, bus queue); new bars are refused or become a gap', action: 'Fix what stops the writes (see WRITE_FAILED), or raise `max_buffered_rows`; gaps are fetched once writes succeed.' },
  BATCH_TOO_LARGE: { retryable: false, summary: 'one write call carries more bars than the buffer can ever hold', action: 'Split the batch below `max_buffered_rows`.' },
  CHECKPOINT_FAILED: { retryable: false, summary: 'the final checkpoint at close failed; the flushed rows are in the WAL and replayed at the next open', action: 'Nothing is lost; open the file again (the next start replays the WAL). Check disk space.' },
  EXPORT_FAILED: { retryable: false, summary: 'an export could not write its output (Parquet partition, bus roll)', action: 'Check the output directory: space, permissions, a path that exists.' },
  STORAGE_UNAVAILABLE: { retryable: false, summary: 'the DuckDB database cannot be opened (locked by another process, unreadable, not a DuckDB file)', action: 'Stop the process holding the file, or fix the path or permissions, then start again.' },
  STORAGE_INVALIDATED: { retryable: false, summary: 'DuckDB invalidated the database after a fatal error; this process writes nothing more', action: 'Restart: the next start resumes from the file.' },
  STORAGE_LOST: { retryable: false, summary: 'the DuckDB file was deleted or replaced under the running process; nothing more is written', action: 'Restart to continue on a file at that path; do not delete or move a file a session writes.' },
  GAP_UNCOVERED: { retryable: false, summary: 'bars missing since the last stored bar were not fetched (older than the resume lookback, or backfill is off)', action: 'Raise the resume lookback or turn backfill on; fetch the listed range with a download if it matters.' },
  BACKFILL_FAILED: { retryable: true, summary: 'bars of a gap could not be fetched from REST; the gap stays open and is retried', action: 'Nothing: the gap is fetched again (also at the next start); check the REST endpoint if it persists.' },
  BARS_UNPERSISTED: { retryable: true, summary: 'the session stopped with bars it could not persist (listed by stream and range); the next start fetches them', action: 'Start again on the same file once storage works: the listed ranges are fetched.' },
  // Configuration and lifecycle
  CONFIG_INVALID: { retryable: false, summary: 'a configuration value, flag or argument is missing or wrong', action: 'Fix the field named in the message (with its path and line) and start again.' },
  NOT_READY: { retryable: false, summary: 'a component was used before it was connected, opened or initialised', action: 'Call connect() / initialize() / open first (a bug in the calling code).' },
  CLOSED: { retryable: false, summary: 'a component was used after close() or disconnect()', action: 'Create a new instance (a bug in the calling code).' },
  ALREADY_STARTED: { retryable: false, summary: 'a one-shot operation was started a second time', action: 'Create a new instance for each run.' },
  ABORTED: { retryable: false, summary: 'the caller aborted or stopped the operation before it finished', action: 'Nothing: it was asked for; start again to continue.' },
  // Trading
  ORDER_INVALID: { retryable: false, summary: 'the order request is malformed (not an object, bad field)', action: 'Fix the order request (a bug in the strategy or caller).' },
  ORDER_REJECTED: { retryable: false, summary: 'the venue refused an order or a cancel (its code and message are in the error)', action: 'Read the venue\'s reason; change the order (price, quantity, balance) before sending it again.' },
  ORDER_NOT_FOUND: { retryable: false, summary: 'no order with that id exists on this provider (in this session)', action: 'Use an id the provider returned; a finished order may be gone.' },
  ORDER_OUTCOME_UNKNOWN: { retryable: false, summary: 'placing an order got no answer: it may or may not exist at the venue', action: 'Look the order up by its client order id before placing it again (a blind retry may double it).' },
  RISK_REJECTED: { retryable: false, summary: 'the pre-trade risk engine refused an order (the check and reason are in the order and the event log)', action: 'Change the order or the risk limits (docs/risk.md).' },
  KILL_SWITCH_ACTIVE: { retryable: false, summary: 'the kill switch is tripped: new orders are refused until it is reset', action: 'Find why it tripped (event log), then reset it (docs/risk.md).' },
  // Strategy
  STRATEGY_FAILED: { retryable: false, summary: 'the strategy could not be loaded, or failed under the stop policy', action: 'Fix the strategy (its error and stack are in the message and the event log).' },
  // Fallbacks
  INTERNAL_ERROR: { retryable: false, summary: 'a component broke its own invariant (a bug)', action: 'Report it with the message and the event log.' },
  UNKNOWN_ERROR: { retryable: false, summary: 'an error crossed a worker or JSON boundary with a code this build does not know (the original is in `data.code`)', action: 'Update the older side of the boundary; the original code says what happened.' },
} as const satisfies Record<string, { retryable: boolean; summary: string; action: string }>;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code, in table order. */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as readonly ErrorCode[];

/** True for a code of {@link ERROR_CODES}. */
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);

/** The code a decoded value stands for: itself when known, otherwise `fallback` (UNKNOWN_ERROR unless given). */
export const errorCodeOf = (value: unknown, fallback: ErrorCode = 'UNKNOWN_ERROR'): ErrorCode => (isErrorCode(value) ? value : fallback);
