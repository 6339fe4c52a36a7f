/**
 * The REST side of the simulator: `klines` (backfill), `exchangeInfo`, `time` and `ping` under the feed's prefix
 * (`/api/v3`, USDⓈ-M `/fapi/v1`, COIN-M `/dapi/v1`), with request weights, the `x-mbx-used-weight-1m` header, and
 * 429 → 418 rate limiting. The Spot trading endpoints (`trading.ts`) are mounted here, under the same limits.
 * Sources: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Kline-Candlestick-Data,
 * https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/rest-api/Kline-Candlestick-Data
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bucketStart, isInterval, nextBucketStart } from '../../domain/interval.ts';
import type { BinanceKlineRow, BinanceRestError } from '../../providers/binance/messages.ts';
import { BINANCE_CODES, BINANCE_FEED_LIMITS, binanceKlinesWeight } from '../../providers/binance/messages.ts';
import { BINANCE_REST_PATHS, type BinanceFeed } from '../../providers/binance/urls.ts';
import type { Instrument } from './instruments.ts';
import { firstBucket, formatUnits, klineAsOf, klineRow } from './klines.ts';
import { SYMBOL_LIMITS } from './matching.ts';
import type { MarketData } from './prices.ts';
import type { SimulatorStats } from './stats.ts';
import type { RestReply, TradingEndpoints } from './trading.ts';

/** One REST request as the simulator saw it. */
export interface RestRequestRecord {
  readonly method: string;
  readonly path: string;
  /** Query parameters, and the form parameters of a body. */
  readonly query: Readonly<Record<string, string>>;
  /** HTTP status; 0 when the answer was dropped on purpose. */
  readonly status: number;
  /** Wall time (ms). */
  readonly at: number;
}

/** What the REST API needs from the simulator. */
export interface RestContext {
  readonly feed: BinanceFeed;
  readonly market: MarketData;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly now: () => number;
  /** Wall time (ms) of the weight minute, Retry-After windows and the request log. */
  readonly wallNow: () => number;
  readonly stats: SimulatorStats;
  readonly weightPerMinute: number;
  /** Server time of `/api/v3/time` and exchangeInfo. */
  readonly serverTime: () => number;
  /** The signed trading endpoints, when mounted. */
  readonly trading?: TradingEndpoints;
}

/** The REST API: a request handler plus its fault switch and log. */
export interface RestApi {
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** The next `count` requests get HTTP 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  /** Requests so far, oldest first (the last 10,000). */
  readonly log: readonly RestRequestRecord[];
}

type Reply = RestReply;

const LOG_SIZE = 10_000;

const fail = (code: number, msg: string, status = 400): Reply => ({
  status,
  body: { code, msg } satisfies BinanceRestError,
});
const mandatory = (name: string): Reply =>
  fail(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

/** Parses an optional unsigned integer parameter; a string is an error reply. */
const integerParam = (query: URLSearchParams, name: string): number | undefined | Reply => {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^[0-9]{1,20}$/.test(raw)) {
    return fail(-1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
  }
  return Number(raw);
};
const isReply = (x: number | undefined | Reply): x is Reply => typeof x === 'object';

/** Creates the REST API over the market data. */
export const createRestApi = (context: RestContext): RestApi => {
  const { market, instruments, now, stats, feed } = context;
  const limits = BINANCE_FEED_LIMITS[feed];
  const paths = BINANCE_REST_PATHS[feed];
  const prefix = paths.klines.slice(0, -'/klines'.length);
  const weightOf = (path: string, query: URLSearchParams): number => {
    if (path === paths.klines) return binanceKlinesWeight(feed, Number(query.get('limit') ?? 500) || 500);
    if (path === paths.exchangeInfo) return limits.exchangeInfoWeight;
    return 1;
  };
  const log: RestRequestRecord[] = [];
  let forced = { count: 0, retryAfterSeconds: 0 };
  let retryUntil = 0;
  let weightMinute = -1;
  let usedWeight = 0;

  const klines = (query: URLSearchParams): Reply => {
    const symbol = query.get('symbol');
    if (!symbol) return mandatory('symbol');
    const instrument = instruments.get(symbol.toUpperCase());
    if (!instrument) return fail(BINANCE_CODES.invalidSymbol, 'Invalid symbol.');
    const interval = query.get('interval');
    if (!interval) return mandatory('interval');
    if (!isInterval(interval) || (feed !== 'spot' && interval === '1s')) return fail(BINANCE_CODES.invalidInterval, 'Invalid interval.');
    const ints: Record<string, number | undefined> = {};
    for (const name of ['startTime', 'endTime', 'limit']) {
      const value = integerParam(query, name);
      if (isReply(value)) return value;
      ints[name] = value;
    }
    const { startTime: start, endTime: end } = ints;
    const limit = Math.min(limits.klinesMaxPerRequest, Math.max(1, ints['limit'] ?? 500));
    if (start !== undefined && end !== undefined && start > end) return fail(-1023, 'Start time is greater than end time.');
    const span = limits.klinesMaxSpanMs;
    if (start !== undefined && end !== undefined && end - start > span) {
      return fail(-1127, `More than ${span / 3_600_000} hours between startTime and endTime.`);
    }

    // Rows are the buckets whose open time lies in [startTime, endTime], the one in progress included. COIN-M
    // fills a missing bound 200 days from the other.
    const present = now();
    const last = Math.min(end ?? (start !== undefined ? start + span : present), present);
    const first = Math.max(firstBucket(market, interval), start === undefined && Number.isFinite(span) ? last - span : -Infinity);
    const opens: number[] = [];
    if (start !== undefined) {
      let t = bucketStart(interval, start);
      if (t < start) t = nextBucketStart(interval, t);
      for (t = Math.max(t, first); t <= last && opens.length < limit; t = nextBucketStart(interval, t)) opens.push(t);
    } else {
      for (let t = bucketStart(interval, last); t >= first && opens.length < limit; t = bucketStart(interval, t - 1)) {
        opens.push(t);
      }
      opens.reverse();
    }
    const rows: BinanceKlineRow[] = opens.map((t) => klineRow(klineAsOf(market, instrument, interval, t, present)));
    return { status: 200, body: rows };
  };

  const futuresInfo = (i: Instrument) => {
    const tick = formatUnits(1, i.priceDecimals);
    const lot = formatUnits(1, i.qtyDecimals);
    const suffix = i.symbol.split('_')[1];
    // A delivery contract `_YYMMDD` settles at 08:00 UTC that day; a perpetual carries Binance's far-future date.
    const deliveryDate = suffix && /^\d{6}$/.test(suffix)
      ? Date.UTC(2000 + Number(suffix.slice(0, 2)), Number(suffix.slice(2, 4)) - 1, Number(suffix.slice(4)), 8)
      : 4133404800000;
    const common = {
      symbol: i.symbol, pair: i.symbol.split('_')[0], contractType: i.contractType ?? 'PERPETUAL', deliveryDate,
      onboardDate: market.listedAtSec * 1000, baseAsset: i.baseAsset, quoteAsset: i.quoteAsset,
      pricePrecision: i.priceDecimals, quantityPrecision: i.qtyDecimals, baseAssetPrecision: 8, quotePrecision: 8,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: SYMBOL_LIMITS.maxPrice.toFixed(8), tickSize: tick },
        { filterType: 'LOT_SIZE', minQty: lot, maxQty: SYMBOL_LIMITS.maxQty.toFixed(8), stepSize: lot },
      ],
      orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
      timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
    };
    return feed === 'coinm'
      ? { ...common, contractStatus: 'TRADING', contractSize: i.contractSize, marginAsset: i.baseAsset }
      : { ...common, status: 'TRADING', marginAsset: i.quoteAsset, underlyingType: 'COIN' };
  };

  const symbolInfo = (i: Instrument) => {
    if (feed !== 'spot') return futuresInfo(i);
    const tick = formatUnits(1, i.priceDecimals);
    const lot = formatUnits(1, i.qtyDecimals);
    return {
      symbol: i.symbol, status: 'TRADING', baseAsset: i.baseAsset, baseAssetPrecision: 8, quoteAsset: i.quoteAsset,
      quotePrecision: 8, quoteAssetPrecision: 8,
      orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
      icebergAllowed: true, ocoAllowed: true, isSpotTradingAllowed: true, isMarginTradingAllowed: false,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: SYMBOL_LIMITS.maxPrice.toFixed(8), tickSize: tick },
        { filterType: 'LOT_SIZE', minQty: lot, maxQty: SYMBOL_LIMITS.maxQty.toFixed(8), stepSize: lot },
        {
          filterType: 'NOTIONAL', minNotional: SYMBOL_LIMITS.minNotional.toFixed(8), applyMinToMarket: true,
          maxNotional: SYMBOL_LIMITS.maxNotional.toFixed(8), applyMaxToMarket: false, avgPriceMins: 5,
        },
      ],
      permissions: [], permissionSets: [['SPOT']],
    };
  };

  const exchangeInfo = (query: URLSearchParams): Reply => {
    let wanted: unknown[] = [...instruments.keys()];
    const one = query.get('symbol');
    const many = query.get('symbols');
    if (one) wanted = [one];
    else if (many) {
      try {
        wanted = JSON.parse(many) as unknown[];
      } catch {
        return fail(-1100, "Illegal characters found in parameter 'symbols'.");
      }
      if (!Array.isArray(wanted)) return fail(-1100, "Illegal characters found in parameter 'symbols'.");
    }
    const found = wanted.map((s) => (typeof s === 'string' ? instruments.get(s.toUpperCase()) : undefined));
    if (found.some((i) => i === undefined)) return fail(BINANCE_CODES.invalidSymbol, 'Invalid symbol.');
    return {
      status: 200,
      body: {
        timezone: 'UTC',
        serverTime: context.serverTime(),
        rateLimits: feed === 'spot'
          ? [
            { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: context.weightPerMinute },
            { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
            { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61_000 },
          ]
          : [
            { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: context.weightPerMinute },
            { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1_200 },
          ],
        exchangeFilters: [],
        symbols: (found as Instrument[]).map(symbolInfo),
      },
    };
  };

  const route = (path: string, query: URLSearchParams): Reply => {
    switch (path) {
      case paths.klines: return klines(query);
      case paths.exchangeInfo: return exchangeInfo(query);
      case `${prefix}/time`: return { status: 200, body: { serverTime: context.serverTime() } };
      case `${prefix}/ping`: return { status: 200, body: {} };
      default: return fail(-1000, 'Not found.', 404);
    }
  };

  /** The rate-limit answer for a request at wall time `wall`, or undefined when it may proceed. */
  const limited = (wall: number, weight: number): Reply | undefined => {
    const retryAfter = (until: number): Record<string, string> => ({
      'retry-after': String(Math.max(1, Math.ceil((until - wall) / 1000))),
    });
    if (wall < retryUntil) {
      // Binance escalates to an IP ban (418) when a client keeps calling during a Retry-After window.
      stats.restBanned++;
      const msg = `Way too many requests; IP banned until ${retryUntil}. Please use the websocket for live updates to avoid bans.`;
      return { ...fail(-1003, msg, 418), headers: retryAfter(retryUntil) };
    }
    const minute = Math.floor(wall / 60_000);
    if (minute !== weightMinute) [weightMinute, usedWeight] = [minute, 0];
    let until: number | undefined;
    if (forced.count > 0) {
      forced = { ...forced, count: forced.count - 1 };
      until = wall + forced.retryAfterSeconds * 1000;
    } else if (usedWeight + weight > context.weightPerMinute) {
      until = (minute + 1) * 60_000;
    }
    if (until === undefined) {
      usedWeight += weight;
      return undefined;
    }
    retryUntil = until;
    stats.restRateLimited++;
    return { ...fail(-1003, 'Too many requests', 429), headers: retryAfter(until) };
  };

  return {
    handle(request, response) {
      stats.restRequests++;
      const url = new URL(request.url ?? '/', 'http://sim');
      const wall = context.wallNow();
      const method = request.method ?? 'GET';
      const tradingWeight = context.trading?.weight(method, url.pathname, url.searchParams);
      const answer = (body: string): void => {
        const header = request.headers['x-mbx-apikey'];
        const reply: Reply | 'drop' = method !== 'GET' && tradingWeight === undefined
          ? fail(-1000, 'Method not allowed.', 405)
          : (limited(wall, tradingWeight ?? weightOf(url.pathname, url.searchParams)) ?? (tradingWeight === undefined
            ? route(url.pathname, url.searchParams)
            : context.trading!.handle({
              method, path: url.pathname, query: url.search.slice(1), body, apiKey: typeof header === 'string' ? header : undefined,
            })));
        // Form parameters of a POST or DELETE are logged with the query ones.
        const query = { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(new URLSearchParams(body)) };
        log.push({ method, path: url.pathname, query, status: reply === 'drop' ? 0 : reply.status, at: wall });
        if (log.length > LOG_SIZE) log.shift();
        // The fault switch of `trading.ts`: the connection closes without an answer.
        if (reply === 'drop') request.socket.destroy();
        else send(reply);
      };
      const send = (reply: Reply): void => {
        const body = JSON.stringify(reply.body);
        response.writeHead(reply.status, {
          'content-type': 'application/json;charset=UTF-8',
          'content-length': Buffer.byteLength(body),
          'x-mbx-used-weight': String(usedWeight),
          'x-mbx-used-weight-1m': String(usedWeight),
          ...reply.headers,
        });
        response.end(body);
      };
      if (method === 'GET') {
        answer('');
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => answer(Buffer.concat(chunks).toString('utf8')));
    },
    rateLimitNext(count, retryAfterSeconds) {
      forced = { count, retryAfterSeconds };
    },
    log,
  };
};
