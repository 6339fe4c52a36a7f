/**
 * `createRealtimeSession(config)`: the seed's RealtimeTradingSession. Builds the components (market data provider,
 * DuckDB writer, strategy runner, trading provider), runs the session machine with them as children, appends
 * every event that changes state to the event log, and resumes an earlier run with the same session id (broker
 * state folded from the log; missed bars backfilled by the provider).
 */
import { randomUUID } from 'node:crypto';
import { createActor, type InspectionEvent } from 'xstate';
import type { paperBrokerMachine } from '../../machines/paper-broker.machine.ts';
import { sessionMachine, type SessionFailure } from '../../machines/session.machine.ts';
import type { SessionConfig } from '../config/session-config.ts';
import type { Bar } from '../domain/bar.ts';
import type { Interval } from '../domain/interval.ts';
import { systemClock, xstateClockOf, type Clock } from '../clock.ts';
import { realtimeError, type RealtimeError } from '../errors.ts';
import { foldEvents, recordRootEvents, type LoggedEvent } from '../events/fold.ts';
import { Listeners } from '../providers/shared/listeners.ts';
import { createRealtimeProvider, type RealtimeProviderDeps } from '../providers/registry.ts';
import type { ConnectionState, ProviderStats, RealtimeProvider } from '../providers/realtime-provider.ts';
import { busCheckpoint, busFlush, busRestore, busStats, isBusSource } from '../bus/session-bus.ts';
import { DuckDBRealtimeWriter } from '../storage/duckdb-writer.ts';
// Type-only: `record` (no strategy) never loads the strategy runtime, the trading modules, the risk engine or the
// bus (see the dynamic imports of strategy.load, trading.connect, RiskHandle and the bus provider below).
import type { DuckDBDataService } from '../strategy/duckdb-data.ts';
import type { StrategyRunner } from '../strategy/runtime.ts';
import type { SessionRiskControl } from '../risk/session-risk.ts';
import { BarStats } from './bar-stats.ts';
import { failureOf, notReady, sessionChildren } from './children.ts';
import { RiskHandle } from './risk-handle.ts';
import { DurabilityGuard } from './durability.ts';
import { applyResume, barProviderOf, readOpenGaps, readResumePoints, StoredBars } from './resume.ts';
import { SessionEventLog } from './event-log.ts';
import type { StrategyFeed } from './strategy-feed.ts';
import { TradingHookup } from './trading-hookup.ts';
import type { SessionEvents, SessionState, SessionStats, SessionSummary } from './types.ts';
import { WriterFeed } from './writer-feed.ts';

/** Options beyond the config. */
export interface RealtimeSessionOptions {
  /** Receives the inspection events of every actor (Stately inspector, traces). */
  readonly inspect?: (event: InspectionEvent) => void;
  /** Passed to the market data provider (e.g. `{ seed }`). */
  readonly providerDeps?: RealtimeProviderDeps;
  /** A ready market data provider, used instead of the registry's (replay). */
  readonly provider?: RealtimeProvider;
  /** Clock of the trading provider's order times (replay: the recording's time); `Date.now` otherwise. */
  readonly tradingNow?: () => number;
  /** Confirms live trading for `binance-live` / `ibkr-live` (the CLI's `--live`); the config must say `live: true` too. */
  readonly liveConfirmed?: boolean;
  /** Longest wait for one start or stop step (default 30 s). */
  readonly stepTimeoutMs?: number;
  /** Time and timers of the session's pieces and its writer (default the system clock; a `SimulatedClock` in tests). */
  readonly clock?: Clock;
}

/** A running (or runnable) session. */
export interface RealtimeSession {
  readonly id: string;
  /** The root session actor, for inspection. */
  readonly actor: ReturnType<typeof createActor<typeof sessionMachine>>;
  /** Starts; resolves once running, rejects with the failure (as a RealtimeError) otherwise. */
  start(): Promise<void>;
  /** Stops gracefully; resolves with the summary. */
  stop(reason?: string): Promise<SessionSummary>;
  /** Makes every bar received and every event logged so far durable (bars first, then the log). */
  flush(): Promise<void>;
  /** Settles when the session reached `stopped` or `failed`. */
  readonly done: Promise<SessionSummary>;
  on<K extends keyof SessionEvents>(type: K, listener: (event: SessionEvents[K]) => void): () => void;
  stats(): SessionStats;
  /** Trips the risk engine's kill switch: open orders cancelled, new ones refused (see docs/risk.md). */
  kill(reason?: string): Promise<void>;
  /** The risk engine: `kill`, `reset`, `stats`. */
  readonly risk: SessionRiskControl;
}

const FATAL_PROVIDER_CODES = new Set(['CONNECTION_FAILED', 'AUTHENTICATION_FAILED']);
/** Provider figures while the bus provider's module is still loading. */
const NO_PROVIDER_STATS: ProviderStats = {
  connections: 0, framesReceived: 0, barsEmitted: 0, barsBackfilled: 0, malformedFrames: 0, duplicatesDropped: 0, reconnects: 0, reconnectReasons: {}, controlMessagesSent: 0,
};

/** Creates a session from a decoded config; throws CONFIG_INVALID when a provider rejects its config. */
export const createRealtimeSession = (config: SessionConfig, options: RealtimeSessionOptions = {}): RealtimeSession => {
  const clock = options.clock ?? systemClock;
  const id = config.id ?? `session-${new Date(clock.now()).toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomUUID().slice(0, 8)}`;
  const listeners = new Map<string, Listeners<[unknown]>>();
  const emit = <K extends keyof SessionEvents>(type: K, event: SessionEvents[K]) => listeners.get(type)?.emit(event);
  const providerInspect = options.providerDeps?.inspect ?? options.inspect;
  const venueProvider = () => createRealtimeProvider(config.realtimeProvider, config.realtimeProviderConfig, { ...options.providerDeps, ...(providerInspect ? { inspect: providerInspect } : {}) });
  // With a `bus:` section the provider's module (and the NATS client) is imported; start() and stop() wait for it.
  let provider: RealtimeProvider | undefined = options.provider ?? (config.bus ? undefined : venueProvider());
  const providerReady = provider ? undefined
    : import('../bus/session-provider.ts').then((m) => { provider = m.sessionProvider(config, id, venueProvider); });
  providerReady?.catch(() => undefined);
  // Every use below runs after start() or stop() awaited providerReady.
  const market = (): RealtimeProvider => provider ?? (() => { throw notReady('the market data provider'); })();
  const hasStrategy = config.strategy !== undefined;

  let writer: DuckDBRealtimeWriter | undefined;
  let log: SessionEventLog | undefined;
  let writerFeed: WriterFeed | undefined;
  let runner: StrategyRunner | undefined;
  let feed: StrategyFeed | undefined;
  let data: DuckDBDataService | undefined;
  let resumedBroker: ReturnType<typeof foldEvents<typeof paperBrokerMachine>> | undefined;
  let resumed = false;
  let state: SessionState = 'idle';
  let connection: ConnectionState = 'disconnected';
  const barStats = new BarStats(clock);
  const preLog: { type: string; event: Record<string, unknown>; at: number }[] = [];
  const halts: ((f: SessionFailure) => void)[] = [];
  // Durability across restarts and write failures: resume.ts and durability.ts.
  let guard: DurabilityGuard | undefined;
  const writerFatals: ((e: RealtimeError) => void)[] = [];

  let logClosed = false;
  const record = (type: string, event: Record<string, unknown>, at = clock.now()) => {
    // After the writer closed nothing can be persisted any more: those few events (the end of the stop) are not logged.
    if (logClosed || config.noStorage) return;
    if (log) { log.append(type, event, at); writerFeed?.logged(); }
    else preLog.push({ type, event, at });
  };
  const reportError = (e: RealtimeError) => emit('error', e);
  const risk = new RiskHandle(async () => {
    const [{ SessionRisk }, { defaultRiskLimits }] = await Promise.all([import('../risk/session-risk.ts'), import('../risk/config.ts')]);
    return new SessionRisk(config.risk ?? defaultRiskLimits(config.symbols), options.tradingNow ?? (() => clock.now()), (fact) => {
      record(`risk:${fact.type}`, fact as unknown as Record<string, unknown>);
      emit('risk', fact);
    });
  });

  const hookup = new TradingHookup({ record, emit });
  // A bus source: the checkpoint of the bars its strategy is done with is logged right after the last one's events,
  // and what is logged while a bar is in the strategy's hands is held back (SessionEventLog.hold), so every flushed
  // prefix of the log pairs a bar's effects with the checkpoint that covers it: a host killed anywhere neither sees
  // a bar again nor loses one. A checkpoint is acknowledged on the bus once it is durable and so are the bars it
  // covers (not those left to a gap at the writer's cap).
  const acks: { seq: number; accepted: number; ack: () => void }[] = [];
  const takeCheckpoint = () => {
    if (!log || !writer) return;
    // The bars of this turn are handed to the writer first: the checkpoint's `accepted` must cover them.
    writerFeed?.drain();
    const notTaken = guard ? guard.stats().openGaps.reduce((n, g) => n + g.bars, 0) : 0;
    const ack = busCheckpoint(market(), Math.min(feed ? feed.settled : Infinity, barStats.received - notTaken), record);
    if (ack) acks.push({ seq: log.lastSeq, accepted: writer.buffer.snapshot.context.accepted, ack });
  };
  const busTurns = { handed: () => log?.hold(), done: () => { takeCheckpoint(); log?.release(); writerFeed?.logged(); } };
  const checkpoint = () => {
    if (!isBusSource(market())) return undefined;
    // Without a strategy there are no effects to pair: the checkpoint is taken at the flush.
    if (!feed) takeCheckpoint();
    return () => {
      const durable = writer?.buffer.snapshot.context.durable ?? 0;
      while (acks.length > 0 && acks[0]!.seq <= (log?.durableSeq ?? 0) && acks[0]!.accepted <= durable) acks.shift()!.ack();
    };
  };

  const openWriter = async () => {
    writer = await DuckDBRealtimeWriter.open(config.storage, {
      ...(options.inspect ? { inspect: options.inspect } : {}),
      ...(options.clock ? { clock: xstateClockOf(options.clock) } : {}),
      // Before every flush: the file must still be the one opened (never write into a deleted or replaced file).
      wrapFlush: (input, next) => { guard?.checkFile(); return next(input); },
    });
    writer.onError(reportError);
    const conn = await writer.connect();
    log = await SessionEventLog.open(conn, id);
    const earlier = await SessionEventLog.read(conn, id);
    busRestore(market(), earlier);
    // A trading session, or one whose log holds risk rows (a tripped switch carries over), needs the engine now.
    if (risk.resume(earlier) || hasStrategy) await risk.load();
    if (earlier.length > 0) {
      resumed = true;
      // The broker's state is a fold of its logged events; bars come back from the bars table by reference.
      const brokerRows = earlier.filter((r) => r.type.startsWith('broker:'));
      const refs = brokerRows.map((r) => r.payload.ref).filter((x): x is string => typeof x === 'string');
      const bars = await SessionEventLog.resolveBars(conn, config.storage.table_name, refs);
      const events: LoggedEvent[] = brokerRows.map((r) => {
        const type = r.type.slice('broker:'.length);
        const { ref, ...rest } = r.payload;
        return typeof ref === 'string' ? { type, ...rest, bar: bars.get(ref) } : { type, ...rest };
      });
      if (config.tradingProvider === 'paper') {
        const { paperBrokerMachine } = await import('../../machines/paper-broker.machine.ts');
        resumedBroker = foldEvents(paperBrokerMachine, events);
      }
    }
    // Whatever wrote the file last, the series continues from it: one query for every configured stream. A bus
    // source continues from its logged checkpoints instead (the bus, not the file, is its series).
    const streams = isBusSource(market()) ? [] : config.symbols.map((symbol) => ({ provider: barProviderOf(market()), symbol, interval: config.interval }));
    const points = await readResumePoints(conn, config.storage.table_name, streams);
    const stored = new StoredBars(points);
    const resumedStreams = applyResume(market(), points, streams, config.storage.resume_max_gap_ms);
    guard = new DurabilityGuard({
      writer, now: () => clock.now(), path: config.storage.output_path, reportEveryMs: config.storage.failure_report_interval_ms, report: reportError,
      record: (type, event) => { record(type, event); emit('durability', { type: type.slice('durability:'.length), ...event }); },
      fatal: (e) => writerFatals.forEach((f) => f(e)),
      ...(market().fetchClosedBars ? { fetchClosedBars: (sym, i, from, to) => market().fetchClosedBars!(sym, i, from, to) } : {}),
    });
    for (const p of preLog.splice(0)) log.append(p.type, p.event, p.at);
    record('session:resume', { resumed, previousEvents: earlier.length, streams: resumedStreams });
    for (const gap of await readOpenGaps(conn, config.storage.table_name, streams)) guard.adopt(gap);
    // The writer machine's flush clock is the session's only one: the log and the trading snapshot follow its flushes.
    writerFeed = new WriterFeed({
      writer, log, guard, stored, checkpoint, report: reportError, onFlushed: () => void hookup.snapshot(),
      fail: (e) => { const f = failureOf('writer', e); writerFatals.forEach((fn) => fn(realtimeError(f.code, f.message))); },
      clock, retryAfterFailureMs: Math.max(100, config.storage.flush_interval_ms || 1000),
    });
    writerFeed.logged();
  };

  const closeWriter = async () => {
    await writerFeed?.close();
    // No new gap fetch from here on; one in progress finishes before the last flush (a gap left open is named at the end).
    guard?.close();
    await guard?.settle();
    if (!writer) return;
    if (guard?.fatalError) {
      // The file is gone or replaced: closing would checkpoint into it. Nothing more is written.
      logClosed = true;
      throw guard.fatalError;
    }
    try {
      await writerFeed?.flushAll();
    } finally {
      logClosed = true;
      await writer.close();
    }
  };

  // Starts in flight, so that a stop arriving meanwhile waits for them and undoes them.
  let marketDataStopping = false;
  const inFlight: { writer?: Promise<void>; strategy?: Promise<void>; trading?: Promise<void> } = {};
  const settled = (p: Promise<void> | undefined) => p?.catch(() => undefined);

  const ops = {
    marketData: {
      listen: (onBar: (bar: Bar) => void, onFatal: (e: RealtimeError) => void) => {
        const provider = market();
        const offs = [
          provider.onData((received) => {
            if (!received.final) return;
            const bar = writerFeed ? writerFeed.accept(received) : received;
            if (!bar) return;
            barStats.add(bar);
            emit('bar', bar);
            onBar(bar);
          }),
          provider.onError((e) => {
            reportError(e);
            const d = e.data as { symbol?: string; interval?: Interval; from?: number; to?: number } | undefined;
            if (e.code === 'GAP_UNCOVERED' && d?.symbol && d.interval && d.from !== undefined && d.to !== undefined) {
              guard?.uncovered({ provider: barProviderOf(market()), symbol: d.symbol, interval: d.interval, from: d.from, to: d.to });
            }
            if (!e.retryable && FATAL_PROVIDER_CODES.has(e.code)) onFatal(e);
          }),
          provider.onConnectionStateChange((s, d) => {
            connection = s;
            emit('connection', { state: s, ...(d.reason ? { reason: d.reason } : {}) });
          }),
        ];
        return () => offs.forEach((off) => off());
      },
      start: async () => {
        try {
          await market().connect();
        } catch (e) {
          // A stop requested while connecting disconnects the provider: that is the stop, not a failure.
          if (marketDataStopping) return;
          throw e;
        }
        try {
          await market().subscribe(config.symbols, config.interval);
        } catch (e) {
          // Streams not yet confirmed stay wanted and are replayed on the next connection; only no valid symbol is fatal.
          if ((e as RealtimeError).code !== 'SUBSCRIPTION_FAILED') throw e;
          reportError(e as RealtimeError);
        }
      },
      stop: async () => {
        marketDataStopping = true;
        await market().disconnect();
      },
    },
    writer: {
      // A bus-only recorder (no storage_config): the bus publisher is the store; no DuckDB is opened.
      open: () => (inFlight.writer = config.noStorage ? Promise.resolve() : openWriter()),
      write: (bar: Bar) => {
        if (config.noStorage) return;
        if (!writerFeed) throw notReady('the writer');
        writerFeed.write(bar);
      },
      onFatal: (fn: (e: RealtimeError) => void) => { writerFatals.push(fn); },
      close: async () => { await settled(inFlight.writer); await closeWriter(); },
    },
    strategy: {
      load: () => (inFlight.strategy = (async () => {
        const s = config.strategy!;
        if (!writer) throw notReady('the writer');
        // Loaded only when a strategy is configured: `record` never loads the strategy runtime.
        const [{ openDuckDBData }, { StrategyRunner }, { StrategyFeed }, { strategyServices }, { StrategySubscriptions }, { defaultRiskLimits }] = await Promise.all([
          import('../strategy/duckdb-data.ts'), import('../strategy/runtime.ts'), import('./strategy-feed.ts'),
          import('./strategy-services.ts'), import('./strategy-subscriptions.ts'), import('../risk/config.ts'),
        ]);
        // A query cannot usefully outlive the bar's budget, and a long one slows the writer sharing the instance.
        data = await openDuckDBData({ instance: writer.instance, table: config.storage.table_name, queryTimeoutMs: s.budgetMs });
        runner = await StrategyRunner.start(s.path, {
          services: strategyServices({
            provider: market(), trading: () => hookup.trading, data: () => data, record, emit, now: () => clock.now(), strategyName: () => runner?.name ?? '',
            // The strategy may stream only what it may trade: the risk engine's symbols.
            subscriptions: new StrategySubscriptions({
              allowedSymbols: (config.risk ?? defaultRiskLimits(config.symbols)).allowedSymbols, sessionSymbols: config.symbols, sessionInterval: config.interval,
              maxStreams: s.maxSubscriptions ?? 10, callsPerMinute: s.subscriptionsPerMinute ?? 10,
            }, () => clock.now()),
          }),
          config: s.config, budgetMs: s.budgetMs, onError: s.onError, isolation: s.isolation, sandboxMemoryMb: s.memoryMb, ...(s.nice !== undefined ? { nice: s.nice } : {}),
          onEvent: (ev) => {
            record(`strategy:${ev.type}`, ev as unknown as Record<string, unknown>);
            emit('strategy', ev);
            if (ev.type === 'strategy.halted') halts.forEach((h) => h({ source: 'strategy', code: 'STRATEGY_FAILED', message: ev.message }));
          },
        });
        const started = runner;
        // Each outcome is told (`strategy.processed`), so that whoever waits for the strategy to catch up needs no polling.
        const told: Pick<StrategyRunner, 'processBars'> = {
          processBars: (bars, onOutcome) => started.processBars(bars, (outcome, index) => {
            onOutcome?.(outcome, index);
            emit('strategy.processed', outcome);
          }),
        };
        feed = new StrategyFeed(told, config.strategyQueueSize, (bar, skipped) => emit('strategy.skipped', { bar, skipped }), isBusSource(market()) ? busTurns : undefined);
      })()),
      bar: (bar: Bar) => feed?.push(bar),
      stop: async () => {
        await settled(inFlight.strategy);
        await feed?.stop();
        await runner?.stop();
        await data?.close();
        data = undefined;
      },
      onHalt: (fn: (f: SessionFailure) => void) => { halts.push(fn); },
    },
    trading: {
      connect: () => (inFlight.trading = (async () => {
        // Every order of the session passes the risk engine, whatever the venue.
        const { createTradingProvider } = await import('../trading/registry.ts');
        const trading = (await risk.load()).wrap(createTradingProvider(config.tradingProvider, config.tradingProviderConfig, {
          ...(options.tradingNow ? { now: options.tradingNow } : {}), ...(resumedBroker ? { paperSnapshot: resumedBroker } : {}),
          ...(options.liveConfirmed !== undefined ? { liveConfirmed: options.liveConfirmed } : {}),
        }));
        hookup.attach(trading);
        await trading.connect();
      })()),
      bar: (bar: Bar) => hookup.trading?.onMarketData?.(bar),
      disconnect: async () => { await settled(inFlight.trading); await hookup.trading?.disconnect(); },
    },
  };

  const machine = sessionMachine.provide({ actors: sessionChildren(ops) });
  const actor = createActor(machine, {
    input: { hasStrategy, hasTrading: hasStrategy, stepTimeoutMs: options.stepTimeoutMs ?? 30_000 },
    inspect: (ev) => {
      recordRootEvents((e) => record(`session:${e.type}`, e as Record<string, unknown>))(ev);
      options.inspect?.(ev);
    },
  });

  let actorStarted = false;
  let settle!: (s: SessionSummary) => void;
  const done = new Promise<SessionSummary>((resolve) => { settle = resolve; });
  const summary = (): SessionSummary => {
    const ctx = actor.getSnapshot().context;
    return {
      id, state: state === 'failed' ? 'failed' : 'stopped',
      ...(ctx.failure ? { reason: ctx.failure.message, failure: ctx.failure } : {}),
      bars: barStats.received, orders: hookup.orders.placed, fills: hookup.fills,
      account: hookup.account, positions: hookup.positions,
      dbPath: config.storage.output_path, table: config.storage.table_name, resumed,
      unpersisted: guard?.unpersisted() ?? [],
    };
  };
  const snapshotTrading = () => hookup.snapshot();

  actor.on('session.state', (ev) => {
    state = ev.state;
    emit('state', { state: ev.state, ...(ev.failure ? { reason: ev.failure.message } : {}) });
    if (ev.state === 'stopping') void snapshotTrading();
    if (ev.state === 'stopped' || ev.state === 'failed') void snapshotTrading().then(() => settle(summary()));
  });

  const running = new Promise<void>((resolve, reject) => {
    actor.on('session.state', (ev) => {
      if (ev.state === 'running') resolve();
      if (ev.state === 'failed' || ev.state === 'stopped') {
        const f = ev.failure;
        reject(realtimeError(f?.code ?? 'ABORTED', f ? `${f.source}: ${f.message}` : 'session stopped before it ran', { source: f?.source ?? 'session' }));
      }
    });
  });
  running.catch(() => undefined);

  return {
    id,
    actor,
    done,
    risk,
    kill: (reason?: string) => risk.kill(reason),
    async start() {
      // A created actor already reports status 'active': only our own flag tells whether it was started.
      await providerReady;
      if (!actorStarted) { actorStarted = true; actor.start(); }
      actor.send({ type: 'session.start' });
      await running;
    },
    async stop(reason?: string) {
      await providerReady;
      if (!actorStarted) { actorStarted = true; actor.start(); }
      actor.send({ type: 'session.stop', ...(reason ? { reason } : {}) });
      return done;
    },
    async flush() {
      await snapshotTrading();
      await guard?.settle();
      if (provider) await busFlush(provider);
      await writerFeed?.flushAll();
    },
    on(type, listener) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Listeners<[unknown]>()));
      return set.add(listener as (e: unknown) => void);
    },
    stats(): SessionStats {
      const st = runner?.stats();
      return {
        id, state, connection, barsReceived: barStats.received,
        barsPerSecond: barStats.barsPerSecond(),
        lastBars: barStats.lastBars(),
        writer: writer?.getStats() ?? { totalWrites: 0, bufferedWrites: 0, flushCount: 0, lastFlushTime: 0, averageFlushTime: 0, errorCount: 0, rejectedInvalid: 0, overflowCount: 0 },
        provider: provider?.stats() ?? NO_PROVIDER_STATS,
        positions: hookup.positions,
        account: hookup.account,
        orders: { ...hookup.orders },
        strategy: st ? { ...st, queued: feed?.queued ?? 0, skipped: feed?.skipped ?? 0 } : null,
        eventsPending: (log?.pendingCount ?? 0) + preLog.length,
        ...(hasStrategy && risk.loaded ? { risk: risk.loaded.stats() } : {}),
        ...(provider && busStats(provider) ? { bus: busStats(provider)! } : {}),
        ...(guard ? { durability: guard.stats() } : {}),
      };
    },
  };
};
