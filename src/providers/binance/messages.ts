/**
 * Binance Spot wire frames (market streams and REST klines), as documented and as seen on the wire; shared by
 * the provider (which decodes them) and the simulator (which produces them).
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams
 */

/** Client → server control message. */
export interface BinanceControlRequest {
  readonly method: 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'LIST_SUBSCRIPTIONS';
  readonly params?: readonly string[];
  readonly id: number;
}

/** Server → client answer to a control message. `result` is null for SUBSCRIBE / UNSUBSCRIBE. */
export interface BinanceControlResult {
  readonly result: null | readonly string[];
  readonly id: number;
}

/** Error answer. On the wire it is nested (`{"error":{...},"id"}`); the docs show it flat. Both are accepted. */
export type BinanceControlError =
  | { readonly error: { readonly code: number; readonly msg: string }; readonly id: number | null }
  | { readonly code: number; readonly msg: string; readonly id: number | null };

/** The `k` object of a kline event. Prices and volumes are decimal strings. */
export interface BinanceKline {
  readonly t: number; // open time
  readonly T: number; // close time (t + interval − 1)
  readonly s: string; // symbol, upper case
  readonly i: string; // interval
  readonly f: number; // first trade id (−1 without trades)
  readonly L: number; // last trade id (−1 without trades)
  readonly o: string;
  readonly c: string;
  readonly h: string;
  readonly l: string;
  readonly v: string; // base volume
  readonly n: number; // trade count
  readonly x: boolean; // candle closed
  readonly q: string; // quote volume (q / v = VWAP)
  readonly V: string; // taker buy base volume
  readonly Q: string; // taker buy quote volume
  readonly B?: string; // ignore
}

/** Kline event as sent on `/ws` (raw form). */
export interface BinanceKlineEvent {
  readonly e: 'kline';
  readonly E: number; // event time
  readonly s: string;
  readonly k: BinanceKline;
}

/** Planned disconnect notice: open a new connection and resubscribe before this one is cut. */
export interface BinanceServerShutdownEvent {
  readonly e: 'serverShutdown';
  readonly E: number;
}

/** Frame wrapper on `/stream` (combined form). */
export interface BinanceCombinedFrame<T> {
  readonly stream: string;
  readonly data: T;
}

/** A REST `/api/v3/klines` row: [openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]. */
export type BinanceKlineRow = [number, string, string, string, string, string, number, string, number, string, string, string];

/** REST error body, e.g. `{"code":-1121,"msg":"Invalid symbol."}`. */
export interface BinanceRestError {
  readonly code: number;
  readonly msg: string;
}

/** Error codes the provider acts on. */
export const BINANCE_CODES = {
  unknownProperty: 0,
  invalidValue: 2,
  invalidJson: 3,
  tooManySubscriptions: 4,
  invalidSymbol: -1121,
  invalidInterval: -1120,
  timestampOutsideRecvWindow: -1021,
  invalidSignature: -1022,
} as const;

/** Documented limits of the market stream endpoints. */
export const BINANCE_LIMITS = {
  /** Incoming messages per second per connection (pings, pongs and control messages all count). */
  controlMessagesPerSecond: 5,
  streamsPerConnection: 1024,
  /** Maximum rows per `/api/v3/klines` request. */
  klinesPerRequest: 1000,
  /** Server ping cadence, and how long it waits for the pong. */
  pingIntervalMs: 20_000,
  pongTimeoutMs: 60_000,
  /** A connection is cut after 24 hours. */
  maxConnectionAgeMs: 24 * 60 * 60 * 1000,
} as const;
