/**
 * The REST side of the Polygon simulator: `GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`
 * with `apiKey` (or `Authorization: Bearer`), `limit`, `sort`, and paging through `next_url` (an absolute URL
 * with a `cursor` and, as on the real service, without the key). `from` / `to` are Unix ms or `YYYY-MM-DD`, both
 * inclusive; only windows that have ended are returned, with corrections made so far applied. Stock, option and
 * index day bars open at New York midnight (calendar.ts); index rows carry no `v`, `vw` or `n`.
 * Source: https://massive.com/docs/rest/stocks/aggregates/custom-bars
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInterval } from '../../domain/interval.ts';
import type { PolygonAggsResponse } from '../../providers/polygon/messages.ts';
import { POLYGON_LIMITS } from '../../providers/polygon/messages.ts';
import { venueWindowStarts } from './calendar.ts';
import type { PolygonSimStats } from './connection.ts';
import type { PolygonCatalogue } from './instruments.ts';
import { toRow, type PolygonMarket, type SimRow } from './market.ts';

/** One REST request as the simulator saw it (the key itself is not kept). */
export interface PolygonRestRecord {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly withKey: boolean;
  readonly status: number;
}

/** What the REST API needs from the simulator. */
export interface PolygonRestContext {
  readonly market: PolygonMarket;
  readonly catalogue: PolygonCatalogue;
  readonly apiKeys: readonly string[];
  readonly now: () => number;
  readonly baseUrl: () => string;
  readonly pageSize: number;
  readonly stats: PolygonSimStats;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const ROUTE = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/(\d+)\/(second|minute|hour|day|week|month)\/([^/]+)\/([^/]+)$/;
const UNIT: Record<string, string> = { second: 's', minute: 'm', hour: 'h', day: 'd', week: 'w', month: 'M' };
const DAY_MS = 86_400_000;

const error = (status: number, message: string): Reply => ({ status, body: { status: 'ERROR', request_id: randomUUID(), error: message } });

/** A bound in ms from Unix ms or a date; a date `to` means the end of that day. */
const bound = (raw: string, end: boolean): number | undefined => {
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return undefined;
  const t = Date.parse(`${raw}T00:00:00Z`);
  return Number.isFinite(t) ? t + (end ? DAY_MS - 1 : 0) : undefined;
};

/** The REST API: a handler, a fault switch and a request log. */
export class PolygonRestApi {
  readonly log: PolygonRestRecord[] = [];
  private readonly ctx: PolygonRestContext;
  private forced = { count: 0, status: 0, retryAfterSeconds: 0 };

  constructor(ctx: PolygonRestContext) {
    this.ctx = ctx;
  }

  /** The next `count` requests fail with `status` (429 comes with `Retry-After: retryAfterSeconds`). */
  failNext(count: number, status: number, retryAfterSeconds = 1): void {
    this.forced = { count, status, retryAfterSeconds };
  }

  /** Handles one HTTP request. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    this.ctx.stats.restRequests++;
    const url = new URL(request.url ?? '/', 'http://sim');
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const key = url.searchParams.get('apiKey') ?? bearer;
    const reply = this.reply(request.method ?? 'GET', url, key ?? undefined);
    if (reply.status !== 200) this.ctx.stats.restFailures++;
    const query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'apiKey'));
    this.log.push({ path: url.pathname, query, withKey: key !== null && key !== undefined, status: reply.status });
    if (this.log.length > 10_000) this.log.shift();
    const body = JSON.stringify(reply.body);
    response.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...reply.headers });
    response.end(body);
  }

  private reply(method: string, url: URL, key: string | undefined): Reply {
    if (method !== 'GET') return error(405, 'method not allowed');
    if (key === undefined) return error(401, 'API Key was not provided');
    if (!this.ctx.apiKeys.includes(key)) return error(401, 'Unknown API Key');
    if (this.forced.count > 0) {
      this.forced.count--;
      const r = error(this.forced.status, this.forced.status === 429 ? 'You have exceeded the maximum requests per minute.' : 'internal error');
      return this.forced.status === 429 ? { ...r, headers: { 'retry-after': String(this.forced.retryAfterSeconds) } } : r;
    }
    const m = ROUTE.exec(url.pathname);
    if (!m) return error(404, 'not found');
    return this.aggregates(decodeURIComponent(m[1]!), Number(m[2]), m[3]!, m[4]!, m[5]!, url.searchParams);
  }

  private aggregates(ticker: string, multiplier: number, timespan: string, fromRaw: string, toRaw: string, query: URLSearchParams): Reply {
    const interval = `${multiplier}${UNIT[timespan]}`;
    if (!isInterval(interval)) return error(400, `the simulator serves ${multiplier} ${timespan} only where it is one of the project's intervals`);
    let from = bound(fromRaw, false);
    let to = bound(toRaw, true);
    if (from === undefined || to === undefined) return error(400, 'from and to must be Unix ms or YYYY-MM-DD');
    const cursor = query.get('cursor');
    if (cursor) {
      try {
        ({ from, to } = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { from: number; to: number });
      } catch {
        return error(400, 'invalid cursor');
      }
    }
    const desc = query.get('sort') === 'desc';
    const limit = Math.min(Number(query.get('limit')) || 5_000, POLYGON_LIMITS.aggsPerRequest, this.ctx.pageSize);
    const inst = this.ctx.catalogue.byTicker.get(ticker);
    const rows: SimRow[] = [];
    let next: { from: number; to: number } | undefined;
    if (inst) {
      const now = this.ctx.now();
      const starts = venueWindowStarts(inst.feed, interval, from, to, now);
      if (desc) starts.reverse();
      for (const t of starts) {
        const a = this.ctx.market.window(inst, interval, t, now);
        if (!a) continue;
        if (rows.length === limit) {
          next = desc ? { from, to: t } : { from: t, to };
          break;
        }
        rows.push(toRow(inst, t, a));
      }
    }
    const body: PolygonAggsResponse = {
      ticker, queryCount: rows.length, resultsCount: rows.length, adjusted: query.get('adjusted') !== 'false', status: 'OK', request_id: randomUUID(),
      ...(rows.length > 0 ? { results: rows } : {}),
      ...(next ? { next_url: `${this.ctx.baseUrl()}/v2/aggs/ticker/${encodeURIComponent(ticker)}/range/${multiplier}/${timespan}/${next.from}/${next.to}?cursor=${Buffer.from(JSON.stringify(next)).toString('base64url')}` } : {}),
    };
    return { status: 200, body };
  }
}
