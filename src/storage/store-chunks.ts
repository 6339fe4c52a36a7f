/**
 * Row conversion for the bar store: bars written straight into DuckDB data chunks (the table's layout for the
 * Appender, and the TEMP staging table's), with no per-column arrays, and the value comparison that lets a flush
 * skip an exact re-delivery.
 */
import { DOUBLE, DuckDBDataChunk, DuckDBTimestampValue, INTEGER, TIMESTAMP, VARCHAR } from '@duckdb/node-api';
import type { DuckDBType, DuckDBVector } from '@duckdb/node-api';
import type { Bar } from '../domain/bar.ts';
import type { StoredValues } from './known-keys.ts';

const TABLE_TYPES = [VARCHAR, VARCHAR, VARCHAR, VARCHAR, TIMESTAMP, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, INTEGER, TIMESTAMP];
const STAGING_TYPES = [VARCHAR, VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, INTEGER, DOUBLE];
/** DuckDB's vector size: one data chunk holds at most this many rows. */
export const CHUNK_ROWS = 2048;

/** Unix ms to a TIMESTAMP value (micros), one BigInt conversion when the product is exact. */
const timestamp = (ms: number): DuckDBTimestampValue => {
  const rounded = Math.round(ms);
  const micros = rounded * 1000;
  return new DuckDBTimestampValue(Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(rounded) * 1000n);
};

/** True when two bars carry the same stored values (`received_at` excepted: a re-delivery changes nothing). */
export const sameValues = (a: StoredValues, b: StoredValues): boolean =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume &&
  a.vwap === b.vwap && a.tradeCount === b.tradeCount;

/** Fills every vector of a fresh data chunk of `n` rows from `fill`, then flushes the vectors into the chunk. */
const filledChunk = (types: readonly DuckDBType[], n: number, fill: (v: DuckDBVector[]) => void): DuckDBDataChunk => {
  const chunk = DuckDBDataChunk.create(types, n);
  const vectors: DuckDBVector[] = [];
  for (let c = 0; c < types.length; c++) vectors.push(chunk.getColumnVector(c));
  fill(vectors);
  for (const v of vectors) v.flush();
  return chunk;
};

/** Table rows `[from, from + n)` (with their keys as `id`), in the table's column order. */
export const tableChunk = (bars: readonly Bar[], keys: readonly string[], from: number, n: number): DuckDBDataChunk =>
  filledChunk(TABLE_TYPES, n, ([id, provider, symbol, interval, ts, open, high, low, close, volume, vwap, trades, received]) => {
    for (let i = 0; i < n; i++) {
      const b = bars[from + i]!;
      id!.setItem(i, keys[from + i]!);
      provider!.setItem(i, b.provider);
      symbol!.setItem(i, b.symbol);
      interval!.setItem(i, b.interval);
      ts!.setItem(i, timestamp(b.openTime));
      open!.setItem(i, b.open);
      high!.setItem(i, b.high);
      low!.setItem(i, b.low);
      close!.setItem(i, b.close);
      volume!.setItem(i, b.volume);
      vwap!.setItem(i, b.vwap);
      trades!.setItem(i, b.tradeCount);
      received!.setItem(i, timestamp(b.receivedAt));
    }
  });

/** Staging rows `[from, from + n)`: times as DOUBLE Unix ms, `id` is built in SQL. */
export const stagingChunk = (bars: readonly Bar[], from: number, n: number): DuckDBDataChunk =>
  filledChunk(STAGING_TYPES, n, ([provider, symbol, interval, openTime, open, high, low, close, volume, vwap, trades, received]) => {
    for (let i = 0; i < n; i++) {
      const b = bars[from + i]!;
      provider!.setItem(i, b.provider);
      symbol!.setItem(i, b.symbol);
      interval!.setItem(i, b.interval);
      openTime!.setItem(i, b.openTime);
      open!.setItem(i, b.open);
      high!.setItem(i, b.high);
      low!.setItem(i, b.low);
      close!.setItem(i, b.close);
      volume!.setItem(i, b.volume);
      vwap!.setItem(i, b.vwap);
      trades!.setItem(i, b.tradeCount);
      received!.setItem(i, b.receivedAt);
    }
  });
