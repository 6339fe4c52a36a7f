/**
 * History from the bus as Hive-partitioned Parquet: the bars published in a time window are read back from the
 * stream (an ordered consumer from the window's start), the last value of each bar key kept (a correction wins
 * over the bar it corrects), and written with DuckDB's `COPY … (FORMAT PARQUET, PARTITION_BY (date, provider,
 * interval))` under deterministic file names, so rolling the same window again rewrites the same files:
 *
 *   <dir>/date=2026-01-01/provider=binance/interval=1m/w20260101T1300_0.parquet
 *
 * {@link ParquetRoller} rolls each closed window on a schedule (one recorder of a fleet should carry `parquet_dir`).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describe, realtimeError, type RealtimeError } from '../errors.ts';
import { quoteLiteral } from '../storage/schema.ts';
import { decodeBar } from './bar-message.ts';
import type { BusConfig } from './config.ts';

/** What one roll wrote. */
export interface ParquetRollResult {
  readonly fromMs: number;
  readonly toMs: number;
  /** Distinct bars written. */
  readonly rows: number;
  /** Messages read from the stream (bars plus corrections and repeats). */
  readonly messages: number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 13);

/**
 * Writes the bars whose open time lies in [fromMs, toMs) (all of them when omitted) to `dir`. Bars are read from
 * messages stored since `fromMs − lookbackMs` (a backfilled bar is published after its bucket closed).
 */
export const rollBusToParquet = async (nc: NatsConnection, config: BusConfig, dir: string, window: { fromMs?: number; toMs?: number; lookbackMs?: number } = {}): Promise<ParquetRollResult> => {
  const fromMs = window.fromMs ?? 0;
  const toMs = window.toMs ?? Number.MAX_SAFE_INTEGER;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(config.stream);
  const lastSeq = info.state.last_seq;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  let messages = 0;
  try {
    await conn.run(`CREATE TABLE bars (seq BIGINT, provider VARCHAR, symbol VARCHAR, "interval" VARCHAR, open_time BIGINT, open DOUBLE, high DOUBLE,
      low DOUBLE, close DOUBLE, volume DOUBLE, vwap DOUBLE, trade_count BIGINT, backfilled BOOLEAN, correction BOOLEAN)`);
    if (info.state.messages > 0) {
      const start = window.fromMs === undefined ? undefined : new Date(Math.max(0, fromMs - (window.lookbackMs ?? 3_600_000))).toISOString();
      const consumer = await jetstream(nc).consumers.get(config.stream, start ? { deliver_policy: 'by_start_time', opt_start_time: start } : { deliver_policy: 'all' });
      const appender = await conn.createAppender('bars');
      let done = false;
      while (!done) {
        const batch = await consumer.fetch({ max_messages: 1_000, expires: 1_000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          messages++;
          const d = decodeBar(m.data);
          if ('bar' in d && d.bar.openTime >= fromMs && d.bar.openTime < toMs) {
            const b = d.bar;
            appender.appendBigInt(BigInt(m.seq)); appender.appendVarchar(b.provider); appender.appendVarchar(b.symbol); appender.appendVarchar(b.interval);
            appender.appendBigInt(BigInt(b.openTime)); appender.appendDouble(b.open); appender.appendDouble(b.high); appender.appendDouble(b.low);
            appender.appendDouble(b.close); appender.appendDouble(b.volume);
            if (b.vwap === null) appender.appendNull(); else appender.appendDouble(b.vwap);
            if (b.tradeCount === null) appender.appendNull(); else appender.appendBigInt(BigInt(b.tradeCount));
            appender.appendBoolean(b.backfilled === true); appender.appendBoolean(b.correction === true);
            appender.endRow();
          }
          if (m.seq >= lastSeq || m.info.pending === 0) { done = true; break; }
        }
        if (got === 0) done = true;
      }
      appender.closeSync();
      await consumer.delete().catch(() => undefined);
    }
    const rows = Number((await conn.runAndReadAll(`SELECT count(DISTINCT (provider, symbol, "interval", open_time)) AS n FROM bars`)).getRowObjectsJS()[0]!.n);
    if (rows > 0) {
      await conn.run(`COPY (
        SELECT provider, symbol, "interval", epoch_ms(open_time) AS "timestamp", open, high, low, close, volume, vwap, trade_count, backfilled, correction,
               strftime(epoch_ms(open_time), '%Y-%m-%d') AS date
        FROM bars QUALIFY row_number() OVER (PARTITION BY provider, symbol, "interval", open_time ORDER BY seq DESC) = 1
        ORDER BY symbol, "timestamp"
      ) TO ${quoteLiteral(dir)} (FORMAT PARQUET, PARTITION_BY (date, provider, "interval"), OVERWRITE_OR_IGNORE, FILENAME_PATTERN ${quoteLiteral(`w${window.fromMs === undefined ? 'all' : stamp(fromMs)}_{i}`)})`);
    }
    return { fromMs, toMs, rows, messages };
  } catch (e) {
    throw realtimeError('EXPORT_FAILED', `parquet roll of ${config.stream} to ${dir}: ${describe(e)}`, { source: 'bus', dir });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

/** Rolls each closed window of `windowMs` (UTC-aligned) `delayMs` after it closed, for as long as it runs. */
export class ParquetRoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private next = 0;
  /** Windows rolled, and the last result. */
  rolled = 0;
  /** Called after each roll (tests and metrics wait on it). */
  onRolled: ((result: ParquetRollResult) => void) | undefined;
  last: ParquetRollResult | undefined;

  private readonly nc: NatsConnection;
  private readonly config: BusConfig;
  private readonly dir: string;
  private readonly windowMs: number;
  private readonly delayMs: number;
  private readonly onError: (e: RealtimeError) => void;
  private readonly now: () => number;

  constructor(nc: NatsConnection, config: BusConfig, dir: string, windowMs: number, delayMs: number, onError: (e: RealtimeError) => void, now: () => number = Date.now) {
    this.nc = nc;
    this.config = config;
    this.dir = dir;
    this.windowMs = windowMs;
    this.delayMs = delayMs;
    this.onError = onError;
    this.now = now;
    this.next = Math.floor(now() / windowMs) * windowMs;
  }

  /** Starts the schedule. */
  start(): void {
    const arm = () => {
      const due = this.next + this.windowMs + this.delayMs;
      this.timer = setTimeout(() => {
        const from = this.next;
        this.next += this.windowMs;
        this.running = this.running.then(() => this.rollWindow(from)).finally(arm);
      }, Math.max(0, due - this.now()));
      this.timer.unref();
    };
    arm();
  }

  /** Rolls one window now. */
  async rollWindow(fromMs: number): Promise<void> {
    try {
      this.last = await rollBusToParquet(this.nc, this.config, this.dir, { fromMs, toMs: fromMs + this.windowMs, lookbackMs: this.windowMs + this.delayMs });
      this.rolled++;
      this.onRolled?.(this.last);
    } catch (e) {
      this.onError(e as RealtimeError);
    }
  }

  /** Stops the schedule (a roll in progress finishes). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
