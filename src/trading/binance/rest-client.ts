/**
 * The signed REST client of the Binance trading providers: HMAC-signed requests with `timestamp` corrected by
 * the server-time offset (`GET /api/v3/time`, measured on connect and again after a -1021), the outgoing limiter,
 * 429 / 418 `Retry-After` honoured, and answers sorted into three outcomes: a body, a venue refusal (code and
 * message), or an unknown outcome (no answer: the caller decides, e.g. by looking an order up). Credential
 * refusals (-1022, -2014, -2015, HTTP 401) throw AUTHENTICATION_FAILED at once, without a retry.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-api-information
 */
import { describe, realtimeError } from '../../errors.ts';
import { redact } from '../../secrets.ts';
import { RequestLimiter } from './limiter.ts';
import { BINANCE_TRADING_CODES as CODES } from './messages.ts';
import { encodeParams, signParams, type Params } from './signing.ts';

/** How to reach and authenticate with one Binance venue. */
export interface BinanceClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly secretKey: string;
  readonly recvWindowMs: number;
  readonly requestTimeoutMs: number;
  readonly requestsPerSecond: number;
  /** Local wall clock (ms); defaults to `Date.now`. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Facts worth logging: `venue.time_synced`, `venue.rate_limited`. */
  readonly onNotice?: (event: { readonly type: string; readonly [key: string]: unknown }) => void;
}

/** What became of a request: its body, a refusal by the venue, or no answer at all. */
export type BinanceResult<T> =
  | { readonly kind: 'ok'; readonly body: T }
  | { readonly kind: 'refused'; readonly status: number; readonly code: number; readonly msg: string }
  | { readonly kind: 'unknown'; readonly reason: string };

const MAX_RATE_LIMIT_RETRIES = 5;
/** Reads are repeated this many times after a network failure or a 5xx; writes never are. */
const MAX_READ_RETRIES = 2;
const AUTH_CODES: ReadonlyMap<number, string> = new Map([
  [CODES.invalidSignature, 'the signature is not valid: secret_key does not belong to api_key'],
  [CODES.invalidApiKeyFormat, 'the API key format is invalid: check api_key'],
  [CODES.invalidApiKey, 'the API key is invalid, lacks the permission, or is not allowed from this IP'],
]);

/** Signed and public REST requests to one Binance venue. */
export class BinanceTradingClient {
  readonly limiter: RequestLimiter;
  readonly #options: BinanceClientOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Server time minus local time (ms), from the last sync. */
  offsetMs = 0;
  /** Requests sent so far. */
  requests = 0;

  constructor(options: BinanceClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.limiter = new RequestLimiter({ requestsPerSecond: options.requestsPerSecond, now: this.#now, sleep: this.#sleep });
  }

  /** Measures the server-time offset with `GET /api/v3/time` (half the round trip is assumed on each side). */
  async syncTime(signal?: AbortSignal): Promise<void> {
    const sent = this.#now();
    const result = await this.public<{ serverTime: number }>('/api/v3/time', {}, 1, signal);
    const received = this.#now();
    if (result.kind !== 'ok' || typeof result.body?.serverTime !== 'number') {
      const why = result.kind === 'unknown' ? result.reason : result.kind === 'refused' ? `${result.msg} (${result.code})` : 'no serverTime';
      throw realtimeError('CONNECTION_FAILED', `could not read the Binance server time from ${this.#options.baseUrl}: ${why}`, { path: '/api/v3/time' });
    }
    this.offsetMs = Math.round(result.body.serverTime - (sent + received) / 2);
    this.#options.onNotice?.({ type: 'venue.time_synced', offsetMs: this.offsetMs, roundTripMs: received - sent });
  }

  /** An unsigned GET (market data, exchangeInfo, server time). */
  public<T>(path: string, params: Params, weight: number, signal?: AbortSignal): Promise<BinanceResult<T>> {
    return this.#send<T>('GET', path, params, weight, false, false, signal);
  }

  /** A signed request (USER_DATA or TRADE); `isOrder` for placements, which count against the ORDERS limits. */
  signed<T>(method: 'GET' | 'POST' | 'DELETE', path: string, params: Params, weight: number, options: { isOrder?: boolean; signal?: AbortSignal } = {}): Promise<BinanceResult<T>> {
    return this.#send<T>(method, path, params, weight, true, options.isOrder ?? false, options.signal);
  }

  async #send<T>(method: string, path: string, params: Params, weight: number, signed: boolean, isOrder: boolean, signal?: AbortSignal): Promise<BinanceResult<T>> {
    let rateLimited = 0;
    let readRetries = 0;
    let resynced = false;
    for (;;) {
      signal?.throwIfAborted();
      await this.limiter.acquire(weight, isOrder);
      const encoded = signed
        ? signParams(this.#options.secretKey, params, this.#now() + this.offsetMs, this.#options.recvWindowMs)
        : encodeParams(params);
      const inBody = method === 'POST';
      const url = `${this.#options.baseUrl}${path}${!inBody && encoded ? `?${encoded}` : ''}`;
      const headers: Record<string, string> = signed ? { 'X-MBX-APIKEY': this.#options.apiKey } : {};
      if (inBody) headers['content-type'] = 'application/x-www-form-urlencoded';
      const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
      let response: Response;
      try {
        this.requests++;
        response = await fetch(url, {
          method, headers, ...(inBody ? { body: encoded } : {}), signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (e) {
        signal?.throwIfAborted();
        const reason = timeout.aborted ? `no answer within ${this.#options.requestTimeoutMs} ms` : redact(describe(e));
        if (method === 'GET' && readRetries++ < MAX_READ_RETRIES) {
          await this.#sleep(200 * 2 ** readRetries);
          continue;
        }
        return { kind: 'unknown', reason: `${method} ${path}: ${reason}` };
      }
      const used = Number(response.headers.get('x-mbx-used-weight-1m'));
      if (response.headers.has('x-mbx-used-weight-1m')) this.limiter.noteUsedWeight(used);

      if (response.status === 429 || response.status === 418) {
        await response.body?.cancel();
        // A 429 means the request was refused, so repeating it (an order too) cannot duplicate anything.
        const retryAfterS = Number(response.headers.get('retry-after')) || 2 ** rateLimited;
        this.limiter.blockUntil(this.#now() + retryAfterS * 1_000);
        this.#options.onNotice?.({ type: 'venue.rate_limited', path, status: response.status, retryAfterS });
        if (rateLimited++ >= MAX_RATE_LIMIT_RETRIES) {
          throw realtimeError('RATE_LIMITED', `${method} ${path}: Binance still answers HTTP ${response.status} after ${rateLimited} waits`, { path, status: response.status, retryAfterS });
        }
        continue;
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (response.ok) return { kind: 'ok', body: body as T };

      const code = typeof (body as { code?: unknown })?.code === 'number' ? (body as { code: number }).code : 0;
      const msg = redact(String((body as { msg?: unknown })?.msg ?? `HTTP ${response.status}`));
      if (code === CODES.timestampOutsideRecvWindow && !resynced) {
        // The local clock drifted from the server's: measure again and resend (the request was refused).
        resynced = true;
        await this.syncTime(signal);
        continue;
      }
      if (code === CODES.timestampOutsideRecvWindow) {
        throw realtimeError('CLOCK_SKEW', `Binance refused the request time even after re-reading the server time (${msg} -1021): the clock or the network delay exceeds recv_window_ms (${this.#options.recvWindowMs} ms)`, { path, code });
      }
      const auth = AUTH_CODES.get(code);
      if (auth !== undefined || response.status === 401) {
        throw realtimeError('AUTHENTICATION_FAILED', `Binance refused the credentials: ${auth ?? msg} (${code || response.status})`, { path, code, status: response.status });
      }
      if (response.status >= 500) {
        if (method === 'GET' && readRetries++ < MAX_READ_RETRIES) {
          await this.#sleep(200 * 2 ** readRetries);
          continue;
        }
        // Binance: a 5xx means the execution status is unknown; it may have been carried out.
        if (method !== 'GET') return { kind: 'unknown', reason: `${method} ${path}: HTTP ${response.status} ${msg}` };
      }
      return { kind: 'refused', status: response.status, code, msg };
    }
  }
}
