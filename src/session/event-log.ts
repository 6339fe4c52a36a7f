/**
 * The session event log: `session_events(session_id, seq, at, type, payload)` in the session's DuckDB file
 * (`at` is a DuckDB keyword: always quote it),
 * append-only. Types are prefixed by source: `session:` (events delivered to the session actor), `broker:`
 * (events delivered to the paper broker: the fold of those rebuilds orders, fills, positions and cash) and
 * `strategy:` (strategy failures, logs and marks). Bars are logged by reference (`{ ref: barKey }`), never copied:
 * the log is flushed only after the bar writer, so a reference always resolves to a durable row.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { barKey, type Bar } from '../domain/bar.ts';
import { bucketEnd, isInterval } from '../domain/interval.ts';
import { redact } from '../secrets.ts';
import { quoteIdent } from '../storage/schema.ts';

/** A row of the log. */
export interface EventRow {
  readonly seq: number;
  readonly at: number;
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

const DDL = [
  // No primary key: appends go through the appender, whose flush is synchronous and would stall the event loop
  // on index maintenance. (session_id, seq) is unique by construction: one process owns the file (DuckDB's
  // lock) and continues the sequence it reads at open.
  `CREATE TABLE IF NOT EXISTS session_events (
     session_id VARCHAR NOT NULL, seq BIGINT NOT NULL, "at" TIMESTAMP NOT NULL, type VARCHAR NOT NULL, payload JSON NOT NULL)`,
];

/** Replaces a bar in an event by its key; returns the event unchanged when it carries none. */
export const withBarRef = (event: Record<string, unknown>): Record<string, unknown> => {
  const bar = event.bar as Bar | undefined;
  if (!bar || typeof bar !== 'object' || !('openTime' in bar)) return event;
  const { bar: _bar, ...rest } = event;
  return { ...rest, ref: barKey(bar) };
};

/** Buffered, append-only writer and reader of one session's events. */
export class SessionEventLog {
  readonly sessionId: string;
  private readonly conn: DuckDBConnection;
  private nextSeq: number;
  private pending: { seq: number; at: number; type: string; payload: string }[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** While set, a flush writes only the events up to this sequence number (see hold()). */
  private heldAfter: number | undefined;
  /** Sequence number of the last event made durable (0 before the first flush). */
  durableSeq = 0;

  private constructor(conn: DuckDBConnection, sessionId: string, nextSeq: number) {
    this.conn = conn;
    this.sessionId = sessionId;
    this.nextSeq = nextSeq;
  }

  /** Creates the table if needed; continues the sequence of an existing session id. */
  static async open(conn: DuckDBConnection, sessionId: string): Promise<SessionEventLog> {
    for (const sql of DDL) await conn.run(sql);
    const r = await conn.runAndReadAll('SELECT coalesce(max(seq), 0) AS s FROM session_events WHERE session_id = $id', { id: sessionId });
    return new SessionEventLog(conn, sessionId, Number(r.getRowObjectsJS()[0]?.s ?? 0) + 1);
  }

  /** Queues one event (bars replaced by references). */
  append(type: string, event: Record<string, unknown>, at: number): void {
    const { type: _t, ...payload } = withBarRef(event);
    // Registered secrets never reach the file, whichever event carried them (a strategy's log text included).
    this.pending.push({ seq: this.nextSeq++, at, type, payload: redact(JSON.stringify(payload)) });
  }

  /** Sequence number of the last event queued. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Holds back every event queued from now on until release(): a flush meanwhile writes only what came before.
   * A bus source holds the events of a bar in the strategy's hands, so that no flush persists a bar's effects
   * without the checkpoint that says the bar was handled (a host killed in between would see the bar again).
   */
  hold(): void {
    this.heldAfter ??= this.nextSeq - 1;
  }

  /** Ends a hold(): every queued event may be flushed. */
  release(): void {
    this.heldAfter = undefined;
  }

  /** Events queued and not yet durable. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Writes queued events in one transaction: all of them, or those up to sequence number `through`. Call only
   * after the bars they reference were flushed.
   */
  flush(through?: number): Promise<void> {
    // A failed flush already told its caller; it must not fail every later flush too (its batch is retried).
    this.flushing = this.flushing.catch(() => undefined).then(() => this.write(through));
    return this.flushing;
  }

  private async write(through = Number.POSITIVE_INFINITY): Promise<void> {
    const last = Math.min(this.heldAfter ?? Number.POSITIVE_INFINITY, through);
    const cut = last === Number.POSITIVE_INFINITY ? this.pending.length : this.pending.findIndex((e) => e.seq > last);
    const batch = cut < 0 ? this.pending : this.pending.slice(0, cut);
    if (batch.length === 0) return;
    this.pending = cut < 0 ? [] : this.pending.slice(cut);
    try {
      await this.conn.run('BEGIN TRANSACTION');
      const appender = await this.conn.createAppender('session_events');
      for (const e of batch) {
        appender.appendVarchar(this.sessionId);
        appender.appendBigInt(BigInt(e.seq));
        appender.appendVarchar(new Date(e.at).toISOString().replace('T', ' ').replace('Z', ''));
        appender.appendVarchar(e.type);
        appender.appendVarchar(e.payload);
        appender.endRow();
      }
      appender.closeSync();
      await this.conn.run('COMMIT');
      this.durableSeq = batch.at(-1)!.seq;
    } catch (e) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      // Keep the batch: the next flush retries it, in order.
      this.pending = [...batch, ...this.pending];
      throw e;
    }
  }

  /** Every logged event of `sessionId`, in order. */
  static async read(conn: DuckDBConnection, sessionId: string): Promise<EventRow[]> {
    const r = await conn.runAndReadAll(
      'SELECT seq, epoch_ms("at") AS at, type, CAST(payload AS VARCHAR) AS payload FROM session_events WHERE session_id = $id ORDER BY seq',
      { id: sessionId },
    );
    return r.getRowObjectsJS().map((row) => ({ seq: Number(row.seq), at: Number(row.at), type: String(row.type), payload: JSON.parse(String(row.payload)) as Record<string, unknown> }));
  }

  /** Loads the bars behind `refs` from the bars table, keyed by their reference. */
  static async resolveBars(conn: DuckDBConnection, table: string, refs: Iterable<string>): Promise<Map<string, Bar>> {
    const wanted = new Set(refs);
    const out = new Map<string, Bar>();
    if (wanted.size === 0) return out;
    const groups = new Map<string, { provider: string; symbol: string; interval: string; min: number; max: number }>();
    for (const ref of wanted) {
      const [provider, symbol, interval, t] = ref.split('|');
      const key = `${provider}|${symbol}|${interval}`;
      const g = groups.get(key) ?? { provider: provider!, symbol: symbol!, interval: interval!, min: Infinity, max: -Infinity };
      g.min = Math.min(g.min, Number(t));
      g.max = Math.max(g.max, Number(t));
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      const r = await conn.runAndReadAll(
        `SELECT epoch_ms("timestamp") AS t, open, high, low, close, volume, vwap, trade_count, epoch_ms(received_at) AS received
           FROM ${quoteIdent(table)} WHERE provider = $p AND symbol = $s AND "interval" = $i AND "timestamp" BETWEEN make_timestamp($a * 1000) AND make_timestamp($b * 1000)`,
        { p: g.provider, s: g.symbol, i: g.interval, a: g.min, b: g.max },
      );
      if (!isInterval(g.interval)) continue;
      for (const row of r.getRowObjectsJS()) {
        const openTime = Number(row.t);
        const bar: Bar = {
          provider: g.provider, symbol: g.symbol, interval: g.interval, openTime, closeTime: bucketEnd(g.interval, openTime),
          open: Number(row.open), high: Number(row.high), low: Number(row.low), close: Number(row.close), volume: Number(row.volume),
          vwap: row.vwap === null ? null : Number(row.vwap), tradeCount: row.trade_count === null ? null : Number(row.trade_count),
          final: true, receivedAt: Number(row.received),
        };
        const key = barKey(bar);
        if (wanted.has(key)) out.set(key, bar);
      }
    }
    return out;
  }
}
