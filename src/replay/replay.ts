/**
 * `replay --db <file> [--session <id>] --strategy <path> [--speed 10x]`: feeds a recording through the same
 * session as live data (session machine, DuckDB writer, paper broker, strategy worker), with a
 * {@link ReplayProvider} in place of the exchange, and writes to a separate output database (a temp file unless
 * given; never the source).
 *
 * Determinism: the same strategy on the same recording yields the same orders and fills every time. Live, the
 * paper broker may see bar N+1 before the strategy's order for bar N arrives (the strategy runs in a worker and
 * is never waited for); a replay waits, after each bar, until the strategy finished it, then flushes the writer,
 * and only then sends the next bar. So an order placed on bar N is always in the book when bar N+1 comes, a
 * strategy reading history (`getRange`, `executeSQL`) sees exactly the bars before the one in hand, and order
 * times follow the recording (the close time of the bar in hand), not the wall clock. What stays
 * non-deterministic is what depends on wall time inside the strategy (`Date.now()`, a per-bar budget overrun).
 */
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InspectionEvent } from 'xstate';
import type { Clock } from '../clock.ts';
import type { SessionConfig } from '../config/session-config.ts';
import { isRealtimeError, realtimeError } from '../errors.ts';
import { createRealtimeSession, type RealtimeSession, type RealtimeSessionOptions } from '../session/session.ts';
import type { SessionSummary } from '../session/types.ts';
import { decodeWriterConfig } from '../storage/config.ts';
import type { AccountInfo, Fill, Order, Position } from '../trading/types.ts';
import { openRecording } from './recorded-bars.ts';
import { checkReplaySpeed, ReplayProvider, type ReplaySpeed } from './replay-provider.ts';

/** Options of {@link replaySession}. */
export interface ReplayOptions {
  /** The recording (opened read-only). */
  readonly dbPath: string;
  /** Replay only the bars this session received; every bar of the table when absent. */
  readonly sessionId?: string;
  readonly strategyPath: string;
  readonly strategyConfig?: Record<string, unknown>;
  /** `'max'` (default) or a factor over recorded time: `10` plays ten times faster than recorded. */
  readonly speed?: ReplaySpeed;
  /** Bar table of the recording, also used in the output (default `realtime_market_data`). */
  readonly table?: string;
  /** Output database; must not exist yet. Default: a fresh file in a new temp directory. */
  readonly outputPath?: string;
  /** `trading_provider_config` of the paper broker (`initial_cash`, `fee_rate`, …). */
  readonly tradingConfig?: Record<string, unknown>;
  /**
   * Bars between two flushes of the output (default 1: a strategy reading history sees every bar before the one
   * in hand). A larger value is faster (a flush is a DuckDB commit, a few ms) and still deterministic; history
   * then lags by up to `flushEvery - 1` bars, as it lags by the flush interval live.
   */
  readonly flushEvery?: number;
  /** Per-bar budget of the strategy (default 1000 ms) and its failure policy (default `skip`). */
  readonly budgetMs?: number;
  readonly onError?: 'skip' | 'stop';
  /** Inspection events of every actor (trace writer, inspector). */
  readonly inspect?: (event: InspectionEvent) => void;
  /** Called with the session before it starts (attach a trace, a metrics endpoint, listeners). */
  readonly onSession?: (session: RealtimeSession) => void;
  /** Called after each bar the strategy finished, with the count so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Times the waits between bars at a `speed` (default real time; tests pass a clock that records the waits). */
  readonly paceClock?: Clock;
}

/** What a replay produced. */
export interface ReplayResult {
  /** Session id of the replay in the output database. */
  readonly replayId: string;
  readonly sourceSessionId?: string;
  readonly dbPath: string;
  readonly outputPath: string;
  /** Bars replayed. */
  readonly bars: number;
  /** Final state of every order, in placement order. */
  readonly orders: readonly Order[];
  /** Every execution, in order. */
  readonly fills: readonly Fill[];
  readonly account: AccountInfo | null;
  readonly positions: readonly Position[];
  readonly summary: SessionSummary;
  /** Wall time the replay took (ms). */
  readonly wallMs: number;
}

// Neither a timer nor a full buffer ever flushes during a replay (2e9 ms ≈ 23 days, below setInterval's
// 2^31 − 1 limit; the buffer holds more than `flushEvery` bars): the replay flushes after every `flushEvery` bars,
// so what a strategy reads depends on the bar count only, never on timing.
const NO_TIMER_MS = 2_000_000_000;
const MAX_FLUSH_EVERY = 50_000;

const sameFile = (a: string, b: string): boolean => {
  const real = (p: string) => { try { return realpathSync(p); } catch { return resolve(p); } };
  return real(a) === real(b);
};

/** Session options the replay needs beyond today's `RealtimeSessionOptions` (see docs/observability.md). */
type ReplaySessionOptions = RealtimeSessionOptions & { readonly provider: ReplayProvider; readonly tradingNow: () => number };

/** Replays a recording through a paper-trading session with `strategyPath`; resolves with orders, fills and account. */
export const replaySession = async (options: ReplayOptions): Promise<ReplayResult> => {
  const speed = checkReplaySpeed(options.speed ?? 'max');
  const flushEvery = options.flushEvery ?? 1;
  if (!Number.isInteger(flushEvery) || flushEvery < 1 || flushEvery > MAX_FLUSH_EVERY) {
    throw realtimeError('CONFIG_INVALID', `replay: flushEvery must be an integer from 1 to ${MAX_FLUSH_EVERY}, got ${flushEvery}`, { field: 'flushEvery' });
  }
  const outputPath = resolve(options.outputPath ?? join(mkdtempSync(join(tmpdir(), 'argo-replay-')), 'replay.duckdb'));
  if (sameFile(outputPath, options.dbPath)) throw realtimeError('CONFIG_INVALID', 'replay: the output database must not be the recording', { field: 'output' });
  if (options.outputPath !== undefined && existsSync(outputPath)) {
    throw realtimeError('CONFIG_INVALID', `replay: output ${outputPath} exists; a replay writes a fresh database (bars already in it would change what the strategy reads)`, { field: 'output' });
  }
  const started = performance.now();
  const recording = await openRecording({ dbPath: options.dbPath, ...(options.sessionId !== undefined ? { sessionId: options.sessionId } : {}), ...(options.table ? { table: options.table } : {}) });
  try {
    if (recording.intervals.length === 0) throw realtimeError('CONFIG_INVALID', `replay: no bar of ${options.dbPath} has a known interval`, { field: 'db' });
    const provider = new ReplayProvider(recording.bars(), recording.firstOpenTime, options.paceClock);
    const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
    const replayId = `replay-${(options.sessionId ?? 'all').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32)}-${stamp}`;
    const config: SessionConfig = {
      id: replayId,
      realtimeProvider: 'replay',
      realtimeProviderConfig: {},
      tradingProvider: 'paper',
      tradingProviderConfig: options.tradingConfig ?? {},
      storage: decodeWriterConfig({ output_path: outputPath, table_name: recording.table, flush_interval_ms: NO_TIMER_MS, buffer_size: flushEvery + 1 }),
      symbols: recording.symbols,
      interval: recording.intervals[0]!,
      strategyQueueSize: 10_000,
      strategy: { path: options.strategyPath, config: options.strategyConfig ?? {}, budgetMs: options.budgetMs ?? 1_000, onError: options.onError ?? 'skip' },
    };
    const sessionOptions: ReplaySessionOptions = {
      provider,
      tradingNow: () => provider.clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
    };
    let session: RealtimeSession;
    try {
      session = createRealtimeSession(config, sessionOptions);
    } catch (e) {
      // A session that does not take `options.provider` looks the name up in the registry and fails: say why.
      if (isRealtimeError(e) && e.code === 'CONFIG_INVALID' && /"replay"/.test(e.message)) {
        throw realtimeError('CONFIG_INVALID', 'replay: createRealtimeSession ignores options.provider; this build of src/session/session.ts lacks the replay options (see docs/observability.md)');
      }
      throw e;
    }

    const orders = new Map<string, Order>();
    const fills: Fill[] = [];
    session.on('order', (o) => orders.set(o.id, o));
    session.on('fill', (f) => fills.push(f));
    options.onSession?.(session);

    // Done means every bar handed to the strategy has an outcome (ok, failed or refused) and none is queued.
    const strategyCaughtUp = async (delivered: number): Promise<boolean> => {
      for (;;) {
        const st = session.stats();
        if (st.state !== 'running') return false;
        const s = st.strategy;
        if (!s || (s.queued === 0 && s.latencyMs.count + s.barsRefused + s.skipped >= delivered)) return true;
        await new Promise((r) => setImmediate(r));
      }
    };

    await session.start();
    let summary: SessionSummary;
    try {
      for (const interval of recording.intervals.slice(1)) await provider.subscribe(recording.symbols, interval);
      await provider.play({
        speed,
        afterBar: async (_bar, index) => {
          if ((await strategyCaughtUp(index)) && index % flushEvery === 0) await session.flush();
          options.onProgress?.(index, recording.count);
        },
      });
    } finally {
      summary = await session.stop('replay finished');
    }
    return {
      replayId,
      ...(options.sessionId !== undefined ? { sourceSessionId: options.sessionId } : {}),
      dbPath: options.dbPath,
      outputPath,
      bars: summary.bars,
      orders: [...orders.values()],
      fills,
      account: summary.account,
      positions: summary.positions,
      summary,
      wallMs: performance.now() - started,
    };
  } finally {
    recording.close();
  }
};
