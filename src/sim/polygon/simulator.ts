/**
 * The Massive (formerly Polygon) simulator: one loopback HTTP server serving the REST aggregates and the
 * WebSocket clusters (`/stocks`, `/options`, `/forex`, `/crypto`, `/indices`) over a deterministic market with
 * its own clock (starting at the wall-clock time by default), the fault switches tests use (bad keys, swallowed
 * auth, `auth_required` on an authenticated connection, eviction by a second connection, drops, disconnect
 * statuses, corrected minute bars, malformed frames, REST failures), and the ground truth (`closedBars`, with
 * corrections made so far, on the venue's windows). `startPolygonSimulator()` is the entry point.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { bucketStart, isInterval } from '../../domain/interval.ts';
import { POLYGON_FEEDS, type PolygonFeed } from '../../providers/polygon/messages.ts';
import { createMarketClock, type MarketClock } from '../binance/clock.ts';
import { venueWindowStarts } from './calendar.ts';
import { hash32, seededRandom } from '../binance/random.ts';
import { PolygonSimConnection, type PolygonConnectionInfo, type PolygonSimStats } from './connection.ts';
import { aggregateEvent, eventWindowMs, selectInstruments, stepEvents, type StepEvents } from './events.ts';
import { createCatalogue, type PolygonCatalogue, type PolygonInstrument } from './instruments.ts';
import { PolygonMarket, toRow, type SimRow } from './market.ts';
import { resolvePolygonOptions, type PolygonSimulatorOptions } from './options.ts';
import { PolygonRestApi, type PolygonRestRecord } from './rest.ts';

/** Events the simulator emits, with their payloads. */
export interface PolygonSimulatorEvents {
  connection: [PolygonConnectionInfo];
  authenticated: [PolygonConnectionInfo];
  subscribe: [{ readonly connectionId: number; readonly params: readonly string[] }];
  close: [PolygonConnectionInfo];
  /** After the frames of a market step (from, to] were queued. */
  step: [{ readonly from: number; readonly to: number }];
}

/** Selects connections for a fault; all open connections when omitted. */
export type PolygonConnectionFilter = (connection: PolygonConnectionInfo) => boolean;

/** Statuses the server may end a connection with. */
export type PolygonDisconnectStatus = 'max_connections' | 'force_disconnect' | 'slow_consumer';

const DISCONNECT_MESSAGES: Record<PolygonDisconnectStatus, string> = {
  max_connections: 'Maximum number of connections exceeded.',
  force_disconnect: 'Connection was forcefully disconnected.',
  slow_consumer: 'Connection was closed: client is not consuming messages fast enough.',
};

const zeroStats = (): PolygonSimStats => ({
  connectionsOpened: 0, connectionsClosed: 0, connectionsDropped: 0, authAttempts: 0, authFailures: 0, authTimeouts: 0, evictions: 0,
  disconnectStatuses: 0, framesSent: 0, dataEventsSent: 0, correctionsSent: 0, malformedSent: 0, restRequests: 0, restFailures: 0,
});

/** A running simulator. */
export class PolygonSimulator extends EventEmitter<PolygonSimulatorEvents> {
  readonly options: PolygonSimulatorOptions;
  readonly port: number;
  /** `ws://127.0.0.1:PORT` (append `/stocks`, `/crypto`, ...). */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly restUrl: string;
  readonly #catalogue: PolygonCatalogue;
  readonly #market: PolygonMarket;
  readonly #stats = zeroStats();
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #clock: MarketClock;
  readonly #rest: PolygonRestApi;
  readonly #connections: PolygonSimConnection[] = [];
  readonly #random: () => number;
  #nextId = 1;
  #authSeq = 0;
  #swallowAuth = 0;
  readonly #refused = new Set<string>();
  #malformedRate: number;
  #closing: Promise<void> | undefined;

  /** Use {@link startPolygonSimulator}; the server must already listen. */
  constructor(options: PolygonSimulatorOptions, http: Server) {
    super();
    this.options = options;
    this.#http = http;
    this.port = (http.address() as AddressInfo).port;
    this.wsUrl = `ws://${options.host}:${this.port}`;
    this.restUrl = `http://${options.host}:${this.port}`;
    this.#catalogue = createCatalogue(options.symbols, options.seed);
    this.#market = new PolygonMarket(options);
    this.#random = seededRandom(hash32(options.seed, 0x9017));
    this.#malformedRate = options.malformedRate;
    this.#rest = new PolygonRestApi({
      market: this.#market, catalogue: this.#catalogue, apiKeys: options.apiKeys, now: () => this.now(), baseUrl: () => this.restUrl,
      pageSize: options.restPageSize, stats: this.#stats,
    });
    http.on('request', (req, res) => this.#rest.handle(req, res));
    http.on('upgrade', (req, socket, head) => {
      const feed = new URL(req.url ?? '/', 'http://sim').pathname.replace(/^\/+|\/+$/g, '') as PolygonFeed;
      if (!POLYGON_FEEDS.includes(feed)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(feed, ws));
    });
    this.#clock = createMarketClock({
      startTime: options.startTime, tickMs: options.tickMs, stepMs: options.marketStepMs, paused: options.paused,
      onStep: (from, to) => this.#broadcast(from, to),
    });
  }

  /** Current market time (ms). */
  now(): number {
    return this.#clock.now();
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

  /** Advances the market by `steps` steps synchronously, queuing each step's frames. */
  advance(steps = 1): void {
    this.#clock.advance(steps);
  }

  /** Symbols served on a market. */
  symbols(feed: PolygonFeed): string[] {
    return (this.#catalogue.byFeed.get(feed) ?? []).map((i) => i.symbol);
  }

  /**
   * Ground truth: every bar of `interval` opening in [from, to] whose window has ended, corrections made so far
   * applied, on the venue's windows (stock, option and index days open at New York midnight).
   */
  closedBars(symbol: string, interval: string, from: number, to = Number.POSITIVE_INFINITY): SimRow[] {
    const inst = this.#instrument(symbol);
    if (!isInterval(interval)) throw new RangeError(`unknown interval ${interval}`);
    const now = this.now();
    const out: SimRow[] = [];
    for (const t of venueWindowStarts(inst.feed, interval, from, to, now)) {
      const a = this.#market.window(inst, interval, t, now);
      if (a) out.push(toRow(inst, t, a));
    }
    return out;
  }

  /** Snapshots of every connection, oldest first (the most recent closed ones are kept). */
  connections(): PolygonConnectionInfo[] {
    return this.#connections.map((c) => c.info());
  }

  /** A copy of the counters. */
  stats(): PolygonSimStats {
    return { ...this.#stats };
  }

  /** The REST requests received, oldest first. */
  requests(): readonly PolygonRestRecord[] {
    return [...this.#rest.log];
  }

  /** Terminates matching connections without a close frame (the client sees 1006); returns how many. */
  dropConnections(filter?: PolygonConnectionFilter): number {
    return this.#each(filter, (c) => c.drop());
  }

  /** Ends matching connections with a disconnect status and a 1008 close; returns how many. */
  disconnectWith(status: PolygonDisconnectStatus, filter?: PolygonConnectionFilter): number {
    return this.#each(filter, (c) => c.endWith(status, DISCONNECT_MESSAGES[status]));
  }

  /** Makes matching authenticated connections unauthenticated with an `auth_required` status; returns how many. */
  requireAuth(filter?: PolygonConnectionFilter): number {
    return this.#each((c) => c.authenticated && (!filter || filter(c)), (c) => c.requireAuth());
  }

  /** The next `count` auth messages go unanswered (the connection then gets `auth_timeout`). */
  ignoreNextAuth(count: number): void {
    this.#swallowAuth = count;
  }

  /** Subscriptions to these params (e.g. `AM.AAPL`) are answered with an `error` status naming them, until cleared. */
  refuseParams(params: readonly string[]): void {
    this.#refused.clear();
    for (const p of params) this.#refused.add(p);
  }

  /** Corrects a published minute bar now and re-sends it to its subscribers; returns the corrected row. */
  correct(symbol: string, openTime: number): SimRow {
    const inst = this.#instrument(symbol);
    const now = this.now();
    if (bucketStart('1m', openTime) !== openTime || openTime + 60_000 > now) throw new RangeError('only a minute bar already published can be corrected');
    if (!this.#market.minute(inst, openTime, now)) throw new RangeError(`${symbol} has no bar at ${openTime}`);
    this.#market.addCorrection(inst, openTime, now);
    const a = this.#market.minute(inst, openTime, now)!;
    for (const c of this.#open()) {
      for (const param of c.params) {
        const sel = selectInstruments(this.#catalogue, c.feed, param);
        if (sel && eventWindowMs(sel.ev) === 60_000 && sel.instruments.includes(inst)) c.sendData([aggregateEvent(this.#market, inst, sel.ev, openTime, a, now)], 1);
      }
    }
    return toRow(inst, openTime, a);
  }

  /** Makes the minutes of `symbol` in [from, to) quiet (no trades); for windows not yet published. */
  silence(symbol: string, from: number, to: number): void {
    this.#market.silence(this.#instrument(symbol), from, to);
  }

  /** Changes the probability of a garbage frame after each data frame. */
  setMalformedRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('malformedRate must be in [0, 1]');
    this.#malformedRate = rate;
  }

  /** The next `count` REST requests fail with `status` (429 with `Retry-After`). */
  failNextRest(count: number, status: number, retryAfterSeconds = 1): void {
    this.#rest.failNext(count, status, retryAfterSeconds);
  }

  /** Stops the clock and terminates every connection and the server. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#clock.stop();
      for (const client of this.#wss.clients) client.terminate();
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        this.#http.close(() => resolve());
        this.#http.closeAllConnections();
      });
    })();
    return this.#closing;
  }

  #accept(feed: PolygonFeed, ws: import('ws').WebSocket): void {
    this.#stats.connectionsOpened++;
    const connection = new PolygonSimConnection(this.#nextId++, feed, ws, {
      apiKeys: this.options.apiKeys, handshake: this.options.handshake, authTimeoutMs: this.options.authTimeoutMs, stats: this.#stats,
      malformedRate: () => this.#malformedRate, random: this.#random,
      swallowAuth: () => this.#swallowAuth > 0 && this.#swallowAuth-- > 0,
      refused: (param) => this.#refused.has(param),
      onAuthenticated: (c) => this.#authenticated(c),
      onSubscribe: (c, params) => this.emit('subscribe', { connectionId: c.id, params }),
      onClose: (c) => this.emit('close', c.info()),
    });
    this.#connections.push(connection);
    if (this.#connections.length > 1_000) {
      const i = this.#connections.findIndex((c) => c.closed);
      if (i >= 0) this.#connections.splice(i, 1);
    }
    this.emit('connection', connection.info());
  }

  /** A second authenticated connection of a key on a market evicts the oldest (one per market on the default plan). */
  #authenticated(c: PolygonSimConnection): void {
    c.authenticatedAt = ++this.#authSeq;
    const same = this.#open().filter((o) => o !== c && o.authenticated && o.keyIndex === c.keyIndex && o.feed === c.feed).sort((a, b) => a.authenticatedAt - b.authenticatedAt);
    while (same.length + 1 > this.options.maxConnectionsPerKey) {
      this.#stats.evictions++;
      same.shift()!.endWith('max_connections', DISCONNECT_MESSAGES.max_connections);
    }
    this.emit('authenticated', c.info());
  }

  #broadcast(from: number, to: number): void {
    const cache = new Map<string, StepEvents>();
    for (const c of this.#open()) {
      if (!c.authenticated) continue;
      const events: Record<string, unknown>[] = [];
      let corrections = 0;
      for (const param of c.params) {
        const key = `${c.feed}|${param}`;
        let step = cache.get(key);
        if (!step) cache.set(key, (step = stepEvents(this.#market, this.#catalogue, c.feed, param, from, to)));
        events.push(...step.events);
        corrections += step.corrections;
      }
      c.sendData(events, corrections);
    }
    this.emit('step', { from, to });
  }

  #open(): PolygonSimConnection[] {
    return this.#connections.filter((c) => !c.closed);
  }

  #instrument(symbol: string): PolygonInstrument {
    const inst = this.#catalogue.bySymbol.get(symbol);
    if (!inst) throw new RangeError(`unknown symbol ${symbol}`);
    return inst;
  }

  #each(filter: PolygonConnectionFilter | undefined, act: (c: PolygonSimConnection) => void): number {
    const chosen = this.#open().filter((c) => !filter || filter(c.info()));
    for (const c of chosen) act(c);
    return chosen.length;
  }
}

/** Starts a simulator listening on `host:port` (loopback, free port by default). */
export const startPolygonSimulator = async (options?: Partial<PolygonSimulatorOptions>): Promise<PolygonSimulator> => {
  const resolved = resolvePolygonOptions(options);
  const http = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(resolved.port, resolved.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return new PolygonSimulator(resolved, http);
};
