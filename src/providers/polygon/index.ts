/**
 * The Massive (formerly Polygon.io) realtime provider, registered as `polygon-realtime`: aggregate streams (`AM`,
 * `A`, `XA`, `XAS`, `CA`, `CAS`) of one market over one connection (Massive allows one per market per key: a
 * second one would evict the first, so there is no sharding and no rotation), driven by the shared connection
 * and subscription-set actors with the authentication handshake as the machine's `handshaking` state. Bars go
 * through the bar book (outage backfill from REST, duplicates dropped, corrections re-emitted with
 * `correction: true`, local aggregation of intervals Massive does not push).
 */
import type { InspectionEvent } from 'xstate';
import { systemClock, type Clock, type TimerHandle } from '../../clock.ts';
import type { Bar } from '../../domain/bar.ts';
import { bucketStart, intervalMs, isInterval, nextBucketStart, type Interval } from '../../domain/interval.ts';
import { realtimeError, type ErrorCode, type RealtimeError } from '../../errors.ts';
import { registerSecret } from '../../secrets.ts';
import type { ConnectionState, ConnectionStateDetail, ProviderStats, RealtimeProvider, Unlisten } from '../realtime-provider.ts';
import { ProviderSignals } from '../shared/provider-signals.ts';
import { Shard } from '../shared/shard.ts';
import { combineBars } from './aggregate.ts';
import { PolygonRestClient } from './backfill.ts';
import { every, PolygonBook, type PolygonBar } from './book.ts';
import { decodePolygonRealtimeConfig, polygonConnectionInput, type PolygonRealtimeConfig } from './config.ts';
import { PolygonFeed, polygonReason } from './feed.ts';
import { POLYGON_DISCONNECT_STATUSES } from './messages.ts';
import { aggregateEvent, normalisePolygonSymbol, parseStreamParam, sourceInterval, streamParam } from './symbols.ts';
import { polygonEndpoints } from './urls.ts';

export type { PolygonBar } from './book.ts';

/** Optional collaborators (tests and sessions inject them). */
export interface PolygonProviderDeps {
  readonly clock?: Clock;
  /** Seed for reconnect jitter. */
  readonly seed?: number;
  /** Receives every actor's inspection events (Stately inspector, traces). */
  readonly inspect?: (event: InspectionEvent) => void;
  /** Market time (ms) for closing aggregated windows and bounding backfill; the clock by default (a faster simulator passes its own). */
  readonly marketTime?: () => number;
}

/** The common counters plus the Massive provider's own. */
export interface PolygonProviderStats extends ProviderStats {
  readonly corrections: number;
  readonly closedByData: number;
  readonly closedByClock: number;
  readonly evictions: number;
  readonly restRequests: number;
}

/** Massive (formerly Polygon.io) aggregate streams. */
export class PolygonRealtimeProvider implements RealtimeProvider {
  readonly name = 'polygon-realtime';
  readonly config: PolygonRealtimeConfig;
  private readonly clock: Clock;
  private readonly signals: ProviderSignals<PolygonBar>;
  private readonly deps: PolygonProviderDeps;
  private readonly endpoints: { ws: string; rest: string };
  private readonly rest: PolygonRestClient;
  private readonly book: PolygonBook;
  private readonly feed: PolygonFeed;
  private shard: Shard | undefined;
  private shardState: ConnectionState = 'disconnected';
  private readonly resumes = new Map<string, number>();
  private readonly counters = { frames: 0, malformed: 0, reconnects: 0, evictions: 0, reasons: {} as Record<string, number> };
  private lastStatus: { status: string; message: string } | undefined;
  private evictionRun = 0;
  private openedAt = Number.NEGATIVE_INFINITY;
  private closeTimer: TimerHandle | undefined;
  private connected = false;
  private readonly marketTime: () => number;

  constructor(config: unknown, deps: PolygonProviderDeps = {}) {
    this.config = decodePolygonRealtimeConfig(config);
    registerSecret(this.config.api_key);
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.signals = new ProviderSignals(this.clock);
    const marketTime = deps.marketTime ?? (() => this.clock.now());
    this.marketTime = marketTime;
    this.endpoints = polygonEndpoints(this.config);
    const feed = this.config.feed;
    this.rest = new PolygonRestClient(this.endpoints.rest, this.config.api_key, { now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms), onError: (e) => this.signals.fail(e) });
    this.book = new PolygonBook({
      clock: this.clock, marketTime, correctionWindowMs: this.config.correction_window_ms, closeGraceMs: this.config.aggregate_close_grace_ms,
      lookbackBars: this.config.correction_lookback_bars,
      bufferSize: this.config.buffer_size,
      ...(this.config.backfill ? { backfill: (s: string, i: '1s' | '1m', from: number, to: number) => this.rest.closedBars(feed, s, i, from, to) } : {}),
      emit: (bar) => this.signals.data.emit(bar),
      onError: (e) => this.signals.fail(e),
    });
    this.feed = new PolygonFeed(this.endpoints.ws, this.config.api_key, {
      onBar: (shard, gen, stream, bar) => {
        this.counters.frames++;
        if (this.isReady(shard, gen, stream)) this.book.streamReady(stream);
        this.book.accept(stream, bar);
      },
      onMalformed: (shard, reason, text) => {
        this.counters.malformed++;
        this.signals.fail(realtimeError('INVALID_MESSAGE', `connection ${shard.index}: ${reason}`, { connection: shard.index, frame: text }));
      },
      onDisconnectStatus: (_shard, _gen, status, message) => this.onDisconnectStatus(status, message),
      onNotice: (e) => this.signals.fail(e),
    });
  }

  async connect(signal?: AbortSignal): Promise<void> {
    if (this.signals.closed) throw realtimeError('CLOSED', 'provider was disconnected; create a new one');
    this.connected = true;
    const shard = this.ensureShard();
    const value = shard.actor.getSnapshot().value;
    if (value === 'idle' || value === 'failed' || value === 'closed') shard.actor.send({ type: 'connection.start' });
    this.closeTimer ??= every(this.clock, this.config.close_check_interval_ms, () => {
      this.markReady();
      this.book.tick();
    });
    await this.signals.waitFor(() => this.shardState === 'connected', signal, () => {
      const snap = shard.actor.getSnapshot();
      if (snap.value !== 'failed') return undefined;
      const code = snap.context.failure?.code ?? 'CONNECTION_FAILED';
      return realtimeError(code, snap.context.failure?.message ?? 'connection failed', { code });
    });
  }

  async subscribe(symbols: readonly string[], interval: Interval): Promise<void> {
    // Nothing would ever confirm the streams: refuse rather than wait for the subscribe timeout.
    if (!this.connected) throw realtimeError(this.signals.closed ? 'CLOSED' : 'NOT_READY', this.signals.closed ? `${this.name} was disconnected; create a new one` : `call connect() before subscribe() on ${this.name}`, { provider: this.name });
    const feed = this.config.feed;
    if (!isInterval(interval)) throw realtimeError('INVALID_INTERVAL', `unknown interval ${JSON.stringify(interval)}`, { interval });
    const pushed = sourceInterval(feed, interval);
    if (!pushed) throw realtimeError('INVALID_INTERVAL', `${interval} bars cannot be built on the ${feed} market (Massive pushes 1s and 1m bars; this interval is not a whole number of minutes)`, { interval, feed });
    const event = aggregateEvent(feed, pushed);
    const valid: string[] = [];
    for (const raw of new Set(symbols)) {
      const s = normalisePolygonSymbol(feed, raw);
      if (s) valid.push(s);
      else this.signals.fail(realtimeError('INVALID_SYMBOL', `${JSON.stringify(raw)} is not a Massive ${feed} symbol`, { symbol: raw, feed }));
    }
    if (valid.length === 0) throw realtimeError('INVALID_SYMBOL', `no valid ${feed} symbol among ${symbols.join(', ')}`, { symbols: [...symbols] });
    const streams = [...new Set(valid)].map((s) => streamParam(event, s));
    for (const stream of streams) {
      const symbol = parseStreamParam(stream)!.symbol;
      this.book.addOutput(stream, symbol, pushed, interval, this.resumes.get(`${symbol}|${interval}`));
    }
    const shard = this.ensureShard();
    shard.subscriptions({ type: 'subscriptions.add', streams });
    this.markReady();
    await this.signals.waitFor(() => streams.every((st) => this.isSettled(st)), undefined, undefined, this.config.subscribe_timeout_ms);
  }

  async unsubscribe(symbols: readonly string[]): Promise<void> {
    const drop = new Set(symbols.map((s) => normalisePolygonSymbol(this.config.feed, s)).filter((s) => s !== undefined));
    const streams = this.book.streams().filter((st) => drop.has(parseStreamParam(st)?.symbol ?? ''));
    if (streams.length === 0 || !this.shard) return;
    for (const st of streams) this.book.forget(st);
    const shard = this.shard;
    shard.subscriptions({ type: 'subscriptions.remove', streams });
    if (this.connected) await this.signals.waitFor(() => streams.every((st) => !shard.subscriptionState()?.confirmed.includes(st)), undefined, undefined, this.config.subscribe_timeout_ms);
  }

  resumeAfter(symbol: string, interval: Interval, lastOpenTime: number, maxGapMs?: number): void {
    const s = normalisePolygonSymbol(this.config.feed, symbol);
    if (!s || !isInterval(interval)) return;
    let from = nextBucketStart(interval, lastOpenTime);
    if (maxGapMs !== undefined) {
      const bound = bucketStart(interval, this.marketTime() - maxGapMs);
      if (from < bound) {
        this.signals.fail(realtimeError('GAP_UNCOVERED', `${s} ${interval}: bars from ${new Date(from).toISOString()} to ${new Date(bound).toISOString()} are older than the resume lookback; not fetched`, { symbol: s, interval, from, to: bound }));
        from = bound;
      }
    }
    // Re-read the last stored bars too: they may have been corrected while no process was recording.
    const pushed = sourceInterval(this.config.feed, interval);
    const back = Math.max(this.config.correction_lookback_bars * intervalMs(interval), pushed === '1m' ? this.config.correction_window_ms : 0);
    this.resumes.set(`${s}|${interval}`, bucketStart(interval, from - back));
  }

  /** Closed bars from the REST aggregates; intervals Polygon does not serve are combined from the pushed ones. */
  async fetchClosedBars(symbol: string, interval: Interval, from: number, to: number): Promise<Bar[]> {
    const feed = this.config.feed;
    const s = normalisePolygonSymbol(feed, symbol);
    if (!s) throw realtimeError('INVALID_SYMBOL', `${JSON.stringify(symbol)} is not a Polygon ${feed} symbol`, { symbol, feed });
    const pushed = sourceInterval(feed, interval);
    if (!pushed) throw realtimeError('INVALID_INTERVAL', `${interval} bars are not available on the ${feed} market`, { interval, feed });
    const subs = await this.rest.closedBars(feed, s, pushed, bucketStart(interval, from), to);
    if (pushed === interval) return subs;
    const groups = new Map<number, Bar[]>();
    for (const b of subs) {
      const start = bucketStart(interval, b.openTime);
      if (nextBucketStart(interval, start) > to) continue;
      groups.set(start, [...(groups.get(start) ?? []), b]);
    }
    return [...groups].map(([start, group]) => combineBars(group, interval, start, this.clock.now()));
  }

  /** Registers a bar listener; a bar with `correction: true` replaces the bar of the same key (upsert). */
  onData(callback: (bar: PolygonBar) => void): Unlisten {
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
    this.closeTimer?.cancel();
    this.book.close();
    await this.shard?.stop();
    this.signals.setState('disconnected', { connection: -1, reason: 'disconnect' });
    this.signals.clear();
  }

  getConnectionState(): ConnectionState {
    return this.signals.state;
  }

  getSubscribedSymbols(): string[] {
    const confirmed = this.shard?.subscriptionState()?.confirmed ?? [];
    return [...new Set(confirmed.map((st) => parseStreamParam(st)?.symbol ?? st))].sort();
  }

  stats(): PolygonProviderStats {
    const b = this.book.stats;
    return {
      connections: this.shard ? 1 : 0, framesReceived: this.counters.frames, barsEmitted: b.emitted, barsBackfilled: b.backfilled,
      malformedFrames: this.counters.malformed, duplicatesDropped: b.duplicates, reconnects: this.counters.reconnects,
      reconnectReasons: { ...this.counters.reasons }, controlMessagesSent: this.shard?.controlSent ?? 0,
      corrections: b.corrections, closedByData: b.closedByData, closedByClock: b.closedByClock, evictions: this.counters.evictions,
      restRequests: this.rest.requests,
    };
  }

  /** The connection actors (one), for inspection and tests. */
  get connectionActors() {
    return this.shard ? [this.shard.actor] : [];
  }

  private ensureShard(): Shard {
    if (this.shard) return this.shard;
    const hooks = this.feed.hooks((sh, _gen, message) => this.signals.fail(realtimeError('SOCKET_ERROR', `connection ${sh.index}: ${message}`, { connection: sh.index })));
    const shard = new Shard(0, hooks, polygonConnectionInput(this.config, this.deps.seed ?? 1), this.clock, this.deps.inspect);
    this.shard = shard;
    shard.changes.add(() => this.signals.changed());
    shard.actor.on('connection.state', (ev) => {
      this.shardState = ev.state;
      if (ev.state === 'connected') this.openedAt = this.clock.now();
      else this.book.connectionDown();
      this.signals.setState(ev.state, { connection: 0, ...(ev.reason ? { reason: polygonReason(ev.reason) } : {}), attempt: ev.attempt });
    });
    shard.actor.on('connection.reconnecting', (ev) => this.onReconnecting(ev.reason, ev.attempt, ev.delayMs));
    shard.actor.on('connection.failed', (ev) => {
      this.signals.fail(realtimeError(ev.code, `connection 0 failed: ${ev.message}`, { connection: 0, code: ev.code }));
    });
    shard.actor.start();
    const subs = shard.actor.system.get('subscriptions');
    subs?.on('subscription.rejected', (ev: { stream: string; code: number; message: string }) => {
      this.book.forget(ev.stream);
      this.signals.fail(realtimeError('SUBSCRIPTION_REJECTED', `${ev.stream}: ${ev.message}`, { stream: ev.stream, code: ev.code }));
    });
    subs?.on('subscriptions.changed', () => this.markReady());
    return shard;
  }

  private onReconnecting(machineReason: string, attempt: number, delayMs: number): void {
    const reason = polygonReason(machineReason);
    this.counters.reconnects++;
    this.counters.reasons[reason] = (this.counters.reasons[reason] ?? 0) + 1;
    const status = this.lastStatus?.status === reason ? this.lastStatus : undefined;
    this.lastStatus = undefined;
    const why = POLYGON_DISCONNECT_STATUSES[reason];
    this.signals.fail(realtimeError(reason === 'rate_limited' ? 'RATE_LIMITED' : 'CONNECTION_LOST', `connection 0 lost (${reason}${why ? `: ${why}` : ''}); reconnect attempt ${attempt} in ${delayMs} ms`, {
      connection: 0, reason, attempt, delayMs, ...(status ? { serverMessage: status.message } : {}),
    }));
  }

  private onDisconnectStatus(status: string, message: string): { code: ErrorCode; message: string } | undefined {
    this.lastStatus = { status, message };
    if (status !== 'max_connections') return undefined;
    this.counters.evictions++;
    // Evicted again before the connection ever became healthy: another client is fighting for the slot.
    this.evictionRun = this.clock.now() - this.openedAt >= this.config.healthy_after_ms ? 1 : this.evictionRun + 1;
    const limit = this.config.max_evictions;
    if (limit === 0 || this.evictionRun <= limit) return undefined;
    return { code: 'CONNECTION_FAILED', message: `max_connections: evicted ${this.evictionRun} times in a row by another connection with the same API key; giving up` };
  }

  /** True when `stream` is confirmed on socket `gen` and that socket is the current, connected one. */
  private isReady(shard: Shard, gen: number, stream: string): boolean {
    if (this.shardState !== 'connected' || shard.actor.getSnapshot().context.gen !== gen) return false;
    const subs = shard.subscriptionState();
    return subs?.gen === gen && subs.confirmed.includes(stream);
  }

  private markReady(): void {
    const shard = this.shard;
    if (!shard || this.shardState !== 'connected') return;
    const subs = shard.subscriptionState();
    if (!subs || subs.gen !== shard.actor.getSnapshot().context.gen) return;
    for (const stream of subs.confirmed) this.book.streamReady(stream);
  }

  /** Confirmed by the server, or given up on (rejected, reported). */
  private isSettled(stream: string): boolean {
    const st = this.shard?.subscriptionState();
    return !!st && (st.confirmed.includes(stream) || st.rejected.includes(stream));
  }



}
