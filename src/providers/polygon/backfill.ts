/**
 * Massive (formerly Polygon) REST aggregates for gap backfill:
 * `/v2/aggs/ticker/{ticker}/range/1/{second|minute}/{from}/{to}`, paged by following `next_url`. A `next_url`
 * comes without the API key: it is added again, and only ever sent to the configured REST origin. The service
 * writes `next_url` on its own brand's host (`api.massive.com` today, whatever host was asked), so a `next_url`
 * on the configured origin or on either brand's API host is followed at the configured origin; any other host
 * is refused. Retries 429 (honouring `Retry-After`) and transient failures; a refused key is
 * AUTHENTICATION_FAILED. The key never appears in an error: messages name the path, never the URL.
 * Source: https://massive.com/docs/rest/stocks/aggregates/custom-bars
 */
import type { Bar } from '../../domain/bar.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import { redact } from '../../secrets.ts';
import { POLYGON_LIMITS, type PolygonAggsResponse, type PolygonFeed } from './messages.ts';
import { aggRowToBar } from './parse.ts';
import { restTicker, type PushedInterval } from './symbols.ts';
import { POLYGON_REST_ORIGINS } from './urls.ts';

/** Injected effects, so tests can run the client against a simulator. */
export interface PolygonRestEnvironment {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Reports a rate limit or a skipped row (the client carries on). */
  readonly onError: (error: RealtimeError) => void;
}

const MAX_RETRIES = 6;

/** What an error body says: `{status:"ERROR", error}` or `{status:"NOT_AUTHORIZED", message}` (both seen live). */
const bodyText = (body: PolygonAggsResponse | undefined): string =>
  [body?.status && body.status !== 'OK' ? body.status : '', body?.error ?? body?.message ?? ''].filter(Boolean).join(': ');
const MAX_PAGES = 1_000;

/** A small client for the aggregates endpoint. */
export class PolygonRestClient {
  private readonly base: string;
  private readonly origin: string;
  private readonly apiKey: string;
  private readonly env: PolygonRestEnvironment;
  /** Requests made (for stats and tests). */
  requests = 0;

  constructor(base: string, apiKey: string, env: PolygonRestEnvironment) {
    this.base = base;
    this.origin = new URL(base).origin;
    this.apiKey = apiKey;
    this.env = env;
  }

  /**
   * Every bar of `symbol` at `interval` whose window opens in [from, to), in order, marked backfilled.
   * `to` should be a window start no later than the present, so that no window still in progress is returned.
   */
  async closedBars(feed: PolygonFeed, symbol: string, interval: PushedInterval, from: number, to: number): Promise<Bar[]> {
    if (from >= to) return [];
    const ticker = encodeURIComponent(restTicker(feed, symbol));
    const timespan = interval === '1s' ? 'second' : 'minute';
    // `to` is inclusive on the wire.
    let url: string | undefined = `${this.base}/v2/aggs/ticker/${ticker}/range/1/${timespan}/${from}/${to - 1}?adjusted=true&sort=asc&limit=${POLYGON_LIMITS.aggsPerRequest}`;
    const bars: Bar[] = [];
    for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
      const body = await this.get(url, symbol);
      const now = this.env.now();
      for (const row of body.results ?? []) {
        const bar = aggRowToBar(row, symbol, interval, now);
        if (typeof bar === 'string') {
          this.env.onError(realtimeError('INVALID_MESSAGE', `aggregates row for ${symbol}: ${bar}`, { symbol }));
          continue;
        }
        if (bar.openTime >= from && bar.openTime < to && (bars.length === 0 || bar.openTime > bars.at(-1)!.openTime)) bars.push(bar);
      }
      url = body.next_url ? this.nextPage(body.next_url, symbol) : undefined;
    }
    return bars;
  }

  /** The next page's URL on the configured origin; refuses a host that is neither it nor a Massive/Polygon API host. */
  private nextPage(next: string, symbol: string): string {
    let url: URL;
    try {
      url = new URL(next, this.base);
    } catch {
      throw realtimeError('INVALID_MESSAGE', `aggregates for ${symbol}: next_url is not a URL`, { symbol });
    }
    if (url.origin === this.origin) return url.toString();
    if (!POLYGON_REST_ORIGINS.includes(url.origin)) {
      throw realtimeError('INVALID_MESSAGE', `aggregates for ${symbol}: next_url points to another host (${url.origin}), not a Massive API host; not following it with the key`, { symbol, host: url.origin });
    }
    // Same service under its other brand: stay on the host the user configured (the key never goes elsewhere).
    return `${this.origin}${url.pathname}${url.search}`;
  }

  /** GET with the key, retrying rate limits and transient failures. */
  private async get(target: string, symbol: string): Promise<PolygonAggsResponse> {
    const url = new URL(target);
    url.searchParams.set('apiKey', this.apiKey);
    const path = url.pathname;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        this.requests++;
        res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      } catch (e) {
        if (attempt >= MAX_RETRIES) throw realtimeError('REQUEST_FAILED', redact(`GET ${path} failed: ${(e as Error).message}`), { path, symbol });
        await this.env.sleep(Math.min(8_000, 250 * 2 ** attempt));
        continue;
      }
      const body = (await res.json().catch(() => undefined)) as PolygonAggsResponse | undefined;
      if (res.status === 401 || res.status === 403) {
        throw realtimeError('AUTHENTICATION_FAILED', redact(`GET ${path}: HTTP ${res.status} ${bodyText(body)}`.trim()), { path, status: res.status });
      }
      if (res.status === 429) {
        const retryAfterS = Number(res.headers.get('retry-after')) || 2 ** attempt;
        this.env.onError(realtimeError('RATE_LIMITED', `GET ${path}: HTTP 429, retrying after ${retryAfterS}s`, { path, retryAfterS }));
        if (attempt >= MAX_RETRIES) throw realtimeError('RATE_LIMITED', `GET ${path}: still rate limited after ${attempt + 1} tries`, { path });
        await this.env.sleep(retryAfterS * 1000);
        continue;
      }
      if (res.ok && body && (body.status === 'OK' || body.status === 'DELAYED')) return body;
      if ((res.status >= 500 || !body) && attempt < MAX_RETRIES) {
        await this.env.sleep(Math.min(8_000, 250 * 2 ** attempt));
        continue;
      }
      throw realtimeError(res.status >= 500 || !body ? 'REQUEST_FAILED' : 'REQUEST_REFUSED', redact(`GET ${path}: HTTP ${res.status} ${bodyText(body)}`.trim()), { path, status: res.status, symbol });
    }
  }
}
