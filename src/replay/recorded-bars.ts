/**
 * Reads a recording: the closed bars a DuckDB file holds, opened READ_ONLY (a replay never changes its source).
 * With a session id, exactly the bars that session received (the `session:bar.closed` references of its event
 * log, resumed runs included); without one, every bar of the table. Bars come in recorded order, `received_at`
 * then open time (then provider, symbol, interval, so that ties are broken the same way every time), streamed in
 * chunks rather than loaded at once.
 */
import { access } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import type { Bar } from '../domain/bar.ts';
import { bucketEnd, isInterval, type Interval } from '../domain/interval.ts';
import { realtimeError } from '../errors.ts';
import { IDENTIFIER } from '../storage/config.ts';
import { quoteIdent } from '../storage/schema.ts';

/** What to read. */
export interface RecordingSelection {
  readonly dbPath: string;
  /** Only the bars this session received; all bars of the table when absent. */
  readonly sessionId?: string;
  /** Bar table (default `realtime_market_data`). */
  readonly table?: string;
}

/** An open recording. */
export interface Recording {
  readonly dbPath: string;
  readonly sessionId?: string;
  readonly table: string;
  /** Bars selected. */
  readonly count: number;
  readonly symbols: readonly string[];
  readonly intervals: readonly Interval[];
  /** Earliest bar open time (ms). */
  readonly firstOpenTime: number;
  /** Recorded receive times of the first and last bar (ms). */
  readonly firstReceivedAt: number;
  readonly lastReceivedAt: number;
  /** The bars in recorded order; each call runs the query again. */
  bars(): AsyncIterable<Bar>;
  /** Closes the database. */
  close(): void;
}

const num = (v: JS | undefined): number => (typeof v === 'bigint' ? Number(v) : Number(v));

const tableExists = async (conn: DuckDBConnection, table: string): Promise<boolean> => {
  const r = await conn.runAndReadAll(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $t`, { t: table });
  return num(r.getRowObjectsJS()[0]?.n) > 0;
};

/** Opens the file read-only and describes the selection; rejects with CONFIG_INVALID when there is nothing to replay. */
export const openRecording = async (selection: RecordingSelection): Promise<Recording> => {
  const table = selection.table ?? 'realtime_market_data';
  if (!IDENTIFIER.test(table)) throw realtimeError('CONFIG_INVALID', `replay: table ${JSON.stringify(table)} is not a plain SQL identifier`, { field: 'table' });
  try {
    await access(selection.dbPath);
  } catch {
    throw realtimeError('CONFIG_INVALID', `replay: database ${selection.dbPath} does not exist`, { field: 'db', value: selection.dbPath });
  }
  const instance = await DuckDBInstance.create(selection.dbPath, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const close = () => {
    conn.closeSync();
    instance.closeSync();
  };
  try {
    if (!(await tableExists(conn, table))) throw realtimeError('CONFIG_INVALID', `replay: ${selection.dbPath} has no table ${table}`, { field: 'table' });
    const t = quoteIdent(table);
    let from = `${t} b`;
    const params: Record<string, string> = {};
    if (selection.sessionId !== undefined) {
      if (!(await tableExists(conn, 'session_events'))) {
        throw realtimeError('CONFIG_INVALID', `replay: ${selection.dbPath} has no session event log, so no session ${selection.sessionId}`, { field: 'session' });
      }
      // The session's own bars, by the references its event log holds (a bar is logged by key, never copied).
      from = `${t} b JOIN (SELECT DISTINCT payload->>'ref' AS ref FROM session_events WHERE session_id = $sid AND type = 'session:bar.closed') r
        ON r.ref = concat_ws('|', b.provider, b.symbol, b."interval", CAST(epoch_ms(b."timestamp") AS VARCHAR))`;
      params.sid = selection.sessionId;
    }
    const meta = (await conn.runAndReadAll(
      `SELECT count(*) AS n, min(epoch_ms(b."timestamp")) AS first_open, min(epoch_ms(b.received_at)) AS first_rx, max(epoch_ms(b.received_at)) AS last_rx,
              list_sort(list_distinct(list(b.symbol))) AS symbols, list_sort(list_distinct(list(b."interval"))) AS intervals FROM ${from}`,
      params,
    )).getRowObjectsJS()[0]!;
    const count = num(meta.n);
    if (count === 0) {
      const what = selection.sessionId !== undefined ? `session ${selection.sessionId} has no recorded bars` : `table ${table} is empty`;
      throw realtimeError('CONFIG_INVALID', `replay: ${what} in ${selection.dbPath}`, { field: selection.sessionId !== undefined ? 'session' : 'table' });
    }
    const intervals = (meta.intervals as JS[]).map(String).filter(isInterval);
    const sql = `SELECT b.provider, b.symbol, b."interval" AS iv, epoch_ms(b."timestamp") AS t, b.open, b.high, b.low, b.close, b.volume, b.vwap,
                        b.trade_count, epoch_ms(b.received_at) AS rx
                   FROM ${from} ORDER BY b.received_at, b."timestamp", b.provider, b.symbol, b."interval"`;
    return {
      dbPath: selection.dbPath,
      ...(selection.sessionId !== undefined ? { sessionId: selection.sessionId } : {}),
      table,
      count,
      symbols: (meta.symbols as JS[]).map(String),
      intervals,
      firstOpenTime: num(meta.first_open),
      firstReceivedAt: num(meta.first_rx),
      lastReceivedAt: num(meta.last_rx),
      async *bars(): AsyncIterable<Bar> {
        const result = await conn.stream(sql, params);
        for await (const rows of result.yieldRowObjectJs()) {
          for (const row of rows) {
            const interval = String(row.iv);
            if (!isInterval(interval)) continue;
            const openTime = num(row.t);
            yield {
              provider: String(row.provider), symbol: String(row.symbol), interval, openTime, closeTime: bucketEnd(interval, openTime),
              open: num(row.open), high: num(row.high), low: num(row.low), close: num(row.close), volume: num(row.volume),
              vwap: row.vwap === null ? null : num(row.vwap), tradeCount: row.trade_count === null ? null : num(row.trade_count),
              final: true, receivedAt: num(row.rx),
            };
          }
        }
      },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
};
