/**
 * The Binance realtime provider, for Spot, USDⓈ-M and COIN-M futures (`feed`): kline streams over a pool of
 * connections (one per `streams_per_connection` streams) with live
 * SUBSCRIBE / UNSUBSCRIBE, driven by the connection and subscription-set actors; frames decoded and validated;
 * closed bars delivered exactly once and in order per stream, gaps repaired from REST; unknown symbols reported
 * as INVALID_SYMBOL (exchange info up front, silent streams afterwards).
 */
import type { InspectionEvent } from 'xstate';
import { systemClock, type Clock, type TimerHandle } from '../../clock.ts';
import type { Bar } from '../../domain/bar.ts';
import { isInterval, type Interval } from '../../domain/interval.ts';
import {
  BINANCE_FUTURES_SYMBOL, BINANCE_SYMBOL, binanceKlineStream, normaliseBinanceFuturesSymbol, normaliseBinanceSymbol, parseBinanceKlineStream,
} from '../../domain/symbol.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import type { ConnectionState, ConnectionStateDetail, ProviderStats, RealtimeProvider, Unlisten } from '../realtime-provider.ts';
import { ProviderSignals } from '../shared/provider-signals.ts';
import { Shard } from '../shared/shard.ts';
import { StreamTracker } from '../shared/stream-tracker.ts';
import { BinanceRestClient } from './backfill.ts';
import { BINANCE_CONNECTION, binanceConnectionInput, decodeBinanceRealtimeConfig, type BinanceRealtimeConfig } from './config.ts';
import { BinanceStreamFeed } from './feed.ts';
import { BINANCE_FEED_LIMITS } from './messages.ts';
import { BINANCE_BAR_PROVIDER, type BinanceKlineDecoding } from './parse.ts';
import { binanceEndpoints } from './urls.ts';

/** Optional collaborators (tests and sessions inject them). */
export interface BinanceProviderDeps {
  readonly clock?: Clock;
  /** Seed for reconnect jitter. */
  readonly seed?: number;
  /** Receives every actor's inspection events (Stately inspector, traces). */
  readonly inspect?: (event: InspectionEvent) => void;
}

/** Binance kline streams of one feed (Spot, USDⓈ-M or COIN-M futures). */
export class BinanceRealtimeProvider implements RealtimeProvider {
  readonly name = 'binance-realtime';
  readonly config: BinanceRealtimeConfig;
  /** The `provider` column of this feed's bars (`binance`, `binance-usdm`, `binance-coinm`): what resume and the bus key streams by. */
  get barProvider(): string { return BINANCE_BAR_PROVIDER[this.config.feed]; }
  private readonly clock: Clock;
  private readonly signals: ProviderSignals<Bar>;
  private readonly deps: BinanceProviderDeps;
  private readonly endpoints: { ws: string; rest: string };
  private readonly rest: BinanceRestClient;
  private readonly tracker: StreamTracker;
  private readonly feed: BinanceStreamFeed;
  private readonly shards: Shard[] = [];
  private readonly shardStates: ConnectionState[] = [];
  /** Last frame time per stream name, for silent-stream detection. */
  private readonly lastFrame = new Map<string, number>();
  private readonly confirmedAt = new Map<string, number>();
  private readonly symbolInfo = new Map<string, string>();
  private readonly contractSizes = new Map<string, number>();
  private readonly decoding: BinanceKlineDecoding;
  private readonly normalise: (raw: string) => string;
  private readonly symbolPattern: RegExp;
  private silentTimer: TimerHandle | undefined;
  private connected = false;
  private readonly counters = { reconnects: 0, reasons: {} as Record<string, number> };

  constructor(config: unknown, deps: BinanceProviderDeps = {}) {
    this.config = decodeBinanceRealtimeConfig(config);
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.signals = new ProviderSignals(this.clock);
    this.endpoints = binanceEndpoints(this.config);
    const futures = this.config.feed !== 'spot';
    this.normalise = futures ? normaliseBinanceFuturesSymbol : normaliseBinanceSymbol;
    this.symbolPattern = futures ? BINANCE_FUTURES_SYMBOL : BINANCE_SYMBOL;
    this.decoding = {
      provider: BINANCE_BAR_PROVIDER[this.config.feed],
      ...(this.config.feed === 'coinm' ? { contractSize: (symbol: string) => this.contractSizes.get(symbol) } : {}),
    };
    this.rest = new BinanceRestClient(this.endpoints.rest, { now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms), onError: (e) => this.signals.fail(e) }, this.config.feed);
    this.rest.decoding = this.decoding;
    this.tracker = new StreamTracker({
      clock: this.clock,
      emitUpdates: this.config.emit_updates,
      gapGraceMs: BINANCE_CONNECTION.gapGraceMs,
      maxHeld: this.config.buffer_size,
      backfillOnStartBars: this.config.backfill_on_start_bars,
      ...(this.config.backfill ? { backfill: (s: string, i: Interval, from: number, to: number) => this.rest.closedBars(s, i, from, to) } : {}),
      emit: (bar) => this.signals.data.emit(bar),
      onError: (e) => this.signals.fail(e),
    });
    this.feed = new BinanceStreamFeed(this.endpoints.ws, this.decoding, {
      onKline: (stream, bar, eventTime, receivedAt) => {
        this.lastFrame.set(stream, receivedAt);
        this.tracker.accept(bar, eventTime);
      },
      onMalformed: (shard, reason, text) => this.signals.fail(realtimeError('INVALID_MESSAGE', `connection ${shard.index}: ${reason}`, { connection: shard.index, frame: text })),
      onSocketError: (shard, _gen, message) => this.signals.fail(realtimeError('SOCKET_ERROR', `connection ${shard.index}: ${message}`, { connection: shard.index })),
    });
  }

  async connect(signal?: AbortSignal): Promise<void> {
    if (this.signals.closed) throw realtimeError('CLOSED', 'provider was disconnected; create a new one');
    this.connected = true;
    if (this.shards.length === 0) this.addShard();
    for (const shard of this.shards) if (shard.actor.getSnapshot().status !== 'active') shard.start();
    this.armSilentCheck();
    await this.signals.waitFor(() => this.shards.every((_, i) => this.shardStates[i] === 'connected'), signal, () => {
      const failed = this.shards.find((s) => s.actor.getSnapshot().value === 'failed');
      return failed ? realtimeError(failed.actor.getSnapshot().context.failure?.code ?? 'CONNECTION_FAILED', failed.actor.getSnapshot().context.failure?.message ?? 'connection failed') : undefined;
    });
  }

  async subscribe(symbols: readonly string[], interval: Interval): Promise<void> {
    // Nothing would ever confirm the streams: refuse rather than wait for the subscribe timeout.
    if (!this.connected) throw realtimeError(this.signals.closed ? 'CLOSED' : 'NOT_READY', this.signals.closed ? `${this.name} was disconnected; create a new one` : `call connect() before subscribe() on ${this.name}`, { provider: this.name });
    if (!isInterval(interval)) throw realtimeError('INVALID_INTERVAL', `unknown interval ${JSON.stringify(interval)}`, { interval });
    if (interval === '1s' && BINANCE_FEED_LIMITS[this.config.feed].intervals !== 'all') {
      throw realtimeError('INVALID_INTERVAL', `Binance ${this.config.feed} futures have no 1s klines (1m is the shortest)`, { interval, feed: this.config.feed });
    }
    if (this.config.feed === 'spot') {
      // A contract suffix would be stripped by the spot normaliser into a symbol that does not exist: say why.
      const contracts = symbols.filter((s) => /_(PERP|\d{6})$/i.test(s.trim()));
      if (contracts.length > 0) {
        throw realtimeError('INVALID_SYMBOL', `${contracts.join(', ')}: futures contracts; set realtime_provider_config.feed to usdm or coinm`, { symbols: contracts, feed: 'spot' });
      }
    }
    const wanted = [...new Set(symbols.map(this.normalise))];
    const valid: string[] = [];
    for (const s of wanted) {
      if (this.symbolPattern.test(s)) valid.push(s);
      else this.signals.fail(realtimeError('INVALID_SYMBOL', `${JSON.stringify(s)} is not a Binance ${this.config.feed} symbol`, { symbol: s, feed: this.config.feed }));
    }
    const known = await this.checkSymbols(valid);
    if (known.length === 0) throw realtimeError('INVALID_SYMBOL', `no valid symbol among ${wanted.join(', ')}`, { symbols: wanted });
    const streams = known.map((s) => binanceKlineStream(s, interval));
    const now = this.clock.now();
    for (const stream of streams) {
      if (this.shardOf(stream)) continue;
      const shard = this.shards.find((s) => (s.subscriptionState()?.desired.length ?? 0) < this.config.streams_per_connection) ?? this.addShard();
      shard.subscriptions({ type: 'subscriptions.add', streams: [stream] });
      this.confirmedAt.set(stream, now);
    }
    await this.signals.waitFor(() => streams.every((st) => this.isSettled(st)), undefined, undefined, this.config.subscribe_timeout_ms);
  }

  async unsubscribe(symbols: readonly string[]): Promise<void> {
    const drop = new Set(symbols.map(this.normalise));
    const removed: string[] = [];
    for (const shard of this.shards) {
      const streams = (shard.subscriptionState()?.desired ?? []).filter((st) => drop.has(parseBinanceKlineStream(st)?.symbol ?? ''));
      if (streams.length === 0) continue;
      shard.subscriptions({ type: 'subscriptions.remove', streams });
      removed.push(...streams);
    }
    for (const st of removed) {
      const p = parseBinanceKlineStream(st);
      if (p && isInterval(p.interval)) this.tracker.forget(p.symbol, p.interval);
      this.lastFrame.delete(st);
      this.confirmedAt.delete(st);
    }
    if (this.connected) await this.signals.waitFor(() => removed.every((st) => !this.shards.some((s) => s.subscriptionState()?.confirmed.includes(st))), undefined, undefined, this.config.subscribe_timeout_ms);
  }

  resumeAfter(symbol: string, interval: Interval, lastOpenTime: number, maxGapMs?: number): void {
    this.tracker.resumeAfter(this.normalise(symbol), interval, lastOpenTime, maxGapMs);
  }

  fetchClosedBars(symbol: string, interval: Interval, from: number, to: number): Promise<Bar[]> {
    return this.rest.closedBars(this.normalise(symbol), interval, from, to);
  }

  onData(callback: (bar: Bar) => void): Unlisten {
    return this.signals.data.add(callback);
  }

  onError(callback: (error: RealtimeError) => void): Unlisten {
    return this.signals.errors.add(callback);
  }

  onConnectionStateChange(callback: (state: ConnectionState, detail: ConnectionStateDetail) => void): Unlisten {
    return this.signals.states.add(callback);
  }

  async disconnect(): Promise<void> {
    this.signals.closed = true;
    this.connected = false;
    this.silentTimer?.cancel();
    this.tracker.close();
    await Promise.all(this.shards.map((s) => s.stop()));
    this.signals.setState('disconnected', { connection: -1, reason: 'disconnect' });
    this.signals.clear();
  }

  getConnectionState(): ConnectionState {
    return this.signals.state;
  }

  getSubscribedSymbols(): string[] {
    const out = new Set<string>();
    for (const shard of this.shards) for (const st of shard.subscriptionState()?.confirmed ?? []) out.add(parseBinanceKlineStream(st)?.symbol ?? st);
    return [...out].sort();
  }

  stats(): ProviderStats {
    return {
      connections: this.shards.length,
      framesReceived: this.feed.frames,
      barsEmitted: this.tracker.stats.emitted,
      barsBackfilled: this.tracker.stats.backfilled,
      malformedFrames: this.feed.malformed,
      duplicatesDropped: this.tracker.stats.duplicates,
      reconnects: this.counters.reconnects,
      reconnectReasons: { ...this.counters.reasons },
      controlMessagesSent: this.shards.reduce((n, s) => n + s.controlSent, 0),
    };
  }

  /** The connection actors, one per shard (for inspection and tests). */
  get connectionActors() {
    return this.shards.map((s) => s.actor);
  }

  private addShard(): Shard {
    const index = this.shards.length;
    const shard = new Shard(index, this.feed.hooks(), binanceConnectionInput(this.config, (this.deps.seed ?? 1) + index), this.clock, this.deps.inspect);
    this.shards.push(shard);
    shard.changes.add(() => this.signals.changed());
    this.shardStates.push('disconnected');
    shard.actor.on('connection.state', (ev) => {
      if (ev.state === 'connected' && this.shardStates[index] === 'reconnecting') this.tracker.expedite();
      this.shardStates[index] = ev.state;
      this.signals.setState(this.aggregateState(), { connection: index, ...(ev.reason ? { reason: ev.reason } : {}), attempt: ev.attempt });
    });
    shard.actor.on('connection.reconnecting', (ev) => {
      this.counters.reconnects++;
      this.counters.reasons[ev.reason] = (this.counters.reasons[ev.reason] ?? 0) + 1;
      this.signals.fail(realtimeError(ev.reason === 'rate_limited' ? 'RATE_LIMITED' : 'CONNECTION_LOST', `connection ${index} lost (${ev.reason}); reconnect attempt ${ev.attempt} in ${ev.delayMs} ms`, { connection: index, ...ev }));
    });
    shard.actor.on('connection.failed', (ev) => this.signals.fail(realtimeError(ev.code, `connection ${index}: ${ev.message}`, { connection: index, code: ev.code })));
    shard.actor.start();
    shard.actor.system.get('subscriptions')?.on('subscription.rejected', (ev: { stream: string; code: number; message: string }) => {
      this.signals.fail(realtimeError('SUBSCRIPTION_REJECTED', `${ev.stream}: ${ev.message} (code ${ev.code})`, { stream: ev.stream, code: ev.code }));
    });
    if (this.connected) shard.actor.send({ type: 'connection.start' });
    return shard;
  }

  /** Symbols that exist and trade; unknown ones are reported as INVALID_SYMBOL. */
  private async checkSymbols(symbols: string[], force = false): Promise<string[]> {
    if ((!this.config.validate_symbols && !force) || symbols.length === 0) return symbols;
    if (symbols.some((s) => !this.symbolInfo.has(s))) {
      try {
        for (const [s, info] of await this.rest.exchangeInfo([])) {
          this.symbolInfo.set(s, info.status);
          if (info.contractSize !== undefined) this.contractSizes.set(s, info.contractSize);
        }
      } catch (e) {
        // Exchange info is a convenience: without it, silent-stream detection still catches unknown symbols.
        this.signals.fail(realtimeError('REQUEST_FAILED', `exchangeInfo unavailable, symbols not pre-checked: ${(e as Error).message}`, {}));
        return symbols;
      }
    }
    return symbols.filter((s) => {
      const status = this.symbolInfo.get(s);
      if (status === 'TRADING') return true;
      this.signals.fail(realtimeError('INVALID_SYMBOL', status ? `${s} is not trading (status ${status})` : `${s} is not a Binance ${this.config.feed} symbol`, { symbol: s, status: status ?? null, feed: this.config.feed }));
      return false;
    });
  }

  /** Every few seconds: a confirmed stream silent while its connection is alive is an unknown symbol or stuck. */
  private armSilentCheck(): void {
    const every = Math.max(250, Math.floor(this.config.silent_stream_ms / 3));
    this.silentTimer = this.clock.setTimeout(() => {
      if (this.signals.closed) return;
      void this.checkSilentStreams().finally(() => this.armSilentCheck());
    }, every);
  }

  private async checkSilentStreams(): Promise<void> {
    const now = this.clock.now();
    for (const shard of this.shards) {
      if (this.shardStates[shard.index] !== 'connected') continue;
      for (const stream of shard.subscriptionState()?.confirmed ?? []) {
        const since = Math.max(this.lastFrame.get(stream) ?? 0, this.confirmedAt.get(stream) ?? 0);
        if (now - since < this.config.silent_stream_ms) continue;
        const symbol = parseBinanceKlineStream(stream)?.symbol ?? stream;
        this.symbolInfo.delete(symbol);
        const stillValid = (await this.checkSymbols([symbol], true)).length > 0;
        shard.subscriptions({ type: 'subscriptions.remove', streams: [stream] });
        if (stillValid) {
          // Known symbol, silent stream: ask again (a lost subscription); it stays desired.
          // USDⓈ-M pushes klines only under /market: an unrouted base (the pre-2026 URL) acknowledges and stays silent.
          const hint = this.config.feed === 'usdm' && !/\/market$/.test(this.endpoints.ws) ? ` (USDⓈ-M klines stream only under the /market route; ws_url is ${this.endpoints.ws})` : '';
          this.signals.fail(realtimeError('SUBSCRIPTION_FAILED', `${stream} silent for ${now - since} ms; resubscribing${hint}`, { stream }));
          shard.subscriptions({ type: 'subscriptions.add', streams: [stream] });
          this.confirmedAt.set(stream, now);
        } else {
          this.confirmedAt.delete(stream);
        }
      }
    }
  }

  private shardOf(stream: string): Shard | undefined {
    return this.shards.find((s) => s.subscriptionState()?.desired.includes(stream));
  }

  /** Confirmed by the server, or given up on (rejected, reported). */
  private isSettled(stream: string): boolean {
    return this.shards.some((s) => {
      const st = s.subscriptionState();
      return !!st && (st.confirmed.includes(stream) || st.rejected.includes(stream));
    });
  }

  private aggregateState(): ConnectionState {
    const states = this.shardStates;
    if (states.some((s) => s === 'reconnecting')) return 'reconnecting';
    if (states.length > 0 && states.every((s) => s === 'connected')) return 'connected';
    if (states.some((s) => s === 'connecting')) return 'connecting';
    if (states.some((s) => s === 'connected')) return 'reconnecting';
    return 'disconnected';
  }
}
