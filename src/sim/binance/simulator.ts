/**
 * The Binance market-stream simulator: one loopback HTTP server serving the REST API and the WebSocket
 * streams of one feed (Spot, USDⓈ-M or COIN-M futures) over a deterministic market with its own clock, the Spot
 * signed trading endpoints over a matching engine, plus the fault switches and introspection tests use.
 * `startBinanceSimulator()` is the entry point.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bucketStart, isInterval, nextBucketStart, type Interval } from '../../domain/interval.ts';
import { systemClock, type Clock, type TimerHandle } from '../../clock.ts';
import type { BinanceKline } from '../../providers/binance/messages.ts';
import { createMarketClock, type MarketClock } from './clock.ts';
import type { ConnectionInfo, ReceivedKind, SimConnection } from './connection.ts';
import type { FaultRates } from './faults.ts';
import { createInstruments, type Instrument } from './instruments.ts';
import { finalKline, firstBucket } from './klines.ts';
import { MatchingEngine, type SimBalance, type SimOrder, type SimTrade } from './matching.ts';
import { resolveOptions, type BinanceSimulatorOptions } from './options.ts';
import { createMarketData, type MarketData } from './prices.ts';
import { createRestApi, type RestApi, type RestRequestRecord } from './rest.ts';
import { createStats, type SimulatorStats } from './stats.ts';
import { createTradingEndpoints, type TradingEndpoints } from './trading.ts';
import { createStreamServer, type StreamServer } from './ws-server.ts';

/** Events the simulator emits, with their payloads. */
export interface BinanceSimulatorEvents {
  connection: [ConnectionInfo];
  subscribe: [{ readonly connectionId: number; readonly streams: readonly string[] }];
  unsubscribe: [{ readonly connectionId: number; readonly streams: readonly string[] }];
  close: [{ readonly connectionId: number; readonly code: number; readonly reason: string }];
  /** After a connection handled an incoming message, ping or pong; `counted` is false when it ignored it (stalled). */
  received: [{ readonly connectionId: number; readonly kind: ReceivedKind; readonly counted: boolean }];
  /** After the frames of a market step (from, to] were sent. */
  step: [{ readonly from: number; readonly to: number }];
}

/** What a simulator runs on besides its options: its clocks (the system clock by default). */
export interface BinanceSimulatorDeps {
  /** Timers of the market clock's ticks. */
  readonly timers?: Clock;
  /**
   * Wall time: connection pings, pong deadlines, lifetimes and stalls, the message-rate window, the REST weight
   * minute and Retry-After, and a `wall` server clock.
   */
  readonly wall?: Clock;
}

/** Selects connections for a fault; all open connections when omitted. */
export type ConnectionFilter = (connection: ConnectionInfo) => boolean;

/** A running simulator. */
export class BinanceSimulator extends EventEmitter<BinanceSimulatorEvents> {
  readonly options: BinanceSimulatorOptions;
  readonly port: number;
  /** `ws://127.0.0.1:PORT` (append `/ws`, `/ws/<stream>` or `/stream?streams=`; USDⓈ-M: after `/market`). */
  readonly wsUrl: string;
  /** Where klines stream from, to point a client's WebSocket base at: `wsUrl`, or `${wsUrl}/market` on USDⓈ-M. */
  readonly streamBase: string;
  /** `http://127.0.0.1:PORT`. */
  readonly restUrl: string;

  readonly #instruments: ReadonlyMap<string, Instrument>;
  readonly #market: MarketData;
  readonly #stats: SimulatorStats;
  readonly #rates: FaultRates;
  readonly #http: Server;
  readonly #clock: MarketClock;
  readonly #streams: StreamServer;
  readonly #rest: RestApi;
  readonly #engine: MatchingEngine;
  readonly #trading: TradingEndpoints;
  readonly #rejectedStreams = new Set<string>();
  readonly #replies = { held: false };
  #clockSkewMs: number;
  readonly #wall: Clock;
  #stallTimer: TimerHandle | undefined;
  #closing: Promise<void> | undefined;

  /** Use {@link startBinanceSimulator}; the server must already listen. */
  constructor(options: BinanceSimulatorOptions, http: Server, deps: BinanceSimulatorDeps = {}) {
    super();
    this.options = options;
    this.#wall = deps.wall ?? systemClock;
    this.#http = http;
    this.port = (http.address() as AddressInfo).port;
    this.wsUrl = `ws://${options.host}:${this.port}`;
    this.restUrl = `http://${options.host}:${this.port}`;
    this.streamBase = options.feed === 'usdm' ? `${this.wsUrl}/market` : this.wsUrl;
    this.#instruments = createInstruments(options.symbols, options.seed, options.feed);
    this.#market = createMarketData(options.startTime - options.historyMs);
    this.#stats = createStats();
    const { malformedRate, duplicateRate, reorderRate } = options;
    this.#rates = { malformedRate, duplicateRate, reorderRate };
    this.#streams = createStreamServer({
      feed: options.feed,
      market: this.#market,
      instruments: this.#instruments,
      onConnection: (c) => this.emit('connection', c.info()),
      settings: {
        maxMessagesPerSecond: options.maxMessagesPerSecond,
        maxStreams: options.maxStreamsPerConnection,
        pingIntervalMs: options.pingIntervalMs,
        pongTimeoutMs: options.pongTimeoutMs,
        maxConnectionAgeMs: options.maxConnectionAgeMs,
        shutdownGraceMs: options.shutdownGraceMs,
        flatErrors: options.flatErrors,
        rejectedStreams: this.#rejectedStreams,
        replies: this.#replies,
        seed: options.seed,
        rates: this.#rates,
        stats: this.#stats,
        marketNow: () => this.now(),
        wall: this.#wall,
        onSubscribe: (c, streams) => this.emit('subscribe', { connectionId: c.id, streams }),
        onUnsubscribe: (c, streams) => this.emit('unsubscribe', { connectionId: c.id, streams }),
        onClose: (c, code, reason) => {
          this.#stats.connectionsClosed++;
          this.emit('close', { connectionId: c.id, code, reason });
        },
        onReceived: (c, kind, counted) => this.emit('received', { connectionId: c.id, kind, counted }),
      },
    });
    this.#clockSkewMs = options.clockSkewMs;
    this.#engine = new MatchingEngine({
      instruments: this.#instruments, market: this.#market, now: () => this.now(), feeRate: options.tradingFeeRate,
    });
    this.#engine.openAccount(options.apiKey, options.balances);
    this.#trading = createTradingEndpoints({
      engine: this.#engine, instruments: this.#instruments, serverTime: () => this.serverTime(),
      secretOf: (apiKey) => (apiKey === options.apiKey ? options.secretKey : undefined),
    });
    this.#rest = createRestApi({
      feed: options.feed, market: this.#market, instruments: this.#instruments, now: () => this.now(), wallNow: () => this.#wall.now(), stats: this.#stats,
      weightPerMinute: options.restWeightPerMinute, serverTime: () => this.serverTime(),
      // The trading endpoints are Spot's (`/api/v3/order`, ...): a futures simulator serves market data only.
      ...(options.feed === 'spot' ? { trading: this.#trading } : {}),
    });
    http.on('request', (req, res) => this.#rest.handle(req, res));
    http.on('upgrade', (req, socket, head) => this.#streams.handleUpgrade(req, socket, head));
    this.#clock = createMarketClock({
      startTime: options.startTime,
      tickMs: options.tickMs,
      stepMs: options.marketStepMs,
      paused: options.paused,
      ...(deps.timers ? { timers: deps.timers } : {}),
      onStep: (from, to) => {
        this.#engine.step(from, to);
        this.#streams.broadcast(from, to);
        this.emit('step', { from, to });
      },
    });
  }

  /** Symbols served, upper case, in catalogue order. */
  get symbols(): readonly string[] {
    return [...this.#instruments.keys()];
  }

  /** Current market time (ms). */
  now(): number {
    return this.#clock.now();
  }

  /** Server time (ms) of `/api/v3/time` and signed requests: the market or the wall clock, plus the skew. */
  serverTime(): number {
    return (this.options.serverClock === 'wall' ? this.#wall.now() : this.now()) + this.#clockSkewMs;
  }

  /** Shifts the server clock by `ms` from now on (signed requests stamped by the old clock get -1021). */
  setClockSkew(ms: number): void {
    this.#clockSkewMs = ms;
  }

  /** Every order placed at the simulated exchange, oldest first (copies). */
  orders(): SimOrder[] {
    return this.#engine.orders().map((o) => ({ ...o }));
  }

  /** Every execution of the trading account, oldest first. */
  trades(): SimTrade[] {
    return this.#engine.trades(this.options.apiKey);
  }

  /** The trading account's balances, by asset (copies). */
  balances(): Record<string, SimBalance> {
    return Object.fromEntries([...this.#engine.balances(this.options.apiKey)].map(([asset, b]) => [asset, { ...b }]));
  }

  /** Fault: the next `count` executions appear twice in `myTrades`, the copy under a new trade id (balances move once). */
  duplicateNextExecutions(count = 1): void {
    this.#engine.duplicateNextExecutions(count);
  }

  /** Expires a working order (status EXPIRED, its hold released), as the venue does on its own; false when not working. */
  expireOrder(orderId: number): boolean {
    return this.#engine.expire(orderId);
  }

  /** Fault: the next `count` executions fill half of what is left of their order; a later market step fills the rest. */
  partialNextExecutions(count = 1): void {
    this.#engine.partialNextExecutions(count);
  }

  /**
   * The connection of the next `count` order placements closes without an answer: after the order was carried
   * out (`placed`, the default: a lost answer), or before (a lost request).
   */
  dropNextOrderResponses(count = 1, placed = true): void {
    this.#trading.dropNextOrderResponses(count, placed);
  }

  /** True while the market clock's timer is stopped. */
  get paused(): boolean {
    return this.#clock.paused;
  }

  /** Stops the market clock's timer. */
  pause(): void {
    this.#clock.pause();
  }

  /** Restarts the market clock's timer. */
  resume(): void {
    this.#clock.resume();
  }

  /** Advances the market by `steps` steps synchronously, sending each step's frames. */
  advance(steps = 1): void {
    this.#clock.advance(steps);
  }

  /** The final kline (x = true) of the bucket opening at `openTime`: the ground truth streams and REST match. */
  bar(symbol: string, interval: string, openTime: number): BinanceKline {
    const [instrument, valid] = this.#resolve(symbol, interval);
    if (bucketStart(valid, openTime) !== openTime) throw new RangeError(`${openTime} does not open a ${valid} bucket`);
    if (openTime < firstBucket(this.#market, valid)) throw new RangeError(`${openTime} is before the simulated history`);
    return finalKline(this.#market, instrument, valid, openTime);
  }

  /** Every bar closed by `now()` whose open time lies in [fromOpenTime, toOpenTime], in order. */
  closedBars(symbol: string, interval: string, fromOpenTime: number, toOpenTime = Infinity): BinanceKline[] {
    const [instrument, valid] = this.#resolve(symbol, interval);
    let t = bucketStart(valid, fromOpenTime);
    if (t < fromOpenTime) t = nextBucketStart(valid, t);
    const out: BinanceKline[] = [];
    const now = this.now();
    for (t = Math.max(t, firstBucket(this.#market, valid)); t <= toOpenTime; t = nextBucketStart(valid, t)) {
      if (nextBucketStart(valid, t) > now) break;
      out.push(finalKline(this.#market, instrument, valid, t));
    }
    return out;
  }

  /** Snapshots of every connection (open, and the most recent closed ones). */
  connections(): ConnectionInfo[] {
    return this.#streams.all().map((c) => c.info());
  }

  /** A copy of the counters. */
  stats(): SimulatorStats {
    return { ...this.#stats };
  }

  /** The REST requests received, oldest first. */
  requests(): readonly RestRequestRecord[] {
    return [...this.#rest.log];
  }

  /** Terminates matching connections without a close frame (the client sees 1006); returns how many. */
  dropConnections(filter?: ConnectionFilter): number {
    return this.#each(filter, (c) => c.drop());
  }

  /** Closes matching connections with a close frame; returns how many. */
  closeConnections(code: number, reason: string, filter?: ConnectionFilter): number {
    return this.#each(filter, (c) => c.close(code, reason));
  }

  /** Sends `serverShutdown` to every connection and closes them with 1001 after `graceMs`. */
  serverShutdown(graceMs = this.options.shutdownGraceMs): void {
    this.#each(undefined, (c) => c.announceShutdown(graceMs));
  }

  /** Refuses every later SUBSCRIBE naming one of `streams` with an error reply (a stream the server rejects). */
  rejectStreams(streams: readonly string[]): void {
    for (const s of streams) this.#rejectedStreams.add(s);
  }

  /** Accepts every stream again. */
  acceptStreams(): void {
    this.#rejectedStreams.clear();
  }

  /** Fault: control replies (SUBSCRIBE, UNSUBSCRIBE, ...) are held from now on; the requests themselves take effect. */
  holdControlReplies(): void {
    this.#replies.held = true;
  }

  /** Sends every held control reply, in order, and answers at once again. */
  releaseControlReplies(): void {
    this.#replies.held = false;
    for (const c of this.#streams.open()) c.releaseReplies();
  }

  /** Makes the current connections dead peers (no data, pings or replies) for `ms`, or until `unstall()`. */
  stall(ms: number | 'forever'): void {
    this.#each(undefined, (c) => c.stall());
    this.#stallTimer?.cancel();
    this.#stallTimer = ms === 'forever' ? undefined : this.#wall.setTimeout(() => this.unstall(), ms);
  }

  /** Ends every stall. */
  unstall(): void {
    this.#stallTimer?.cancel();
    this.#stallTimer = undefined;
    for (const c of this.#streams.open()) c.unstall();
  }

  /** Changes fault probabilities; open connections use the new values from their next frame. */
  setFaultRates(rates: Partial<FaultRates>): void {
    for (const key of ['malformedRate', 'duplicateRate', 'reorderRate'] as const) {
      const value = rates[key];
      if (value === undefined) continue;
      if (!(value >= 0 && value <= 1)) throw new RangeError(`${key} must be in [0, 1]`);
      this.#rates[key] = value;
    }
  }

  /** The next `count` REST requests get HTTP 429 with `Retry-After`; requests during that window get 418. */
  rateLimitNext(count: number, retryAfterSeconds: number): void {
    this.#rest.rateLimitNext(count, retryAfterSeconds);
  }

  /** Stops the clock and terminates every connection and the server. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#clock.stop();
      this.#stallTimer?.cancel();
      await this.#streams.close();
      await new Promise<void>((resolve) => {
        this.#http.close(() => resolve());
        this.#http.closeAllConnections();
      });
    })();
    return this.#closing;
  }

  #resolve(symbol: string, interval: string): [Instrument, Interval] {
    const instrument = this.#instruments.get(symbol.toUpperCase());
    if (!instrument) throw new RangeError(`unknown symbol ${symbol}`);
    if (!isInterval(interval)) throw new RangeError(`unknown interval ${interval}`);
    return [instrument, interval];
  }

  #each(filter: ConnectionFilter | undefined, act: (c: SimConnection) => void): number {
    const chosen = this.#streams.open().filter((c) => !filter || filter(c.info()));
    for (const c of chosen) act(c);
    return chosen.length;
  }
}

/** Starts a simulator listening on `host:port` (loopback, free port by default). */
export const startBinanceSimulator = async (options?: Partial<BinanceSimulatorOptions>, deps: BinanceSimulatorDeps = {}): Promise<BinanceSimulator> => {
  const resolved = resolveOptions(options);
  // Node's default 16 KiB header limit would refuse a combined URL naming ~1,000 streams.
  const http = createServer({ maxHeaderSize: 64 * 1024 });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(resolved.port, resolved.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return new BinanceSimulator(resolved, http, deps);
};
