/**
 * Massive (formerly Polygon.io) endpoints: the real-time and the 15-minute delayed WebSocket clusters (one path
 * per market) and the REST API, each overridable so that simulators and tests run on loopback. Polygon.io became
 * Massive on 2025-10-30; the official clients default to the `massive.com` hosts and the `polygon.io` hosts are
 * still served, so both brands' API hosts are known here (a `next_url` on either is followed, see backfill.ts).
 * Sources: https://massive.com/docs/websocket/quickstart; the `servers` of the AsyncAPI / OpenAPI specs in
 * massive-com/client-python (`.massive/websocket.json`, `.massive/rest.json`).
 */
import type { PolygonRealtimeConfig } from './config.ts';

/** Production hosts (Massive): real-time and 15-minute delayed WebSocket clusters, and REST. */
export const POLYGON_URLS = {
  realtime: 'wss://socket.massive.com',
  delayed: 'wss://delayed.massive.com',
  rest: 'https://api.massive.com',
} as const;

/** The pre-rebrand hosts, still served: set them as `ws_url` / `rest_url` to keep using them. */
export const POLYGON_LEGACY_URLS = {
  realtime: 'wss://socket.polygon.io',
  delayed: 'wss://delayed.polygon.io',
  rest: 'https://api.polygon.io',
} as const;

/** Origins of the REST API under either brand (the same service). */
export const POLYGON_REST_ORIGINS: readonly string[] = [POLYGON_URLS.rest, POLYGON_LEGACY_URLS.rest];

/** The WebSocket URL (base plus `/<market>`) and REST base for a config. */
export const polygonEndpoints = (config: Pick<PolygonRealtimeConfig, 'feed' | 'delayed' | 'ws_url' | 'rest_url'>): { ws: string; rest: string } => {
  const base = (config.ws_url ?? (config.delayed ? POLYGON_URLS.delayed : POLYGON_URLS.realtime)).replace(/\/+$/, '');
  return { ws: `${base}/${config.feed}`, rest: (config.rest_url ?? POLYGON_URLS.rest).replace(/\/+$/, '') };
};
