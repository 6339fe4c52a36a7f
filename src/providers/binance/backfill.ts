/**
 * Binance REST for the market data provider: exchange info (symbol validation) and paged `/api/v3/klines` for gap
 * backfill. Weight-aware (it slows down before the 6000/min limit from `x-mbx-used-weight-1m`) and it honours
 * 429 / 418 `Retry-After` rather than hammering (repeat offenders get banned).
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits
 */
import type { Bar } from '../../domain/bar.ts';
import { intervalMs, type Interval } from '../../domain/interval.ts';
import { realtimeError, type RealtimeError } from '../../errors.ts';
import { BINANCE_CODES, BINANCE_LIMITS } from './messages.ts';
import { klineRowToBar } from './parse.ts';

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
  readonly status: string;
}

const WEIGHT_LIMIT_PER_MINUTE = 6000;
const KLINES_WEIGHT = 2;
const MAX_RETRIES = 6;

/** A small REST client for the public market endpoints. */
export class BinanceRestClient {
  private readonly base: string;
  private readonly env: RestEnvironment;
  private usedWeight = 0;
  private weightMinute = 0;
  /** Requests made (for stats and tests). */
  requests = 0;

  constructor(base: string, env: RestEnvironment) {
    this.base = base;
    this.env = env;
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
        if (attempt >= MAX_RETRIES) throw realtimeError('CONNECTION_FAILED', `GET ${path} failed: ${(e as Error).message}`, { path });
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
      throw realtimeError('SUBSCRIPTION_FAILED', `GET ${path}: HTTP ${res.status} ${String(msg ?? '')}`.trim(), { path, status: res.status, code });
    }
  }

  /** Trading status of the given symbols; symbols Binance does not know are absent. */
  async exchangeInfo(symbols: readonly string[]): Promise<Map<string, BinanceSymbolInfo>> {
    const out = new Map<string, BinanceSymbolInfo>();
    // Asking for a list that contains one unknown symbol fails the whole request, so ask for everything (weight 20).
    const body = (await this.get('/api/v3/exchangeInfo', {}, 20)) as { symbols?: { symbol: string; status: string }[] };
    const wanted = new Set(symbols);
    for (const s of body.symbols ?? []) if (wanted.size === 0 || wanted.has(s.symbol)) out.set(s.symbol, { symbol: s.symbol, status: s.status });
    return out;
  }

  /**
   * Every closed bar of `symbol`/`interval` whose open time lies in [from, to), in order, paged 1000 at a time.
   * `to` should be the open time of a bar already seen live, so that no bar still forming is returned.
   */
  async closedBars(symbol: string, interval: Interval, from: number, to: number): Promise<Bar[]> {
    const bars: Bar[] = [];
    let start = from;
    while (start < to) {
      const rows = (await this.get('/api/v3/klines', { symbol, interval, startTime: start, endTime: to - 1, limit: BINANCE_LIMITS.klinesPerRequest }, KLINES_WEIGHT)) as unknown[];
      if (!Array.isArray(rows) || rows.length === 0) break;
      const now = this.env.now();
      for (const row of rows) {
        const bar = klineRowToBar(row, symbol, interval, now);
        if (typeof bar === 'string') {
          this.env.onError(realtimeError('INVALID_MESSAGE', `klines row for ${symbol}: ${bar}`, { symbol }));
          continue;
        }
        if (bar.openTime >= start && bar.openTime < to) bars.push({ ...bar, backfilled: true });
      }
      const last = bars.at(-1)?.openTime;
      if (last === undefined || rows.length < BINANCE_LIMITS.klinesPerRequest) break;
      start = last + Math.min(intervalMs(interval), 1);
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
    if (this.usedWeight + weight > WEIGHT_LIMIT_PER_MINUTE * 0.9) {
      await this.env.sleep((minute + 1) * 60_000 - this.env.now() + 50);
      this.usedWeight = 0;
    }
  }
}
