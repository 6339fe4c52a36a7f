/**
 * Binance endpoints. Production and testnet, each overridable so that simulators and tests run on loopback.
 * Source: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams
 */
import type { BinanceRealtimeConfig } from './config.ts';

export const BINANCE_URLS = {
  production: { ws: 'wss://stream.binance.com:9443', rest: 'https://api.binance.com' },
  testnet: { ws: 'wss://stream.testnet.binance.vision', rest: 'https://testnet.binance.vision' },
} as const;

/** The WebSocket base (without path) and REST base for a config. */
export const binanceEndpoints = (config: Pick<BinanceRealtimeConfig, 'use_testnet' | 'ws_url' | 'rest_url'>): { ws: string; rest: string } => {
  const base = config.use_testnet ? BINANCE_URLS.testnet : BINANCE_URLS.production;
  return { ws: (config.ws_url ?? base.ws).replace(/\/+$/, ''), rest: (config.rest_url ?? base.rest).replace(/\/+$/, '') };
};
