/**
 * Binance endpoints per feed (Spot, USDⓈ-M futures, COIN-M futures): production and testnet, each overridable so
 * that simulators and tests run on loopback. USDⓈ-M klines live on the `/market` route since the 2026 split of
 * `fstream.binance.com` into `/public`, `/market` and `/private` (legacy unrouted URLs were retired 2026-04-23 and
 * no longer push klines).
 * Sources: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice,
 * https://developers.binance.com/docs/derivatives/coin-margined-futures/websocket-market-streams
 */
import type { BinanceRealtimeConfig } from './config.ts';

/** The Binance markets this provider streams klines from. */
export const BINANCE_FEEDS = ['spot', 'usdm', 'coinm'] as const;

/** One Binance market: `spot`, `usdm` (USDⓈ-margined futures) or `coinm` (coin-margined futures). */
export type BinanceFeed = (typeof BINANCE_FEEDS)[number];

/** WebSocket bases (the `/ws` or `/stream` path is appended) and REST bases, per feed and environment. */
export const BINANCE_URLS = {
  spot: {
    production: { ws: 'wss://stream.binance.com:9443', rest: 'https://api.binance.com' },
    testnet: { ws: 'wss://stream.testnet.binance.vision', rest: 'https://testnet.binance.vision' },
  },
  usdm: {
    production: { ws: 'wss://fstream.binance.com/market', rest: 'https://fapi.binance.com' },
    testnet: { ws: 'wss://fstream.binancefuture.com', rest: 'https://testnet.binancefuture.com' },
  },
  coinm: {
    production: { ws: 'wss://dstream.binance.com', rest: 'https://dapi.binance.com' },
    testnet: { ws: 'wss://dstream.binancefuture.com', rest: 'https://testnet.binancefuture.com' },
  },
} as const satisfies Record<BinanceFeed, Record<'production' | 'testnet', { ws: string; rest: string }>>;

/** REST paths of the public market endpoints, per feed. */
export const BINANCE_REST_PATHS = {
  spot: { klines: '/api/v3/klines', exchangeInfo: '/api/v3/exchangeInfo' },
  usdm: { klines: '/fapi/v1/klines', exchangeInfo: '/fapi/v1/exchangeInfo' },
  coinm: { klines: '/dapi/v1/klines', exchangeInfo: '/dapi/v1/exchangeInfo' },
} as const satisfies Record<BinanceFeed, { klines: string; exchangeInfo: string }>;

/** The WebSocket base (without `/ws`) and REST base for a config. */
export const binanceEndpoints = (
  config: Pick<BinanceRealtimeConfig, 'feed' | 'use_testnet' | 'ws_url' | 'rest_url'>,
): { ws: string; rest: string } => {
  const urls = BINANCE_URLS[config.feed];
  const base = config.use_testnet ? urls.testnet : urls.production;
  return { ws: (config.ws_url ?? base.ws).replace(/\/+$/, ''), rest: (config.rest_url ?? base.rest).replace(/\/+$/, '') };
};
