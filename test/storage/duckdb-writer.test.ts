/**
 * DuckDBRealtimeWriter against real DuckDB files in a temp folder: schema and indexes, upserts, statistics,
 * validation, shape checks, failure and retry, the buffer cap, durability settings and the Parquet export.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { isRealtimeError } from '../../src/errors.ts';
import { DuckDBRealtimeWriter, type DuckDBWriterOptions } from '../../src/storage/duckdb-writer.ts';
import type { WriterEmitted } from '../../machines/writer.machine.ts';

const T0 = Date.UTC(2025, 2, 3, 23, 58);
const bar = (minute: number, close = 100, symbol = 'BTCUSDT', extra: Partial<Bar> = {}): Bar => ({
  provider: 'binance', symbol, interval: '1m', openTime: T0 + minute * 60_000, closeTime: T0 + minute * 60_000 + 59_999,
  open: 100, high: Math.max(100, close) + 1, low: Math.min(100, close) - 1, close, volume: 10 + minute, vwap: 100.5,
  tradeCount: 7, final: true, receivedAt: T0 + (minute + 1) * 60_000 + 15, ...extra,
});

const dirs: string[] = [];
const writers: DuckDBRealtimeWriter[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-test-'));
  dirs.push(dir);
  return dir;
};
const open = async (config: Record<string, unknown> = {}, options: DuckDBWriterOptions = {}) => {
  const w = await DuckDBRealtimeWriter.open({ output_path: path.join(tempDir(), 'db', 'bars.duckdb'), flush_interval_ms: 0, ...config }, options);
  writers.push(w);
  return w;
};
const query = async (w: DuckDBRealtimeWriter, sql: string) => {
  const conn = await w.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    conn.closeSync();
  }
};
const rowsOf = (w: DuckDBRealtimeWriter) =>
  query(w, 'SELECT id, symbol, "timestamp"::VARCHAR AS ts, close, volume FROM realtime_market_data ORDER BY symbol, "timestamp"');
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isRealtimeError(e) ? e.code : String(e);
  }
};

/** The next fact of one kind the writer emits (that `accept` accepts), as a promise. */
const nextEvent = <T extends WriterEmitted['type']>(
  w: DuckDBRealtimeWriter, type: T, accept: (e: Extract<WriterEmitted, { type: T }>) => boolean = () => true,
) => new Promise<Extract<WriterEmitted, { type: T }>>((resolve) => {
  const off = w.on(type, (e) => { if (accept(e)) { off(); resolve(e); } });
});

afterEach(async () => {
  for (const w of writers.splice(0)) await w.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('DuckDBRealtimeWriter', () => {
  it('creates the directory, the table with its primary key, and both indexes', async () => {
    const w = await open();
    expect(fs.existsSync(w.config.output_path)).toBe(true);
    const columns = await query(w, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_name = 'realtime_market_data' ORDER BY ordinal_position`);
    expect(columns.map((c) => `${c.column_name} ${c.data_type}${c.is_nullable === 'NO' ? ' NOT NULL' : ''}`)).toEqual([
      'id VARCHAR NOT NULL', 'provider VARCHAR NOT NULL', 'symbol VARCHAR NOT NULL', 'interval VARCHAR NOT NULL',
      'timestamp TIMESTAMP NOT NULL', 'open DOUBLE NOT NULL', 'high DOUBLE NOT NULL', 'low DOUBLE NOT NULL',
      'close DOUBLE NOT NULL', 'volume DOUBLE NOT NULL', 'vwap DOUBLE', 'trade_count INTEGER', 'received_at TIMESTAMP NOT NULL',
    ]);
    const key = await query(w, `SELECT constraint_column_names AS cols FROM duckdb_constraints()
      WHERE table_name = 'realtime_market_data' AND constraint_type = 'PRIMARY KEY'`);
    expect(key).toEqual([{ cols: ['provider', 'symbol', 'interval', 'timestamp'] }]);
    const indexes = await query(w, `SELECT index_name, sql FROM duckdb_indexes() WHERE table_name = 'realtime_market_data' ORDER BY 1`);
    expect(indexes).toEqual([
      { index_name: 'idx_realtime_market_data_symbol', sql: expect.stringMatching(/ON realtime_market_data\(symbol\)/) },
      { index_name: 'idx_realtime_market_data_symbol_timestamp', sql: expect.stringMatching(/ON realtime_market_data\(symbol, "timestamp"\)/) },
    ]);
  });

  it('stores a bar with a deterministic id, UTC timestamps and every value', async () => {
    const w = await open();
    w.writeRealtime(bar(0, 101));
    await w.flush();
    const [row] = await query(w, `SELECT id, provider, symbol, "interval", "timestamp"::VARCHAR AS ts, open, high, low, close,
      volume, vwap, trade_count, received_at::VARCHAR AS received FROM realtime_market_data`);
    expect(row).toEqual({
      id: `binance|BTCUSDT|1m|${T0}`, provider: 'binance', symbol: 'BTCUSDT', interval: '1m', ts: '2025-03-03 23:58:00',
      open: 100, high: 102, low: 99, close: 101, volume: 10, vwap: 100.5, trade_count: 7, received: '2025-03-03 23:59:00.015',
    });
  });

  it('keeps one row per key with the latest values for duplicates and corrections, within and across flushes', async () => {
    const w = await open({ buffer_size: 4 });
    w.writeBatch([bar(0, 100), bar(1, 100), bar(0, 105), bar(0, 106)]);
    await w.flush();
    w.writeBatch([bar(1, 100), bar(1, 95), bar(2, 100), bar(2, 100, 'ETHUSDT')]);
    w.writeRealtime(bar(1, 100, 'BTCUSDT', { volume: 99 }));
    await w.flush();
    expect((await rowsOf(w)).map((r) => [r.symbol, r.ts, r.close, r.volume])).toEqual([
      ['BTCUSDT', '2025-03-03 23:58:00', 106, 10],
      ['BTCUSDT', '2025-03-03 23:59:00', 100, 99],
      ['BTCUSDT', '2025-03-04 00:00:00', 100, 12],
      ['ETHUSDT', '2025-03-04 00:00:00', 100, 12],
    ]);
    expect(w.getStats()).toMatchObject({ totalWrites: 9, bufferedWrites: 0 });
  });

  it('skips a re-delivery with identical values and upserts only what changed', async () => {
    const w = await open();
    w.writeBatch([bar(0), bar(1)]);
    await w.flush();
    w.writeBatch([{ ...bar(0), receivedAt: bar(0).receivedAt + 5 }, bar(1, 90), bar(2)]);
    await w.flush();
    expect(w.lastFlush).toMatchObject({ rows: 3, distinct: 3, skipped: 1, appended: 1, upserted: 1, fallback: false });
    expect((await rowsOf(w)).map((r) => r.close)).toEqual([100, 90, 100]);
  });

  it('upserts correctly after a restart, when the stored keys are unknown to the new process', async () => {
    const first = await open();
    const file = first.config.output_path;
    first.writeBatch([bar(0), bar(1), bar(2)]);
    await first.close();
    const second = await DuckDBRealtimeWriter.open({ output_path: file, flush_interval_ms: 0 });
    writers.push(second);
    second.writeBatch([bar(1, 80), bar(3)]);
    await second.flush();
    expect(second.lastFlush).toMatchObject({ fallback: true, upserted: 2 });
    expect((await rowsOf(second)).map((r) => r.close)).toEqual([100, 80, 100, 100]);
  });

  it('upserts correctly when a key has aged out of the remembered keys', async () => {
    const w = await open({ buffer_size: 10 }, { knownKeyCapacity: 4 });
    for (let m = 0; m < 30; m++) w.writeRealtime(bar(m));
    await w.flush();
    w.writeBatch([bar(0, 77), bar(30)]);
    await w.flush();
    expect(w.lastFlush?.fallback).toBe(true);
    const rows = await rowsOf(w);
    expect(rows).toHaveLength(31);
    expect(rows[0]).toMatchObject({ close: 77 });
  });

  it('writes batches larger than one DuckDB data chunk (2,048 rows) with the right id on every row', async () => {
    const w = await open({ buffer_size: 5_000 });
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
    w.writeBatch(Array.from({ length: 4_500 }, (_, i) => bar(Math.floor(i / 3), 100, symbols[i % 3])));
    await w.flush();
    // A second batch of the same size: half new keys, half corrections, upserted through chunked staging.
    w.writeBatch(Array.from({ length: 4_500 }, (_, i) => bar(750 + Math.floor(i / 3), 101, symbols[i % 3])));
    await w.flush();
    const [check] = await query(w, `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE close = 101)::INTEGER AS corrected,
      count(*) FILTER (WHERE id <> provider || '|' || symbol || '|' || "interval" || '|' || epoch_ms("timestamp"))::INTEGER AS bad_ids
      FROM realtime_market_data`);
    expect(check).toEqual({ n: 6_750, corrected: 4_500, bad_ids: 0 });
    expect(w.lastFlush).toMatchObject({ appended: 2_250, upserted: 2_250 });
  });

  it('rejects invalid bars with INVALID_MESSAGE, counts them and never stores them', async () => {
    const w = await open();
    const errors: string[] = [];
    w.onError((e) => errors.push(e.code));
    const invalid: Bar[] = [
      bar(1, Number.NaN), { ...bar(2), volume: -5 }, { ...bar(3), high: 90, low: 95 }, { ...bar(4), interval: '2m' } as unknown as Bar,
    ];
    for (const b of invalid) expect(codeOf(() => w.writeRealtime(b))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => w.writeBatch([bar(5), ...invalid]))).toBe('INVALID_MESSAGE');
    await w.flush();
    expect(w.getStats()).toMatchObject({ totalWrites: 1, rejectedInvalid: 8 });
    expect(errors).toHaveLength(5);
    expect((await rowsOf(w)).map((r) => r.ts)).toEqual(['2025-03-04 00:03:00']);
  });

  it('reports the statistics of the seed', async () => {
    const w = await open({ buffer_size: 2 });
    expect(w.getStats()).toEqual({ totalWrites: 0, bufferedWrites: 0, flushCount: 0, lastFlushTime: 0, averageFlushTime: 0,
      errorCount: 0, rejectedInvalid: 0, overflowCount: 0 });
    const before = Date.now();
    w.writeBatch([bar(0), bar(1), bar(2)]);
    await w.flush();
    const stats = w.getStats();
    expect(stats).toMatchObject({ totalWrites: 3, bufferedWrites: 0, flushCount: 2, errorCount: 0 });
    expect(stats.lastFlushTime).toBeGreaterThanOrEqual(before);
    expect(stats.averageFlushTime).toBeGreaterThan(0);
  });

  it('refuses to open a table of another shape, names the columns, and leaves it untouched', async () => {
    const file = path.join(tempDir(), 'old.duckdb');
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE realtime_market_data (id VARCHAR PRIMARY KEY, symbol VARCHAR, "timestamp" TIMESTAMP,
      open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume BIGINT, note VARCHAR)`);
    conn.closeSync();
    instance.closeSync();
    const error = await DuckDBRealtimeWriter.open({ output_path: file }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    const e = error as { message: string; data: Record<string, unknown> };
    expect(e.data.missing).toEqual(['provider', 'interval', 'vwap', 'trade_count', 'received_at']);
    expect(e.data.unexpected).toEqual(['note']);
    expect(e.data.wrongType).toEqual(expect.arrayContaining([{ column: 'volume', expected: 'DOUBLE NOT NULL', actual: 'BIGINT' }]));
    expect(e.message).toMatch(/primary key is \(id\)/);
    // The file was closed and not migrated.
    const again = await DuckDBInstance.create(file);
    const c2 = await again.connect();
    const cols = (await c2.runAndReadAll(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'realtime_market_data'`)).getRows();
    expect(cols).toEqual([[9n]]);
    c2.closeSync();
    again.closeSync();
  });

  it('rejects an invalid config with CONFIG_INVALID before touching the disk', () => {
    expect(codeOf(() => new DuckDBRealtimeWriter({ table_name: 'x-y' }))).toBe('CONFIG_INVALID');
  });

  it('keeps the rows of failed flushes, retries them, and stores them exactly once', async () => {
    let failures = 2;
    const w = await open({ buffer_size: 3, retry_base_ms: 5, retry_max_ms: 20 }, {
      wrapFlush: async (input, next) => {
        if (failures-- > 0) throw new Error('database is locked');
        return next(input);
      },
    });
    const errors: string[] = [];
    w.onError((e) => errors.push(e.code));
    w.writeBatch([bar(0), bar(1)]);
    await expect(w.flush()).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    expect(w.getStats().bufferedWrites).toBe(2);
    const secondFailure = nextEvent(w, 'writer.flush.failed');
    w.writeRealtime(bar(1, 111));
    expect(await secondFailure).toMatchObject({ attempt: 2 });
    await w.flush();
    expect(w.getStats()).toMatchObject({ errorCount: 2, bufferedWrites: 0, totalWrites: 3 });
    expect(errors).toEqual(['WRITE_FAILED', 'WRITE_FAILED']);
    expect((await rowsOf(w)).map((r) => r.close)).toEqual([100, 111]);
  });

  it('retries a batch whose commit succeeded but whose acknowledgement was lost, without duplicating rows', async () => {
    let lose = true;
    const w = await open({ retry_base_ms: 5 }, {
      wrapFlush: async (input, next) => {
        const out = await next(input);
        if (lose) { lose = false; throw new Error('connection reset after commit'); }
        return out;
      },
    });
    w.writeBatch([bar(0), bar(1, 90)]);
    const retried = nextEvent(w, 'writer.flushed');
    await expect(w.flush()).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    // The backoff's retry stores the same rows again, which the store skips as re-deliveries.
    expect(await retried).toMatchObject({ reason: 'retry', durable: 2 });
    await w.flush();
    expect((await rowsOf(w)).map((r) => r.close)).toEqual([100, 90]);
  });

  it('applies back-pressure at max_buffered_rows and accepts again once a flush drains the buffer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const w = await open({ buffer_size: 2, max_buffered_rows: 4 }, { wrapFlush: async (input, next) => { await gate; return next(input); } });
    for (let m = 0; m < 4; m++) w.writeRealtime(bar(m));
    expect(codeOf(() => w.writeRealtime(bar(4)))).toBe('BUFFER_OVERFLOW');
    expect(w.getStats()).toMatchObject({ totalWrites: 4, bufferedWrites: 4, overflowCount: 1 });
    const writable = w.whenWritable();
    release();
    await writable;
    w.writeRealtime(bar(4));
    await w.flush();
    expect(await rowsOf(w)).toHaveLength(5);
  });

  it('flushes on the timer without a manual flush', async () => {
    const w = await open({ flush_interval_ms: 30 });
    w.writeRealtime(bar(0));
    await new Promise<void>((resolve) => { const off = w.on('writer.flushed', () => { off(); resolve(); }); });
    expect(w.lastFlush?.appended).toBe(1);
    expect(await rowsOf(w)).toHaveLength(1);
  });

  it('checkpoints after every flush when enable_wal is false, and leaves the flush in the WAL when true', async () => {
    const walSize = (w: DuckDBRealtimeWriter) => {
      const wal = `${w.config.output_path}.wal`;
      return fs.existsSync(wal) ? fs.statSync(wal).size : 0;
    };
    const withWal = await open({ enable_wal: true });
    withWal.writeBatch([bar(0), bar(1)]);
    await withWal.flush();
    expect(walSize(withWal)).toBeGreaterThan(0);
    const noWal = await open({ enable_wal: false });
    noWal.writeBatch([bar(0), bar(1)]);
    await noWal.flush();
    expect(walSize(noWal)).toBe(0);
  });

  it('checkpoints on close and reopens with every row', async () => {
    const w = await open();
    w.writeBatch([bar(0), bar(1), bar(2)]);
    await w.close();
    const wal = `${w.config.output_path}.wal`;
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
    expect(codeOf(() => w.writeRealtime(bar(3)))).toBe('CLOSED');
    const again = await DuckDBRealtimeWriter.open({ output_path: w.config.output_path });
    writers.push(again);
    expect(await rowsOf(again)).toHaveLength(3);
  });

  it('exports Hive-partitioned Parquet by date in the backtest layout', async () => {
    const w = await open();
    w.writeBatch([bar(0), bar(1), bar(2), bar(3, 100, 'ETHUSDT'), { ...bar(4), interval: '5m' }]);
    const dir = path.join(tempDir(), 'parquet');
    const result = await w.exportParquet(dir, { partitionBy: 'date', interval: '1m' });
    expect(result).toEqual({ dir, rows: 4 });
    expect(fs.readdirSync(dir).sort()).toEqual(['date=2025-03-03', 'date=2025-03-04']);
    const back = await query(w, `SELECT * FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) ORDER BY symbol, time`);
    expect(Object.keys(back[0]!)).toEqual(['id', 'time', 'symbol', 'open', 'high', 'low', 'close', 'volume', 'date']);
    expect(back.map((r) => [r.symbol, r.time, r.date])).toEqual([
      ['BTCUSDT', '2025-03-03 23:58:00', '2025-03-03'],
      ['BTCUSDT', '2025-03-03 23:59:00', '2025-03-03'],
      ['BTCUSDT', '2025-03-04 00:00:00', '2025-03-04'],
      ['ETHUSDT', '2025-03-04 00:01:00', '2025-03-04'],
    ]);
    expect(back[0]).toMatchObject({ id: `binance|BTCUSDT|1m|${T0}`, open: 100, close: 100, volume: 10 });
  });

  it('gives other components read access to the same instance', async () => {
    const w = await open();
    w.writeRealtime(bar(0));
    await w.flush();
    const conn = await w.instance.connect();
    expect((await conn.runAndReadAll('SELECT count(*) FROM realtime_market_data')).getRows()).toEqual([[1n]]);
    conn.closeSync();
  });

  it('makes a backlog durable as one transaction of several batches, none larger than buffer_size, latest values winning', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const inputs: { batches: number[]; rows: number }[] = [];
    const w = await open({ buffer_size: 2, max_buffered_rows: 20 }, {
      maxFlushRows: 8,
      wrapFlush: async (input, next) => {
        inputs.push({ batches: input.batches.map((b) => b.length), rows: input.rows.length });
        await gate;
        return next(input);
      },
    });
    w.writeBatch([bar(0, 100), bar(1, 100)]);
    // Behind the held flush: new keys, a correction of a key in that flush, and a key corrected twice within the backlog.
    w.writeBatch([bar(2, 100), bar(3, 100), bar(0, 90), bar(4, 100), bar(3, 80), bar(5, 100), bar(3, 70), bar(6, 100), bar(7, 100)]);
    const flushed = w.flush();
    release();
    await flushed;
    expect(inputs).toEqual([{ batches: [2], rows: 2 }, { batches: [2, 2, 2, 2], rows: 8 }, { batches: [1], rows: 1 }]);
    expect(w.getStats()).toMatchObject({ totalWrites: 11, bufferedWrites: 0, flushCount: 3 });
    expect((await rowsOf(w)).map((r) => r.close)).toEqual([90, 100, 100, 70, 100, 100, 100, 100]);
  });

  it('reports how a grouped flush split its rows', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const w = await open({ buffer_size: 3 }, { maxFlushRows: 9, wrapFlush: async (input, next) => { await gate; return next(input); } });
    w.writeBatch([bar(0), bar(1), bar(2)]);
    w.writeBatch([bar(3), bar(4), bar(0, 90), { ...bar(1), receivedAt: 1 }, bar(5), bar(3, 80)]);
    release();
    await w.flush();
    // 6 rows in 2 batches: bar(3) twice (one distinct key), bar(1) an exact re-delivery, bar(0) a correction.
    expect(w.lastFlush).toMatchObject({ rows: 6, batches: 2, distinct: 5, skipped: 1, appended: 3, upserted: 1, fallback: false });
  });

  it('retries a failed grouped flush as a whole and stores every row exactly once', async () => {
    let failures = 1;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const sizes: number[] = [];
    const w = await open({ buffer_size: 2, retry_base_ms: 5 }, {
      maxFlushRows: 6,
      wrapFlush: async (input, next) => {
        sizes.push(input.rows.length);
        await gate;
        // The failure happens after the store has done its work, as a lost acknowledgement would.
        const out = await next(input);
        if (input.rows.length > 2 && failures-- > 0) throw new Error('connection reset after commit');
        return out;
      },
    });
    w.writeBatch([bar(0), bar(1)]);
    w.writeBatch([bar(2), bar(3), bar(1, 95), bar(4), bar(5), bar(6)]);
    const durable = nextEvent(w, 'writer.flushed', (e) => e.durable === 8);
    release();
    await expect(w.flush()).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    await durable;
    expect(sizes).toEqual([2, 6, 6]);
    expect(w.getStats()).toMatchObject({ errorCount: 1, totalWrites: 8, bufferedWrites: 0 });
    expect((await rowsOf(w)).map((r) => r.close)).toEqual([100, 95, 100, 100, 100, 100, 100]);
  });

  it('still stores a correction of a key it remembers when the row was deleted by someone else', async () => {
    const w = await open();
    w.writeBatch([bar(0), bar(1)]);
    await w.flush();
    const conn = await w.connect();
    await conn.run(`DELETE FROM realtime_market_data WHERE "timestamp" = make_timestamp(${T0 * 1000})`);
    conn.closeSync();
    w.writeBatch([bar(0, 90), bar(1, 91)]);
    await w.flush();
    expect(w.lastFlush).toMatchObject({ upserted: 2, fallback: false });
    expect((await rowsOf(w)).map((r) => r.close)).toEqual([90, 91]);
  });

  it('opens DuckDB with one thread fewer than the cores and a 256 MB checkpoint threshold unless told otherwise', async () => {
    const settings = `SELECT current_setting('threads')::INTEGER AS threads, current_setting('checkpoint_threshold') AS threshold`;
    expect(await query(await open(), settings)).toEqual([{ threads: Math.max(1, os.availableParallelism() - 1), threshold: '244.1 MiB' }]);
    const tuned = await open({}, { duckdbConfig: { threads: '3', checkpoint_threshold: '16MB' } });
    expect(await query(tuned, settings)).toEqual([{ threads: 3, threshold: '15.2 MiB' }]);
  });
});
