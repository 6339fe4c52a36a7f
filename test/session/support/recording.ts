/**
 * Helpers for the durability tests: session config files for `record` against the simulators, reading a
 * recorded DuckDB file back (read-only), and comparing its rows with the simulators' deterministic ground truth.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { BinanceSimulator } from '../../../src/sim/binance/index.ts';
import type { PolygonSimulator } from '../../../src/sim/polygon/index.ts';

/** Storage settings of every durability test: frequent small flushes, so that a kill lands mid-flush often. */
export interface StorageSettings {
  readonly [key: string]: string | number | boolean;
}

const yamlStorage = (file: string, storage: StorageSettings): string[] => [
  '  storage_config:', `    output_path: ${file}`, ...Object.entries({ flush_interval_ms: 100, buffer_size: 50, ...storage }).map(([k, v]) => `    ${k}: ${v}`),
];

/** Writes a `record` config for the Binance simulator; URLs come from the environment ({@link simEnv}). */
export const binanceConfig = (dir: string, file: string, symbols: readonly string[], storage: StorageSettings = {}): string => {
  const path = join(dir, `binance-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, [
    'session:', '  realtime_provider: binance-realtime', '  realtime_provider_config:', '    ws_url: ${SIM_WS_URL}', '    rest_url: ${SIM_REST_URL}',
    ...yamlStorage(file, storage), `  symbols: [${symbols.join(', ')}]`, '  interval: 1s',
  ].join('\n'));
  return path;
};

/** Writes a `record` config for the Polygon simulator's stocks cluster (second aggregates). */
export const polygonConfig = (dir: string, file: string, symbols: readonly string[], storage: StorageSettings = {}, interval = '1s'): string => {
  const path = join(dir, `polygon-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, [
    'session:', '  realtime_provider: polygon-realtime', '  realtime_provider_config:', '    api_key: ${POLYGON_API_KEY}', '    feed: stocks',
    '    ws_url: ${SIM_WS_URL}', '    rest_url: ${SIM_REST_URL}',
    ...yamlStorage(file, storage), `  symbols: [${symbols.join(', ')}]`, `  interval: ${interval}`,
  ].join('\n'));
  return path;
};

/** The environment a config from this module needs. */
export const simEnv = (sim: { wsUrl: string; restUrl: string }, apiKey?: string): Record<string, string> => ({
  SIM_WS_URL: sim.wsUrl, SIM_REST_URL: sim.restUrl, ...(apiKey ? { POLYGON_API_KEY: apiKey } : {}),
});

/** Runs one read-only query on a closed DuckDB file. */
export const query = async (file: string, sql: string): Promise<Record<string, unknown>[]> => {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

/** A stored bar as plain numbers. */
export interface StoredRow {
  readonly symbol: string;
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly n: number | null;
}

/** Every stored bar of `symbol`, oldest first, and the number of distinct keys among them. */
export const storedRows = async (file: string, symbol: string): Promise<{ rows: StoredRow[]; distinctIds: number }> => {
  const rows = await query(file, `SELECT symbol, epoch_ms("timestamp")::DOUBLE AS t, open AS o, high AS h, low AS l, close AS c, volume AS v, trade_count AS n, id
    FROM realtime_market_data WHERE symbol = '${symbol}' ORDER BY "timestamp"`);
  return {
    rows: rows.map((r) => ({ symbol: String(r.symbol), t: Number(r.t), o: Number(r.o), h: Number(r.h), l: Number(r.l), c: Number(r.c), v: Number(r.v), n: r.n === null ? null : Number(r.n) })),
    distinctIds: new Set(rows.map((r) => String(r.id))).size,
  };
};

/** The Binance simulator's closed 1 s bars over [from, to], as stored rows. */
export const binanceTruth = (sim: BinanceSimulator, symbol: string, from: number, to: number): StoredRow[] =>
  sim.closedBars(symbol, '1s', from, to).map((k) => ({ symbol, t: k.t, o: Number(k.o), h: Number(k.h), l: Number(k.l), c: Number(k.c), v: Number(k.v), n: k.n }));

/** The Polygon simulator's closed bars over [from, to] (corrections made so far applied), as stored rows. */
export const polygonTruth = (sim: PolygonSimulator, symbol: string, interval: string, from: number, to: number): StoredRow[] =>
  sim.closedBars(symbol, interval, from, to).map((r) => ({ symbol, t: r.t, o: r.o, h: r.h, l: r.l, c: r.c, v: r.v ?? 0, n: r.n ?? null }));

/** Session events of one type prefix in a closed file. */
export const loggedEvents = async (file: string, prefix: string): Promise<{ type: string; payload: Record<string, unknown> }[]> =>
  (await query(file, `SELECT type, CAST(payload AS VARCHAR) AS payload FROM session_events WHERE type LIKE '${prefix}%' ORDER BY "at", seq`))
    .map((r) => ({ type: String(r.type), payload: JSON.parse(String(r.payload)) as Record<string, unknown> }));
