/**
 * The data half of the strategy host services over the session's DuckDB file: `getRange` and `readLastData`
 * read bars from the `realtime_market_data` table, `executeSQL` runs one guarded, read-only SELECT
 * (see `sql-guard.ts`) inside `BEGIN TRANSACTION READ ONLY`, with caps on rows, bytes and time
 * (`bounded-query.ts`). Opening the service turns DuckDB's `enable_external_access` off for the whole instance
 * (it cannot be turned back on while the instance runs), so no query of any connection to it reads or writes
 * files other than the database's own. `close` interrupts the query in hand and refuses the queued ones. Strategy
 * queries share a time budget (`query-budget.ts`), so however they are written they keep DuckDB busy for at most
 * a quarter of the wall clock by default.
 *
 * In a session the writer owns the DuckDB instance: pass it as `instance` and this service opens its own
 * connection on it (a second instance of the same file would conflict with the writer's). Without an
 * instance, `path` is opened and closed by this service. Calls are serialised on the one connection.
 * Result cells: BIGINTs become numbers when they fit exactly, TIMESTAMP and DATE values become Unix ms.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type JS } from '@duckdb/node-api';
import { runBounded } from './bounded-query.ts';
import type { Bar } from '../domain/bar.ts';
import { bucketEnd, isInterval, type Interval } from '../domain/interval.ts';
import { ReadOnlyQueryError } from './errors.ts';
import type { SqlParams, SqlRow, SqlValue, StrategyDataServices } from './host-api.ts';
import { DEFAULT_QUERY_BUDGET, QueryBudget, type QueryBudgetOptions } from './query-budget.ts';
import { prepareReadOnly } from './sql-guard.ts';

/** Options of {@link openDuckDBData}. */
export interface DuckDBDataOptions {
  /** An open instance (the writer's) to connect to; when absent, `path` is opened. */
  readonly instance?: DuckDBInstance;
  /** Database file, required when `instance` is absent. */
  readonly path?: string;
  /** Bar table (default `realtime_market_data`). */
  readonly table?: string;
  /** Only bars of this provider, when several providers stream the same symbols. */
  readonly provider?: string;
  /** Most rows one `executeSQL` may return (default 100 000); more is an error, not a silent cut. */
  readonly maxRows?: number;
  /** Most bytes of values one `executeSQL` may return (default 16 MiB); more is an error. */
  readonly maxBytes?: number;
  /** Longest one `executeSQL` may run before it is interrupted (default 5000 ms). */
  readonly queryTimeoutMs?: number;
  /** `executeSQL` calls that may wait behind the one running (default 3); more are refused at once (`busy`). */
  readonly maxQueued?: number;
  /** Leave DuckDB's external access (files, URLs) on for the instance (default false: it is turned off). */
  readonly allowExternalAccess?: boolean;
  /** Share of the wall clock `executeSQL` may keep DuckDB busy (default {@link DEFAULT_QUERY_BUDGET}); past it calls are refused (`budget`). */
  readonly queryBudget?: QueryBudgetOptions;
  /** Clock of the query budget, in ms (default `performance.now`). */
  readonly now?: () => number;
}

/** {@link StrategyDataServices} backed by DuckDB, plus `close`. */
export interface DuckDBDataService extends StrategyDataServices {
  /** Interrupts the query in hand, refuses queued calls, then closes the connection (and the instance, when this service opened it). */
  close(): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const epochMs = (v: JS | undefined): number => {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return Number.NaN;
};

const numberOrNull = (v: JS | undefined): number | null =>
  v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : Number(v);

/** Converts one result cell to a {@link SqlValue}: safe BIGINTs to numbers, dates and timestamps to Unix ms. */
export const toSqlValue = (v: JS): SqlValue => {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toSqlValue);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toSqlValue(x)]));
};

const barOf = (row: Record<string, JS>): Bar => {
  const interval = String(row.interval);
  if (!isInterval(interval)) throw new TypeError(`stored bar has an unknown interval "${interval}"`);
  const openTime = epochMs(row.open_ms);
  return {
    provider: String(row.provider), symbol: String(row.symbol), interval, openTime,
    closeTime: bucketEnd(interval, openTime),
    open: Number(row.open), high: Number(row.high), low: Number(row.low), close: Number(row.close),
    volume: Number(row.volume), vwap: numberOrNull(row.vwap), tradeCount: numberOrNull(row.trade_count),
    final: true, receivedAt: epochMs(row.received_at),
  };
};

/** Opens the DuckDB-backed data services; the bar table need not exist yet (queries fail until it does). */
export const openDuckDBData = async (options: DuckDBDataOptions): Promise<DuckDBDataService> => {
  const table = options.table ?? 'realtime_market_data';
  if (!IDENTIFIER.test(table)) throw new TypeError(`table must be a plain identifier, got "${table}"`);
  if (!options.instance && !options.path) throw new TypeError('openDuckDBData needs an instance or a path');
  const owned = options.instance ? undefined : await DuckDBInstance.create(options.path);
  const instance = options.instance ?? owned;
  const connection: DuckDBConnection = await (instance as DuckDBInstance).connect();
  if (options.allowExternalAccess !== true) await connection.run('SET enable_external_access = false');
  const maxRows = options.maxRows ?? 100_000;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.queryTimeoutMs ?? 5_000;
  const columns = `provider, symbol, "interval", epoch_ms("timestamp") AS open_ms, open, high, low, close, volume, vwap, trade_count, received_at`;
  const providerFilter = options.provider === undefined ? '' : ' AND provider = $provider';
  const providerParam: Record<string, string> = options.provider === undefined ? {} : { provider: options.provider };

  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  const maxQueued = options.maxQueued ?? 3;
  let sqlWaiting = 0;
  const now = options.now ?? (() => performance.now());
  const budget = new QueryBudget(options.queryBudget ?? DEFAULT_QUERY_BUDGET, now);
  // Checked when called and again when the query's turn comes: the queries queued before it may have spent the budget.
  const overBudget = (): ReadOnlyQueryError | undefined => {
    const wait = budget.waitMs();
    if (wait === 0) return undefined;
    const { msPerSecond, burstMs } = budget.options;
    return new ReadOnlyQueryError({
      reason: 'budget',
      message: `executeSQL: strategy queries used their time budget (${msPerSecond} ms of query time per second, ${burstMs} ms saved up at most); retry in ${wait} ms`,
    });
  };
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(() => {
      if (closed) throw new ReadOnlyQueryError({ reason: 'closed', message: 'the data service is closed (the session is stopping)' });
      return task();
    });
    tail = result.catch(() => undefined);
    return result;
  };

  const readBars = async (sql: string, params: Record<string, string | number>): Promise<Bar[]> => {
    const reader = await connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map(barOf);
  };

  const runGuarded = async (query: string, params: SqlParams | undefined): Promise<SqlRow[]> => {
    let prepared: DuckDBPreparedStatement | undefined;
    await connection.run('BEGIN TRANSACTION READ ONLY');
    try {
      prepared = await prepareReadOnly(connection, query);
      if (params !== undefined) prepared.bind(params as Parameters<DuckDBPreparedStatement['bind']>[0]);
      const result = await runBounded(connection, prepared, { maxRows, maxBytes, timeoutMs, hint: 'add a LIMIT or aggregate' });
      return result.rows.map((cells) => Object.fromEntries(result.columns.map((c, i) => [c, toSqlValue(cells[i]!)])) as SqlRow);
    } catch (e) {
      if (closed) throw new ReadOnlyQueryError({ reason: 'closed', message: 'executeSQL was interrupted: the data service is closing' });
      if (e instanceof ReadOnlyQueryError && e.reason !== 'timeout' && !e.message.startsWith('executeSQL')) {
        throw new ReadOnlyQueryError({ reason: e.reason, message: `executeSQL: ${e.message}` });
      }
      if (e instanceof ReadOnlyQueryError && e.reason === 'timeout') {
        throw new ReadOnlyQueryError({ reason: 'timeout', message: `executeSQL was interrupted after ${timeoutMs} ms` });
      }
      throw e;
    } finally {
      prepared?.destroySync();
      // After an error or interrupt DuckDB has already aborted the transaction; ROLLBACK may then report that.
      await connection.run('ROLLBACK').catch(() => undefined);
    }
  };

  return {
    getRange: (symbol: string, start: number, end: number, interval: Interval) => exclusive(() => readBars(
      `SELECT ${columns} FROM "${table}" WHERE symbol = $symbol AND "interval" = $interval` +
        ` AND "timestamp" >= epoch_ms($start::BIGINT) AND "timestamp" < epoch_ms($end::BIGINT)${providerFilter} ORDER BY "timestamp"`,
      { symbol, interval, start: Math.floor(start), end: Math.ceil(end), ...providerParam },
    )),
    readLastData: (symbol: string, interval?: Interval) => exclusive(async () => {
      const intervalFilter = interval === undefined ? '' : ' AND "interval" = $interval';
      const bars = await readBars(
        `SELECT ${columns} FROM "${table}" WHERE symbol = $symbol${intervalFilter}${providerFilter} ORDER BY "timestamp" DESC LIMIT 1`,
        interval === undefined ? { symbol, ...providerParam } : { symbol, interval, ...providerParam },
      );
      return bars[0];
    }),
    executeSQL: (query: string, params?: SqlParams) => {
      // A strategy that fires queries without awaiting them would otherwise queue CPU-bound work for minutes.
      if (sqlWaiting > maxQueued) {
        return Promise.reject(new ReadOnlyQueryError({ reason: 'busy', message: `executeSQL: ${sqlWaiting} queries are already waiting; await them before sending more` }));
      }
      const refused = overBudget();
      if (refused) return Promise.reject(refused);
      sqlWaiting += 1;
      return exclusive(async () => {
        const late = overBudget();
        if (late) throw late;
        const started = now();
        try {
          return await runGuarded(query, params);
        } finally {
          budget.spend(now() - started);
        }
      }).finally(() => { sqlWaiting -= 1; });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      connection.interrupt();
      await tail;
      connection.closeSync();
      owned?.closeSync();
    },
  };
};
