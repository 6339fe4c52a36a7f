/**
 * Binance wire frames (market streams and REST klines of Spot, USDⓈ-M and COIN-M futures), as documented and as
 * seen on the wire; shared by the provider (which decodes them) and the simulator (which produces them). The three
 * markets share the frame shapes; COIN-M counts volume in contracts (`v`, `V`) and its `q`, `Q` are in the base asset.
 * Sources: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Kline-Candlestick-Streams,
 * https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams/Kline-Candlestick-Streams
 */
import type { BinanceFeed } from './urls.ts';

/** A control request id: Binance accepts a 64-bit signed integer, a string of at most 36 characters, or null. */
export type BinanceRequestId = number | string | null;

/** Client → server control message (this provider always sends integer ids). */
export interface BinanceControlRequest {
  readonly method: 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'LIST_SUBSCRIPTIONS';
  readonly params?: readonly string[];
  readonly id: number;
}

/** Server → client answer to a control message. `result` is null for SUBSCRIBE / UNSUBSCRIBE; `id` is echoed. */
export interface BinanceControlResult {
  readonly result: null | readonly string[];
  readonly id: BinanceRequestId;
}

/** Error answer. On the wire it is nested (`{"error":{...},"id"}`); the docs show it flat. Both are accepted. */
export type BinanceControlError =
  | { readonly error: { readonly code: number; readonly msg: string }; readonly id: BinanceRequestId }
  | { readonly code: number; readonly msg: string; readonly id: BinanceRequestId };

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

/**
 * A REST klines row: [openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]. On
 * COIN-M `v` and `takerBase` count contracts and `quoteVolume`, `takerQuote` are base-asset volumes.
 */
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

/** Documented limits of the Spot market stream endpoints. */
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

/** The limits of one feed's stream and REST endpoints that the provider and simulator follow. */
export interface BinanceFeedLimits {
  /** Incoming messages per second per connection (control messages, pings and pongs count). */
  readonly controlMessagesPerSecond: number;
  readonly streamsPerConnection: number;
  /** Rows asked for per klines request (the endpoint's cheapest page of at least 500 rows). */
  readonly klinesPerRequest: number;
  /** Most rows one klines request may return. */
  readonly klinesMaxPerRequest: number;
  /** Longest span (ms) between `startTime` and `endTime` of one klines request. */
  readonly klinesMaxSpanMs: number;
  /** REQUEST_WEIGHT limit per minute per IP. */
  readonly weightPerMinute: number;
  readonly exchangeInfoWeight: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  /** Kline intervals the feed streams. */
  readonly intervals: 'all' | 'minute-and-up';
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Per feed. Futures: 10 incoming messages a second, pings every 3 minutes (pong within 10), connections cut at
 * 24 h, no `1s` klines, klines up to 1500 rows weighted by `limit`, 2400 weight a minute; COIN-M klines span at
 * most 200 days. Binance's pages disagree on futures streams per connection (1024 on some, 200 on others and in
 * nautilus_trader's adapter); 200 is within both.
 * Sources: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Kline-Candlestick-Data,
 * https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/rest-api/Kline-Candlestick-Data
 */
export const BINANCE_FEED_LIMITS: Readonly<Record<BinanceFeed, BinanceFeedLimits>> = {
  spot: {
    controlMessagesPerSecond: BINANCE_LIMITS.controlMessagesPerSecond, streamsPerConnection: BINANCE_LIMITS.streamsPerConnection,
    klinesPerRequest: 1000, klinesMaxPerRequest: 1000, klinesMaxSpanMs: Number.POSITIVE_INFINITY, weightPerMinute: 6000,
    exchangeInfoWeight: 20, pingIntervalMs: BINANCE_LIMITS.pingIntervalMs, pongTimeoutMs: BINANCE_LIMITS.pongTimeoutMs,
    maxConnectionAgeMs: BINANCE_LIMITS.maxConnectionAgeMs, intervals: 'all',
  },
  usdm: {
    controlMessagesPerSecond: 10, streamsPerConnection: 200, klinesPerRequest: 1000, klinesMaxPerRequest: 1500,
    klinesMaxSpanMs: Number.POSITIVE_INFINITY, weightPerMinute: 2400, exchangeInfoWeight: 1, pingIntervalMs: 180_000,
    pongTimeoutMs: 600_000, maxConnectionAgeMs: DAY_MS, intervals: 'minute-and-up',
  },
  coinm: {
    controlMessagesPerSecond: 10, streamsPerConnection: 200, klinesPerRequest: 1000, klinesMaxPerRequest: 1500,
    klinesMaxSpanMs: 200 * DAY_MS, weightPerMinute: 2400, exchangeInfoWeight: 1, pingIntervalMs: 180_000,
    pongTimeoutMs: 600_000, maxConnectionAgeMs: DAY_MS, intervals: 'minute-and-up',
  },
};

/** Weight of a klines request: Spot 2; futures by `limit` ([1,100) 1, [100,500) 2, [500,1000] 5, above 10). */
export const binanceKlinesWeight = (feed: BinanceFeed, limit: number): number => {
  if (feed === 'spot') return 2;
  if (limit < 100) return 1;
  if (limit < 500) return 2;
  if (limit <= 1000) return 5;
  return 10;
};
