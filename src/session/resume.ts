/**
 * Resume from the file: on every start the last persisted closed bars of every configured stream, keyed by
 * (provider, symbol, interval), are read in one query, and the provider is told where each stream stands so it
 * backfills the bars missed while no process was recording, before the first live bar. A bounded lookback (passed
 * to the provider, which measures it against the venue's present) keeps an old file from fetching years: the part
 * of a gap older than it is reported as uncovered, with its range. The few most recent stored bars are kept to tell
 * a re-read bar (a duplicate) from a corrected one, and gaps earlier processes left open are read back from the log.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Bar } from '../domain/bar.ts';
import { bucketEnd, isInterval, type Interval } from '../domain/interval.ts';
import type { RealtimeProvider } from '../providers/realtime-provider.ts';
import { quoteIdent, quoteLiteral } from '../storage/schema.ts';

/** One stream of bars in the file. */
export interface StreamId {
  readonly provider: string;
  readonly symbol: string;
  readonly interval: Interval;
}

/** A time range [from, to) of one stream (Unix ms). */
export interface StreamRange extends StreamId {
  readonly from: number;
  readonly to: number;
}

/** Where a stream stands in the file. */
export interface ResumePoint extends StreamId {
  /** Open time of the newest stored bar. */
  readonly lastOpenTime: number;
  /** The newest stored bars (at most {@link RECENT_ROWS}), by open time. */
  readonly recent: Map<number, Bar>;
}

/** Stored bars kept per stream to recognise re-read bars after a restart. */
export const RECENT_ROWS = 64;

export { barProviderOf } from '../providers/realtime-provider.ts';

/**
 * Reads, in ONE query, the newest `recentRows` stored bars of each wanted stream (symbols matched without regard
 * to case, as providers normalise them); streams without a stored bar are absent from the result.
 */
export const readResumePoints = async (
  conn: DuckDBConnection, table: string, streams: readonly StreamId[], recentRows = RECENT_ROWS,
): Promise<ResumePoint[]> => {
  if (streams.length === 0) return [];
  const wanted = streams.map((s) => `(${quoteLiteral(s.provider)}, ${quoteLiteral(s.symbol.toUpperCase())}, ${quoteLiteral(s.interval)})`).join(', ');
  const sql = `WITH wanted(p, s, i) AS (VALUES ${wanted})
    SELECT b.provider, b.symbol, b."interval", epoch_ms(b."timestamp")::DOUBLE AS t, b.open, b.high, b.low, b.close, b.volume, b.vwap,
           b.trade_count, epoch_ms(b.received_at)::DOUBLE AS received
      FROM ${quoteIdent(table)} b JOIN wanted w ON b.provider = w.p AND upper(b.symbol) = w.s AND b."interval" = w.i
   QUALIFY row_number() OVER (PARTITION BY b.provider, b.symbol, b."interval" ORDER BY b."timestamp" DESC) <= ${Math.max(1, Math.floor(recentRows))}`;
  const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
  const points = new Map<string, ResumePoint & { lastOpenTime: number }>();
  for (const row of rows) {
    const interval = String(row.interval);
    if (!isInterval(interval)) continue;
    const openTime = Number(row.t);
    const bar: Bar = {
      provider: String(row.provider), symbol: String(row.symbol), interval, openTime, closeTime: bucketEnd(interval, openTime),
      open: Number(row.open), high: Number(row.high), low: Number(row.low), close: Number(row.close), volume: Number(row.volume),
      vwap: row.vwap === null ? null : Number(row.vwap), tradeCount: row.trade_count === null ? null : Number(row.trade_count),
      final: true, receivedAt: Number(row.received),
    };
    const key = `${bar.provider}|${bar.symbol}|${interval}`;
    let point = points.get(key);
    if (!point) points.set(key, (point = { provider: bar.provider, symbol: bar.symbol, interval, lastOpenTime: openTime, recent: new Map() }));
    point.recent.set(openTime, bar);
    if (openTime > point.lastOpenTime) point.lastOpenTime = openTime;
  }
  return [...points.values()];
};

/** A gap an earlier process recorded (`durability:gap.opened`) and never closed: its bars may be missing still. */
export type OpenGap = StreamRange & { readonly gap: string };

/**
 * Gaps of the wanted streams opened by earlier processes on this file and never closed (their REST fetch failed,
 * or the process ended first). Each ends at the first bar stored after it; a gap with no bar after it is covered
 * by the resume from the last stored bar and is not returned.
 */
export const readOpenGaps = async (conn: DuckDBConnection, table: string, streams: readonly StreamId[]): Promise<OpenGap[]> => {
  if (streams.length === 0) return [];
  const exists = (await conn.runAndReadAll(`SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_name = 'session_events'`)).getRowObjectsJS()[0];
  if (!exists || Number(exists.n) === 0) return [];
  const rows = (await conn.runAndReadAll(`
    WITH opened AS (
      SELECT json_extract_string(o.payload, '$.gap') AS gap, json_extract_string(o.payload, '$.provider') AS provider, json_extract_string(o.payload, '$.symbol') AS symbol, json_extract_string(o.payload, '$.interval') AS "interval",
             CAST(json_extract_string(o.payload, '$.from') AS DOUBLE) AS "from"
        FROM session_events o
       WHERE o.type = 'durability:gap.opened'
         AND NOT EXISTS (SELECT 1 FROM session_events c WHERE c.type = 'durability:gap.closed' AND json_extract_string(c.payload, '$.gap') = json_extract_string(o.payload, '$.gap')))
    SELECT g.gap, g.provider, g.symbol, g."interval", g."from",
           (SELECT epoch_ms(min(b."timestamp"))::DOUBLE FROM ${quoteIdent(table)} b
             WHERE b.provider = g.provider AND b.symbol = g.symbol AND b."interval" = g."interval" AND epoch_ms(b."timestamp") >= g."from") AS "to"
      FROM opened g`)).getRowObjectsJS();
  const wanted = new Set(streams.map((s) => `${s.provider}|${s.symbol.toUpperCase()}|${s.interval}`));
  const out: OpenGap[] = [];
  for (const r of rows) {
    const interval = String(r.interval);
    if (!isInterval(interval) || r.to === null || !wanted.has(`${String(r.provider)}|${String(r.symbol).toUpperCase()}|${interval}`)) continue;
    if (Number(r.to) > Number(r.from)) out.push({ gap: String(r.gap), provider: String(r.provider), symbol: String(r.symbol), interval, from: Number(r.from), to: Number(r.to) });
  }
  return out;
};

/** A stream told to the provider, with the open time it continues after. */
export type ResumedStream = StreamId & { readonly after: number };

/**
 * Tells the provider where each stored stream stands (`resumeAfter`), with the lookback bound `maxGapMs`: the
 * provider measures it against the venue's present and reports an older part of the gap as GAP_UNCOVERED.
 */
export const applyResume = (
  provider: Pick<RealtimeProvider, 'resumeAfter'>, points: readonly ResumePoint[], configured: readonly StreamId[], maxGapMs: number,
): ResumedStream[] => {
  const resumed: ResumedStream[] = [];
  if (!provider.resumeAfter) return resumed;
  for (const c of configured) {
    const point = points.find((p) => p.provider === c.provider && p.interval === c.interval && p.symbol.toUpperCase() === c.symbol.toUpperCase());
    if (!point) continue;
    provider.resumeAfter(c.symbol, c.interval, point.lastOpenTime, maxGapMs);
    resumed.push({ provider: point.provider, symbol: point.symbol, interval: c.interval, after: point.lastOpenTime });
  }
  return resumed;
};

/** How a bar relates to what the file held at start. */
export type StoredMatch = 'new' | 'duplicate' | 'correction';

/** True when two bars carry the same stored values (`received_at` excepted). */
export const sameStoredValues = (a: Bar, b: Bar): boolean =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume &&
  a.vwap === b.vwap && a.tradeCount === b.tradeCount;

/** Recognises bars the provider re-reads after a restart: equal to the stored row (duplicate) or different (correction). */
export class StoredBars {
  readonly #points = new Map<string, ResumePoint>();

  constructor(points: readonly ResumePoint[]) {
    for (const p of points) this.#points.set(`${p.provider}|${p.symbol}|${p.interval}`, p);
  }

  /** Classifies `bar`; a correction replaces the remembered row, so a second equal delivery is a duplicate. */
  match(bar: Bar): StoredMatch {
    if (this.#points.size === 0) return 'new';
    const point = this.#points.get(`${bar.provider}|${bar.symbol}|${bar.interval}`);
    if (!point || bar.openTime > point.lastOpenTime) return 'new';
    const stored = point.recent.get(bar.openTime);
    if (!stored) return 'new';
    if (sameStoredValues(stored, bar)) return 'duplicate';
    point.recent.set(bar.openTime, bar);
    // Only a trade count the live stream lacked (Polygon's WebSocket aggregates carry none, REST does): not a correction.
    if (sameStoredValues({ ...stored, tradeCount: null }, { ...bar, tradeCount: null }) && (stored.tradeCount === null || bar.tradeCount === null)) return 'new';
    return 'correction';
  }
}

/** `[from, to)` as readable UTC text. */
export const rangeText = (r: Pick<StreamRange, 'from' | 'to'>): string =>
  `${new Date(r.from).toISOString()} → ${new Date(r.to).toISOString()}`;
