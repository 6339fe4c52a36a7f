/**
 * Configuration of the Binance simulator: every option with its default and the checks that reject
 * nonsense early (a negative tick would otherwise spin the event loop). The stream limits and symbols default
 * to the chosen feed's (Spot, USDⓈ-M or COIN-M futures).
 */
import { BINANCE_FEED_LIMITS, BINANCE_LIMITS } from '../../providers/binance/messages.ts';
import { BINANCE_FEEDS, type BinanceFeed } from '../../providers/binance/urls.ts';
import { BINANCE_FUTURES_SYMBOL, BINANCE_SYMBOL } from '../../domain/symbol.ts';
import { defaultSymbols, DEFAULT_SYMBOLS, syntheticSymbols } from './instruments.ts';

/** Options of `startBinanceSimulator`; every field has a default. */
export interface BinanceSimulatorOptions {
  /**
   * The market this server is: `spot` (stream.binance.com + /api/v3, with the trading endpoints), `usdm`
   * (fstream.binance.com: klines on /market/ws and /market/stream, REST /fapi/v1) or `coinm` (dstream.binance.com:
   * /ws and /stream, REST /dapi/v1).
   */
  readonly feed: BinanceFeed;
  /** Interface to bind (loopback by default). */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Seed of every deterministic choice (prices, fault decisions). */
  readonly seed: number;
  /** Symbols served. With `symbolCount` it defaults to none. */
  readonly symbols: readonly string[];
  /** Adds this many synthetic symbols (`SYM0001USDT`, ...) for load tests. */
  readonly symbolCount: number;
  /** Market time at start (ms). */
  readonly startTime: number;
  /** How much history exists before `startTime` (the simulated listing, floored to a UTC day). */
  readonly historyMs: number;
  /** Wall ms between market steps. */
  readonly tickMs: number;
  /** Market ms advanced per step. */
  readonly marketStepMs: number;
  /** Start with the market clock stopped (use `advance()`). */
  readonly paused: boolean;
  /** Incoming messages (control, ping, pong) allowed within any one-second window per connection. */
  readonly maxMessagesPerSecond: number;
  readonly maxStreamsPerConnection: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** Wall-clock lifetime of a connection before the server announces shutdown and closes it. */
  readonly maxConnectionAgeMs: number;
  /** Wall ms between the `serverShutdown` event and the 1001 close. */
  readonly shutdownGraceMs: number;
  /** Send control errors in the documented flat form instead of the nested form seen on the wire. */
  readonly flatErrors: boolean;
  /** Probability, per data frame, of an extra garbage frame after it. */
  readonly malformedRate: number;
  /** Probability, per data frame, that it is sent twice. */
  readonly duplicateRate: number;
  /** Probability, per update frame, that it is held back and sent after the stream's next frame. */
  readonly reorderRate: number;
  /** REST request weight allowed per wall minute before HTTP 429. */
  readonly restWeightPerMinute: number;
  /** API key of the simulated trading account (`X-MBX-APIKEY`). */
  readonly apiKey: string;
  /** Secret that the signatures of `apiKey` are checked with. */
  readonly secretKey: string;
  /** Starting balances of the trading account, by asset. */
  readonly balances: Readonly<Record<string, number>>;
  /** Commission per fill, as a fraction of what is received. */
  readonly tradingFeeRate: number;
  /**
   * Clock of `/api/v3/time` and of the `recvWindow` check: the market clock, or the wall clock (needed for
   * signed requests while the market runs faster than real time).
   */
  readonly serverClock: 'market' | 'wall';
  /** Added to the server clock (ms), to simulate a client whose clock is off. */
  readonly clockSkewMs: number;
}

/** The defaults, matching the real service where it has a documented value. */
export const DEFAULT_OPTIONS: BinanceSimulatorOptions = {
  feed: 'spot',
  host: '127.0.0.1',
  port: 0,
  seed: 42,
  symbols: DEFAULT_SYMBOLS,
  symbolCount: 0,
  startTime: Date.UTC(2026, 0, 1),
  historyMs: 30 * 24 * 60 * 60 * 1000,
  tickMs: 2_000,
  marketStepMs: 2_000,
  paused: false,
  maxMessagesPerSecond: BINANCE_LIMITS.controlMessagesPerSecond,
  maxStreamsPerConnection: BINANCE_LIMITS.streamsPerConnection,
  pingIntervalMs: BINANCE_LIMITS.pingIntervalMs,
  pongTimeoutMs: BINANCE_LIMITS.pongTimeoutMs,
  maxConnectionAgeMs: BINANCE_LIMITS.maxConnectionAgeMs,
  shutdownGraceMs: 1_000,
  flatErrors: false,
  malformedRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  restWeightPerMinute: 6_000,
  apiKey: 'sim-api-key',
  secretKey: 'sim-secret-key',
  balances: { USDT: 10_000 },
  tradingFeeRate: 0.001,
  serverClock: 'market',
  clockSkewMs: 0,
};

// setTimeout fires at once for delays above 2^31 − 1 ms, which would cut every connection immediately.
const MAX_TIMER_MS = 2_147_483_647;

/** Merges options over the defaults and validates them; throws RangeError on an invalid value. */
export const resolveOptions = (partial: Partial<BinanceSimulatorOptions> = {}): BinanceSimulatorOptions => {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const feed = partial.feed ?? DEFAULT_OPTIONS.feed;
  if (!BINANCE_FEEDS.includes(feed)) throw new RangeError(`feed must be one of ${BINANCE_FEEDS.join(', ')}`);
  const limits = BINANCE_FEED_LIMITS[feed];
  const feedDefaults = feed === 'spot' ? {} : {
    maxMessagesPerSecond: limits.controlMessagesPerSecond, maxStreamsPerConnection: limits.streamsPerConnection,
    pingIntervalMs: limits.pingIntervalMs, pongTimeoutMs: limits.pongTimeoutMs, restWeightPerMinute: limits.weightPerMinute,
  };
  const merged: BinanceSimulatorOptions = { ...DEFAULT_OPTIONS, ...feedDefaults, ...defined };
  const symbols = [
    ...(partial.symbols ?? (merged.symbolCount > 0 ? [] : feed === 'spot' ? DEFAULT_SYMBOLS : defaultSymbols(feed))),
    ...syntheticSymbols(merged.symbolCount),
  ].map((s) => s.toUpperCase());
  const options = { ...merged, symbols };
  const positive = ['tickMs', 'marketStepMs', 'pingIntervalMs', 'pongTimeoutMs', 'maxConnectionAgeMs'] as const;
  for (const key of positive) {
    if (!(options[key] > 0) || options[key] > MAX_TIMER_MS) throw new RangeError(`${key} must be in (0, 2^31)`);
  }
  const counts = ['maxMessagesPerSecond', 'maxStreamsPerConnection', 'symbolCount', 'port'] as const;
  for (const key of counts) {
    if (!Number.isInteger(options[key]) || options[key] < 0) throw new RangeError(`${key} must be an integer ≥ 0`);
  }
  for (const key of ['malformedRate', 'duplicateRate', 'reorderRate'] as const) {
    if (!(options[key] >= 0 && options[key] <= 1)) throw new RangeError(`${key} must be in [0, 1]`);
  }
  if (!(options.shutdownGraceMs >= 0) || !(options.historyMs >= 0)) {
    throw new RangeError('shutdownGraceMs and historyMs must be ≥ 0');
  }
  if (!(options.tradingFeeRate >= 0 && options.tradingFeeRate < 1)) throw new RangeError('tradingFeeRate must be in [0, 1)');
  if (!Object.values(options.balances).every((b) => Number.isFinite(b) && b >= 0)) throw new RangeError('balances must be finite and ≥ 0');
  if (options.serverClock !== 'market' && options.serverClock !== 'wall') throw new RangeError("serverClock must be 'market' or 'wall'");
  if (!options.apiKey || !options.secretKey || !Number.isFinite(options.clockSkewMs)) {
    throw new RangeError('apiKey and secretKey must be non-empty and clockSkewMs finite');
  }
  if (symbols.length === 0) throw new RangeError('no symbols configured');
  const pattern = feed === 'spot' ? BINANCE_SYMBOL : BINANCE_FUTURES_SYMBOL;
  if (!symbols.every((s) => pattern.test(s))) throw new RangeError(`a symbol is not a Binance ${feed} symbol`);
  return options;
};
