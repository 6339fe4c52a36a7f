/**
 * The strategy host API (the seed's Strategy Host Service): what a strategy may call, {@link StrategyApi},
 * and what the host implements to serve it, {@link StrategyHostServices}. A strategy runs in a worker
 * thread; every `StrategyApi` call there becomes a request to the host, answered from the services, so
 * arguments and results must be structured-cloneable (plain data: no functions, no class instances).
 */
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import type { AccountInfo, Order, OrderRequest, Position } from '../trading/types.ts';

/** Severity of a strategy log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A value bound to a `$1`/`?` (or `$name`) placeholder of {@link StrategyApi.executeSQL}. */
export type SqlParam = null | boolean | number | bigint | string;

/** Positional (`$1`, `?`) or named (`$name`) parameters of a query. */
export type SqlParams = readonly SqlParam[] | Readonly<Record<string, SqlParam>>;

/** A cell of a query result: BIGINTs are numbers when they fit exactly, times are Unix milliseconds. */
export type SqlValue = null | boolean | number | bigint | string | Uint8Array | SqlValue[] | { [key: string]: SqlValue };

/** One result row, keyed by column name. */
export type SqlRow = Record<string, SqlValue>;

/** The value of a {@link StrategyApi.mark}: a number for a metric, anything JSON-like for an annotation. */
export type MarkValue = null | boolean | number | string | readonly MarkValue[] | { readonly [key: string]: MarkValue };

/** The API a strategy receives in `initialize` and `processData`. */
export interface StrategyApi {
  /** Stored bars of `symbol` and `interval` whose open time lies in `[start, end)` (Unix ms), oldest first. */
  getRange(symbol: string, start: number, end: number, interval: Interval): Promise<Bar[]>;
  /** The most recent stored bar of `symbol` (of `interval` when given), or undefined when there is none. */
  readLastData(symbol: string, interval?: Interval): Promise<Bar | undefined>;
  /** Runs one read-only SELECT over the session's DuckDB file; anything else is refused. */
  executeSQL(query: string, params?: SqlParams): Promise<SqlRow[]>;
  /** Asks the session to stream `symbols` too; resolves once the session has accepted the subscription. */
  subscribeRealtime(symbols: readonly string[], interval?: Interval): Promise<void>;
  /** Places an order through the session's trading provider and returns it as the provider knows it. */
  placeOrder(request: OrderRequest): Promise<Order>;
  /** Current net positions. */
  getPositions(): Promise<Position[]>;
  /** Cancels an open order and returns it in its new state. */
  cancelOrder(orderId: string): Promise<Order>;
  /** Cash, equity and P&L. */
  getAccountInfo(): Promise<AccountInfo>;
  /** Orders not yet filled, cancelled or rejected. */
  getOpenOrders(): Promise<Order[]>;
  /** An order by id, or undefined when the provider does not know it. */
  getOrderStatus(orderId: string): Promise<Order | undefined>;
  /** Records a log line in the session (fire and forget: it never throws into the strategy). */
  log(level: LogLevel, message: string, data?: unknown): void;
  /** Records a named metric or annotation in the session event log (fire and forget). */
  mark(name: string, value?: MarkValue): void;
}

/**
 * What the host implements to serve {@link StrategyApi}; the session passes one to the strategy runtime. The same
 * methods, each async (a failing `log` or `mark` is swallowed by the runtime and reported on its `onEvent`).
 */
export type StrategyHostServices = {
  [K in keyof StrategyApi]: (...args: Parameters<StrategyApi[K]>) => Promise<Awaited<ReturnType<StrategyApi[K]>>>;
};

/** The data half of {@link StrategyHostServices} (served from DuckDB by `openDuckDBData`). */
export type StrategyDataServices = Pick<StrategyHostServices, 'getRange' | 'readLastData' | 'executeSQL'>;

/** Host methods a strategy awaits (request/response round trips). */
export const REQUEST_METHODS = [
  'getRange', 'readLastData', 'executeSQL', 'subscribeRealtime',
  'placeOrder', 'getPositions', 'cancelOrder', 'getAccountInfo', 'getOpenOrders', 'getOrderStatus',
] as const satisfies readonly (keyof StrategyHostServices)[];

/** One of {@link REQUEST_METHODS}. */
export type RequestMethod = (typeof REQUEST_METHODS)[number];

/** Host methods a strategy calls without waiting (one-way notifications). */
export const NOTIFY_METHODS = ['log', 'mark'] as const satisfies readonly (keyof StrategyHostServices)[];

/** One of {@link NOTIFY_METHODS}. */
export type NotifyMethod = (typeof NOTIFY_METHODS)[number];

/** True when `name` is a method a strategy may request from the host. */
export const isRequestMethod = (name: unknown): name is RequestMethod =>
  typeof name === 'string' && (REQUEST_METHODS as readonly string[]).includes(name);

/** True when `name` is a notification a strategy may send to the host. */
export const isNotifyMethod = (name: unknown): name is NotifyMethod =>
  typeof name === 'string' && (NOTIFY_METHODS as readonly string[]).includes(name);
