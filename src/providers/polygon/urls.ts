/**
 * Polygon endpoints: the real-time and the 15-minute delayed WebSocket clusters (one path per market) and the
 * REST API, each overridable so that simulators and tests run on loopback.
 * Source: https://polygon.io/docs/websocket/quickstart
 */
import type { PolygonRealtimeConfig } from './config.ts';

/** Production hosts: real-time and 15-minute delayed WebSocket clusters, and REST. */
export const POLYGON_URLS = {
  realtime: 'wss://socket.polygon.io',
  delayed: 'wss://delayed.polygon.io',
  rest: 'https://api.polygon.io',
} as const;

/** The WebSocket URL (base plus `/<market>`) and REST base for a config. */
export const polygonEndpoints = (config: Pick<PolygonRealtimeConfig, 'feed' | 'delayed' | 'ws_url' | 'rest_url'>): { ws: string; rest: string } => {
  const base = (config.ws_url ?? (config.delayed ? POLYGON_URLS.delayed : POLYGON_URLS.realtime)).replace(/\/+$/, '');
  return { ws: `${base}/${config.feed}`, rest: (config.rest_url ?? POLYGON_URLS.rest).replace(/\/+$/, '') };
};
