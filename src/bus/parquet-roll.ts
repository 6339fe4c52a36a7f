/**
 * History from the bus as Hive-partitioned Parquet: the bars published in a time window are read back from the
 * stream (an ordered consumer from the window's start), the last value of each bar key kept (a correction wins
 * over the bar it corrects), and written with DuckDB's `COPY … (FORMAT PARQUET, PARTITION_BY (date, provider,
 * interval))` in the layout of `hive-layout.ts` under deterministic file names, so rolling the same window again
 * rewrites the same files:
 *
 *   <dir>/date=2026-01-01/provider=binance/interval=1m/w20260101T130000_0.parquet
 *
 * {@link ParquetRoller} rolls each closed window on a schedule; in a fleet a lease makes one recorder roll each window.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describe, realtimeError, type RealtimeError } from '../errors.ts';
import { HIVE_KEYS, type HivePartition } from '../storage/hive-layout.ts';
import { quoteIdent, quoteLiteral } from '../storage/schema.ts';
import { decodeBar } from './bar-message.ts';
import type { BusConfig } from './config.ts';
import type { RollLease } from './roll-lease.ts';

/** What one roll wrote. */
export interface ParquetRollResult {
  readonly fromMs: number;
  readonly toMs: number;
  /** Distinct bars written. */
  readonly rows: number;
  /** Messages read from the stream (bars plus corrections and repeats). */
  readonly messages: number;
  /** The partitions written, with their distinct bars. */
  readonly partitions: readonly (HivePartition & { readonly rows: number })[];
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15);

/**
 * Writes the bars whose open time lies in [fromMs, toMs) (all of them when omitted) to `dir`. Bars are read from
 * messages stored since `fromMs − lookbackMs` (a backfilled bar is published after its bucket closed).
 */
export const rollBusToParquet = async (nc: NatsConnection, config: BusConfig, dir: string, window: { fromMs?: number; toMs?: number; lookbackMs?: number } = {}): Promise<ParquetRollResult> => {
  const fromMs = window.fromMs ?? 0;
  const toMs = window.toMs ?? Number.MAX_SAFE_INTEGER;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(config.stream).catch((e: unknown) => {
    const missing = /not found/i.test(describe(e));
    throw realtimeError(missing ? 'CONFIG_INVALID' : 'REQUEST_FAILED', `bus stream ${config.stream}: ${missing ? 'no such stream on the server' : describe(e)}`, { source: 'bus', ...(missing ? { field: 'bus.stream' } : {}) });
  });
  const lastSeq = info.state.last_seq;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  let messages = 0;
  try {
    await conn.run(`CREATE TABLE bars (seq BIGINT, provider VARCHAR, symbol VARCHAR, "interval" VARCHAR, open_time BIGINT, open DOUBLE, high DOUBLE,
      low DOUBLE, close DOUBLE, volume DOUBLE, vwap DOUBLE, trade_count BIGINT, backfilled BOOLEAN, correction BOOLEAN)`);
    if (info.state.messages > 0) {
      const start = window.fromMs === undefined ? undefined : new Date(Math.max(0, fromMs - (window.lookbackMs ?? 3_600_000))).toISOString();
      const filter = { filter_subjects: `${config.subject_prefix}.>` };
      const consumer = await jetstream(nc).consumers.get(config.stream, start ? { ...filter, deliver_policy: 'by_start_time', opt_start_time: start } : { ...filter, deliver_policy: 'all' });
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
        // An empty fetch ends the read only when nothing is pending: a lost connection must not pass for the end.
        if (got === 0) {
          const pending = (await consumer.info()).num_pending;
          if (pending > 0) throw new Error(`${pending} message(s) of the stream not delivered (connection lost?)`);
          done = true;
        }
      }
      appender.closeSync();
      await consumer.delete().catch(() => undefined);
    }
    await conn.run(`CREATE VIEW latest AS SELECT provider, symbol, "interval", epoch_ms(open_time) AS "timestamp", open, high, low, close, volume, vwap,
        trade_count, backfilled, correction, strftime(epoch_ms(open_time), '%Y-%m-%d') AS date
      FROM bars QUALIFY row_number() OVER (PARTITION BY provider, symbol, "interval", open_time ORDER BY seq DESC) = 1`);
    const partitions = (await conn.runAndReadAll(`SELECT date, provider, "interval", count(*)::DOUBLE AS n FROM latest GROUP BY ALL ORDER BY ALL`)).getRowObjectsJS()
      .map((r) => ({ date: String(r.date), provider: String(r.provider), interval: String(r.interval), rows: Number(r.n) }));
    const rows = partitions.reduce((n, p) => n + p.rows, 0);
    if (rows > 0) {
      await conn.run(`COPY (SELECT * FROM latest ORDER BY symbol, "timestamp") TO ${quoteLiteral(dir)} (FORMAT PARQUET, PARTITION_BY (${HIVE_KEYS.map(quoteIdent).join(', ')}),
        OVERWRITE_OR_IGNORE, FILENAME_PATTERN ${quoteLiteral(`w${window.fromMs === undefined ? 'all' : stamp(fromMs)}_{i}`)})`);
    }
    return { fromMs, toMs, rows, messages, partitions };
  } catch (e) {
    throw realtimeError('EXPORT_FAILED', `parquet roll of ${config.stream} to ${dir}: ${describe(e)}`, { source: 'bus', dir });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

/** How a scheduled window ended here: rolled by this roller, by another one of the fleet, or failed (reported). */
export type RollOutcome = 'rolled' | 'elsewhere' | 'failed';

/**
 * Rolls each closed window of `windowMs` (UTC-aligned) `delayMs` after it closed, for as long as it runs; with a
 * {@link RollLease} (a fleet) a window is rolled by whichever roller of the fleet claims it.
 */
export class ParquetRoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private next = 0;
  private stopped = false;
  private wakeStop: (() => void) | undefined;
  private lease: RollLease | undefined;
  /** Windows rolled here, and the last result. */
  rolled = 0;
  /** Windows another roller of the fleet rolled. */
  elsewhere = 0;
  /** Called after each roll (tests and metrics wait on it). */
  onRolled: ((result: ParquetRollResult) => void) | undefined;
  /** Called when a scheduled window is settled here, whatever the outcome. */
  onSettled: ((fromMs: number, outcome: RollOutcome) => void) | undefined;
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

  /** Rolls scheduled windows under the fleet's roll lease (call before `start`). */
  withLease(lease: RollLease): this {
    this.lease = lease;
    return this;
  }

  /** Starts the schedule. */
  start(): void {
    const arm = () => {
      if (this.stopped) return;
      const due = this.next + this.windowMs + this.delayMs;
      this.timer = setTimeout(() => {
        const from = this.next;
        this.next += this.windowMs;
        this.running = this.running.then(() => this.settle(from)).finally(arm);
      }, Math.max(0, due - this.now()));
      this.timer.unref();
    };
    arm();
  }

  /** Rolls one window now (no lease). */
  async rollWindow(fromMs: number): Promise<void> {
    await this.roll(fromMs);
  }

  /** Settles one scheduled window: rolls it, or with a lease lets the fleet's claimant roll it. */
  async settle(fromMs: number): Promise<RollOutcome> {
    const outcome = this.lease ? await this.settleLeased(this.lease, fromMs) : (await this.roll(fromMs)) ? 'rolled' : 'failed';
    if (outcome === 'elsewhere') this.elsewhere++;
    this.onSettled?.(fromMs, outcome);
    return outcome;
  }

  private async settleLeased(lease: RollLease, fromMs: number): Promise<RollOutcome> {
    const window = stamp(fromMs);
    const round = Math.max(50, Math.floor(lease.ttlMs / 3));
    while (!this.stopped) {
      let claim;
      try {
        claim = await lease.claim(window);
      } catch (e) {
        this.onError(realtimeError('REQUEST_FAILED', `parquet roll lease of window ${window}: ${describe(e)}; trying again`, { source: 'bus', window }));
        claim = 'held' as const;
      }
      if (claim === 'done') return 'elsewhere';
      if (claim === 'claimed') {
        const renewal = setInterval(() => { void lease.renew(window); }, round);
        let ok = false;
        try {
          ok = await this.roll(fromMs);
        } finally {
          clearInterval(renewal);
        }
        try {
          if (ok) await lease.finish(window);
          else await lease.release(window);
        } catch (e) {
          this.onError(realtimeError('REQUEST_FAILED', `parquet roll lease of window ${window}: not recorded as rolled (${describe(e)}); another roller may roll it again`, { source: 'bus', window }));
        }
        return ok ? 'rolled' : 'failed';
      }
      // Held by another roller: wait a round; if it died, its lease ages out and the next claim succeeds.
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { this.wakeStop = undefined; resolve(); }, round);
        this.wakeStop = () => { clearTimeout(t); resolve(); };
      });
    }
    return 'failed';
  }

  private async roll(fromMs: number): Promise<boolean> {
    try {
      this.last = await rollBusToParquet(this.nc, this.config, this.dir, { fromMs, toMs: fromMs + this.windowMs, lookbackMs: this.windowMs + this.delayMs });
      this.rolled++;
      this.onRolled?.(this.last);
      return true;
    } catch (e) {
      this.onError(e as RealtimeError);
      return false;
    }
  }

  /** Stops the schedule (a roll in progress finishes; a wait for another roller's lease ends). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wakeStop?.();
    await this.running;
  }
}
