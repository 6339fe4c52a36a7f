/**
 * The pipeline under test: a realtime session (Binance provider → session → DuckDB writer, strategy in its worker,
 * paper trading) against a simulator process, built exactly as a user builds one (`createRealtimeSession`), plus
 * read-only probes the benchmarks need and the session does not expose:
 *
 * - the provider gets a sub-millisecond wall clock (`providerDeps.clock`), so `bar.receivedAt` (set at frame
 *   arrival) is precise enough for a 2 ms latency target;
 * - `StreamTracker.prototype.accept` is wrapped to count decoded kline frames (closed and in-progress) as they
 *   leave the decoder, and to see each frame's arrival time;
 * - `DuckDBRealtimeWriter.open` is wrapped to get hold of the session's writer: each accepted row's arrival time is
 *   kept until the `writer.flushed` event that makes it durable (row n is durable once `durable >= n`).
 *
 * The wrappers add a function call and a counter per frame; nothing in src/ is changed.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { StreamTracker } from '../../src/providers/shared/stream-tracker.ts';
import { createRealtimeSession, type RealtimeSession } from '../../src/session/index.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';
import { preciseClock, wallNow } from './common.ts';

/** Process-wide probe counters. */
export const probe = {
  /** Kline frames decoded (closed bars and in-progress updates). */
  frames: 0,
  /** Closed kline frames decoded. */
  closedFrames: 0,
  /** Called for every decoded kline frame. */
  onFrame: undefined as ((bar: Bar) => void) | undefined,
  /** The session's writer, once opened. */
  writer: undefined as DuckDBRealtimeWriter | undefined,
  /** Rows accepted by the writer (its sequence numbers). */
  accepted: 0,
  /** [arrival time, arrival → durable ms] of every row accepted while `trackDurable` was on, once durable. */
  durable: [] as [number, number][],
  /** Tracked rows not durable yet. */
  durablePending: 0,
  trackDurable: false,
  flushes: 0,
};

let installed = false;
/** Installs the wrappers (once per process). */
export const installProbes = (): void => {
  if (installed) return;
  installed = true;
  const accept = StreamTracker.prototype.accept;
  StreamTracker.prototype.accept = function (this: StreamTracker, bar: Bar, seq?: number) {
    probe.frames++;
    if (bar.final) probe.closedFrames++;
    probe.onFrame?.(bar);
    return accept.call(this, bar, seq);
  };
  const open = DuckDBRealtimeWriter.open;
  DuckDBRealtimeWriter.open = async function (...args: Parameters<typeof open>) {
    const writer = await open.apply(this, args);
    probe.writer = writer;
    // Tracked rows not yet durable, oldest first: [sequence number, arrival time].
    const pending: [number, number][] = [];
    // The session appends decoded bars as trusted (`append`); a library caller's bars go through `writeRealtime`.
    const track = (bar: Bar) => {
      probe.accepted++;
      if (probe.trackDurable) pending.push([probe.accepted, bar.receivedAt]);
    };
    const write = writer.writeRealtime.bind(writer);
    writer.writeRealtime = (bar: Bar) => {
      write(bar); // throws on refusal: then the row was not accepted
      track(bar);
    };
    const append = writer.append.bind(writer);
    writer.append = (bars: readonly Bar[]) => {
      append(bars);
      for (const bar of bars) track(bar);
    };
    writer.on('writer.flushed', (e) => {
      probe.flushes++;
      const now = wallNow();
      while (pending.length > 0 && pending[0]![0] <= e.durable) {
        const [, at] = pending.shift()!;
        probe.durable.push([at, now - at]);
      }
      probe.durablePending = pending.length;
    });
    return writer;
  };
};

/** Options of {@link startPipeline}. */
export interface PipelineOptions {
  readonly wsUrl: string;
  readonly restUrl: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly dbPath: string;
  /** Strategy module; none: record only (no strategy, no trading). */
  readonly strategy?: string;
  /** How the strategy is isolated (default: the session's, `sandbox`). */
  readonly isolation?: 'sandbox' | 'trusted';
  /** Config given to the strategy's `initialize`. */
  readonly strategyConfig?: Record<string, unknown>;
  readonly providerConfig?: Record<string, unknown>;
  readonly storageConfig?: Record<string, unknown>;
  readonly sessionId?: string;
}

/** Creates and starts the session; resolves once it runs (subscribed). */
export const startPipeline = async (o: PipelineOptions): Promise<RealtimeSession> => {
  installProbes();
  const config = decodeSessionConfig({
    session: {
      ...(o.sessionId ? { id: o.sessionId } : {}),
      realtime_provider: 'binance-realtime',
      realtime_provider_config: { ws_url: o.wsUrl, rest_url: o.restUrl, ...o.providerConfig },
      trading_provider: 'paper',
      storage_config: { output_path: o.dbPath, ...o.storageConfig },
      symbols: [...o.symbols],
      interval: o.interval,
    },
    ...(o.strategy ? { strategy: { path: o.strategy, ...(o.isolation ? { isolation: o.isolation } : {}), ...(o.strategyConfig ? { config: o.strategyConfig } : {}) } } : {}),
  });
  const session = createRealtimeSession(config, { providerDeps: { clock: preciseClock } });
  await session.start();
  return session;
};

/** Rows in the bars table of a closed DuckDB file: total, and distinct keys. */
export const countRows = async (dbPath: string, table = 'realtime_market_data'): Promise<{ rows: number; keys: number }> => {
  const instance = await DuckDBInstance.create(dbPath);
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, count(DISTINCT (symbol, "interval", "timestamp"))::BIGINT AS k FROM ${table}`);
    const row = r.getRowObjectsJS()[0]!;
    return { rows: Number(row.n), keys: Number(row.k) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};
