/**
 * Binance REST for the market data provider: exchange info (symbol validation, COIN-M contract sizes) and paged
 * klines (`/api/v3`, `/fapi/v1` or `/dapi/v1` by feed) for gap backfill. Weight-aware (it slows down before the
 * feed's per-minute limit, read from `x-mbx-used-weight-1m`) and it honours 429 / 418 `Retry-After` rather than
 * hammering (repeat offenders get banned).
 * Sources: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info
 */
import type { Bar } from '../../domain/bar.ts';
import { intervalMs, type Interval } from '../../domain/interval.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import { BINANCE_CODES, BINANCE_FEED_LIMITS, binanceKlinesWeight, type BinanceFeedLimits } from './messages.ts';
import { BINANCE_BAR_PROVIDER, klineRowToBar, type BinanceKlineDecoding } from './parse.ts';
import { BINANCE_REST_PATHS, type BinanceFeed } from './urls.ts';

/** Injected effects, so tests can run the client against a simulator with a fake clock. */
export interface RestEnvironment {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Reports a rate limit or a transient failure (the client retries on its own). */
  readonly onError: (error: RealtimeError) => void;
}

/** Symbol facts from exchangeInfo. */
export interface BinanceSymbolInfo {
  readonly symbol: string;
  /** `status` (Spot, USDⓈ-M) or `contractStatus` (COIN-M): `TRADING` when it trades. */
  readonly status: string;
  /** Futures: `PERPETUAL`, `CURRENT_QUARTER`, ... */
  readonly contractType?: string;
  /** COIN-M: USD per contract. */
  readonly contractSize?: number;
}

const MAX_RETRIES = 6;

/** A small REST client for the public market endpoints of one feed. */
export class BinanceRestClient {
  private readonly base: string;
  private readonly env: RestEnvironment;
  private readonly feed: BinanceFeed;
  private readonly limits: BinanceFeedLimits;
  private usedWeight = 0;
  private weightMinute = 0;
  /** Requests made (for stats and tests). */
  requests = 0;
  /** How klines become bars; the provider sets COIN-M contract sizes here once exchangeInfo is known. */
  decoding: BinanceKlineDecoding;

  constructor(base: string, env: RestEnvironment, feed: BinanceFeed = 'spot') {
    this.base = base;
    this.env = env;
    this.feed = feed;
    this.limits = BINANCE_FEED_LIMITS[feed];
    this.decoding = { provider: BINANCE_BAR_PROVIDER[feed] };
  }

  /** GET a public endpoint and return its JSON, retrying rate limits and transient failures. */
  async get(path: string, query: Record<string, string | number>, weight: number): Promise<unknown> {
    const url = `${this.base}${path}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`;
    for (let attempt = 0; ; attempt++) {
      await this.respectWeight(weight);
      let res: Response;
      try {
        this.requests++;
        res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      } catch (e) {
        if (attempt >= MAX_RETRIES) throw realtimeError('REQUEST_FAILED', `GET ${path} failed: ${(e as Error).message}`, { path });
        await this.env.sleep(Math.min(8_000, 250 * 2 ** attempt));
        continue;
      }
      const used = Number(res.headers.get('x-mbx-used-weight-1m'));
      if (Number.isFinite(used) && used > 0) this.noteWeight(used);
      if (res.status === 429 || res.status === 418) {
        const retryAfterS = Number(res.headers.get('retry-after')) || 2 ** attempt;
        this.env.onError(realtimeError('RATE_LIMITED', `GET ${path}: HTTP ${res.status}, retrying after ${retryAfterS}s`, { path, status: res.status, retryAfterS }));
        if (attempt >= MAX_RETRIES) throw realtimeError('RATE_LIMITED', `GET ${path}: still rate limited after ${attempt + 1} tries`, { path });
        await this.env.sleep(retryAfterS * 1000);
        continue;
      }
      const body: unknown = await res.json().catch(() => undefined);
      if (res.ok) return body;
      const code = (body as { code?: unknown } | undefined)?.code;
      const msg = (body as { msg?: unknown } | undefined)?.msg;
      if (code === BINANCE_CODES.invalidSymbol) throw realtimeError('INVALID_SYMBOL', `${String(query.symbol ?? '')}: ${String(msg)}`, { symbol: query.symbol, code });
      if (res.status >= 500 && attempt < MAX_RETRIES) {
        await this.env.sleep(Math.min(8_000, 250 * 2 ** attempt));
        continue;
      }
      throw realtimeError(res.status >= 500 ? 'REQUEST_FAILED' : 'REQUEST_REFUSED', `GET ${path}: HTTP ${res.status} ${String(msg ?? '')}`.trim(), { path, status: res.status, code });
    }
  }

  /** Trading status of the given symbols; symbols Binance does not know are absent. */
  async exchangeInfo(symbols: readonly string[]): Promise<Map<string, BinanceSymbolInfo>> {
    const out = new Map<string, BinanceSymbolInfo>();
    // Asking for a list that contains one unknown symbol fails the whole request, so ask for everything.
    const body = (await this.get(BINANCE_REST_PATHS[this.feed].exchangeInfo, {}, this.limits.exchangeInfoWeight)) as { symbols?: unknown };
    const wanted = new Set(symbols);
    for (const raw of Array.isArray(body?.symbols) ? body.symbols : []) {
      const s = raw as { symbol?: unknown; status?: unknown; contractStatus?: unknown; contractType?: unknown; contractSize?: unknown };
      if (typeof s.symbol !== 'string' || (wanted.size > 0 && !wanted.has(s.symbol))) continue;
      const status = typeof s.status === 'string' ? s.status : typeof s.contractStatus === 'string' ? s.contractStatus : 'UNKNOWN';
      out.set(s.symbol, {
        symbol: s.symbol, status,
        ...(typeof s.contractType === 'string' && s.contractType !== '' ? { contractType: s.contractType } : {}),
        ...(typeof s.contractSize === 'number' ? { contractSize: s.contractSize } : {}),
      });
    }
    return out;
  }

  /**
   * Every closed bar of `symbol`/`interval` whose open time lies in [from, to), in order, paged 1000 rows at a time
   * (and, on COIN-M, at most 200 days per request). `to` should be the open time of a bar already seen live, so
   * that no bar still forming is returned.
   */
  async closedBars(symbol: string, interval: Interval, from: number, to: number): Promise<Bar[]> {
    const bars: Bar[] = [];
    const limit = this.limits.klinesPerRequest;
    const weight = binanceKlinesWeight(this.feed, limit);
    let start = from;
    while (start < to) {
      const end = Math.min(to - 1, start + this.limits.klinesMaxSpanMs - 1);
      const rows = (await this.get(BINANCE_REST_PATHS[this.feed].klines, { symbol, interval, startTime: start, endTime: end, limit }, weight)) as unknown[];
      if (!Array.isArray(rows)) break;
      const now = this.env.now();
      let last: number | undefined;
      for (const row of rows) {
        const bar = klineRowToBar(row, symbol, interval, now, this.decoding);
        if (typeof bar === 'string') {
          this.env.onError(realtimeError('INVALID_MESSAGE', `klines row for ${symbol}: ${bar}`, { symbol }));
          continue;
        }
        last = bar.openTime;
        if (bar.openTime >= start && bar.openTime < to) bars.push({ ...bar, backfilled: true });
      }
      if (rows.length < limit) start = end + 1; // this window is exhausted: the next one, if the span cut it short
      else if (last !== undefined && last >= start) start = last + Math.min(intervalMs(interval), 1);
      else break;
    }
    return bars;
  }

  private noteWeight(used: number): void {
    this.usedWeight = used;
    this.weightMinute = Math.floor(this.env.now() / 60_000);
  }

  /** Waits for the next weight window when this request would cross 90% of the per-minute limit. */
  private async respectWeight(weight: number): Promise<void> {
    const minute = Math.floor(this.env.now() / 60_000);
    if (minute !== this.weightMinute) return;
    if (this.usedWeight + weight > this.limits.weightPerMinute * 0.9) {
      await this.env.sleep((minute + 1) * 60_000 - this.env.now() + 50);
      this.usedWeight = 0;
    }
  }
}
