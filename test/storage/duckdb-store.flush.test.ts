/**
 * DuckDBBarStore.flush against real DuckDB files: what lands in the table, read back by a separate instance after
 * close, and how {@link DuckDBBarStore.lastFlush} accounts for each row (new rows appended, identical re-deliveries
 * skipped, corrections upserted, duplicates within one flush, the whole-flush upsert when a stored key is unknown).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { DuckDBBarStore, type BarStoreOptions } from '../../src/storage/duckdb-store.ts';
import { queryFile } from '../support/duckdb-file.ts';

const T0 = Date.UTC(2025, 2, 3, 12);
const bar = (minute: number, values: Partial<Bar> = {}): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: T0 + minute * 60_000, closeTime: T0 + minute * 60_000 + 59_999,
  open: 100, high: 110, low: 90, close: 105, volume: 3, vwap: 101.5, tradeCount: 12, final: true, receivedAt: T0 + (minute + 1) * 60_000 + 7,
  ...values,
});
const bars = (from: number, n: number, values: Partial<Bar> = {}) => Array.from({ length: n }, (_, i) => bar(from + i, values));

const dirs: string[] = [];
const stores: DuckDBBarStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const fileIn = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-flush-'));
  dirs.push(dir);
  return path.join(dir, 'bars.duckdb');
};
const open = async (file: string, options: Partial<BarStoreOptions> = {}) => {
  const store = await DuckDBBarStore.open({ path: file, table: 'bars', enableWal: true, idleCheckpointMs: 0, ...options });
  stores.push(store);
  return store;
};
/** The table as another tool sees it once the store has closed: one line per row, in key order. */
const rowsAfterClose = async (store: DuckDBBarStore, file: string) => {
  await store.close();
  return (await queryFile(file, `SELECT id, "timestamp"::VARCHAR AS ts, open, high, low, close, volume, vwap, trade_count,
    received_at::VARCHAR AS received FROM bars ORDER BY "timestamp"`));
};
const row = (minute: number, values: Partial<Bar> = {}) => {
  const b = bar(minute, values);
  return {
    id: `binance|BTCUSDT|1m|${b.openTime}`, ts: new Date(b.openTime).toISOString().replace('T', ' ').slice(0, 19),
    open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, trade_count: b.tradeCount,
    received: new Date(b.receivedAt).toISOString().replace('T', ' ').replace('Z', ''),
  };
};
const breakdown = (store: DuckDBBarStore) => {
  const { ms: _ms, ...counts } = store.lastFlush;
  return counts;
};

describe('DuckDBBarStore.flush', () => {
  it('appends new rows with every value and reports them as appended', async () => {
    const file = fileIn();
    const store = await open(file);
    const out = await store.flush([bar(0), bar(1, { vwap: null, tradeCount: null })]);
    expect(breakdown(store)).toEqual({ rows: 2, batches: 1, distinct: 2, skipped: 0, appended: 2, upserted: 0, fallback: false });
    expect(out.durationMs).toBeGreaterThanOrEqual(0);
    expect(await rowsAfterClose(store, file)).toEqual([row(0), row(1, { vwap: null, tradeCount: null })]);
  });

  it('skips a re-delivery whose values are identical, keeping the stored row as it was', async () => {
    const file = fileIn();
    const store = await open(file);
    await store.flush([bar(0), bar(1)]);
    await store.flush([bar(0, { receivedAt: T0 + 10 * 60_000 }), bar(1, { receivedAt: T0 + 11 * 60_000 })]);
    expect(breakdown(store)).toEqual({ rows: 2, batches: 1, distinct: 2, skipped: 2, appended: 0, upserted: 0, fallback: false });
    expect(store.lastFlush.ms).toEqual({ prepare: expect.any(Number), append: 0, upsert: 0, commit: 0 });
    expect(await rowsAfterClose(store, file)).toEqual([row(0), row(1)]);
  });

  it('upserts a correction of any one stored value', async () => {
    const file = fileIn();
    const store = await open(file);
    const changes: Partial<Bar>[] = [{ open: 99 }, { high: 111 }, { low: 89 }, { close: 104 }, { volume: 4 }, { vwap: 102 }, { tradeCount: 13 }];
    await store.flush(bars(0, changes.length));
    await store.flush(changes.map((c, i) => bar(i, c)));
    expect(breakdown(store)).toEqual({ rows: 7, batches: 1, distinct: 7, skipped: 0, appended: 0, upserted: 7, fallback: false });
    expect(await rowsAfterClose(store, file)).toEqual(changes.map((c, i) => row(i, c)));
  });

  it('appends and corrects in one flush, and applies successive corrections of one key in order', async () => {
    const file = fileIn();
    const store = await open(file);
    await store.flush([bar(0), bar(1)]);
    await store.flush([bar(0, { close: 101 }), bar(2)]);
    expect(breakdown(store)).toEqual({ rows: 2, batches: 1, distinct: 2, skipped: 0, appended: 1, upserted: 1, fallback: false });
    await store.flush([bar(1, { close: 102 })]);
    await store.flush([bar(0, { close: 103 })]);
    await store.flush([bar(1, { close: 104 }), bar(0, { close: 103 })]);
    expect(breakdown(store)).toEqual({ rows: 2, batches: 1, distinct: 2, skipped: 1, appended: 0, upserted: 1, fallback: false });
    expect(await rowsAfterClose(store, file)).toEqual([row(0, { close: 103 }), row(1, { close: 104 }), row(2)]);
  });

  it('keeps the last of several rows with one key within a flush, across its batches', async () => {
    const file = fileIn();
    const store = await open(file);
    const batches = [[bar(0, { close: 1 }), bar(1)], [bar(0, { close: 2 }), bar(2)], [bar(0, { close: 3 })]];
    await store.flush(batches.flat(), batches);
    expect(breakdown(store)).toEqual({ rows: 5, batches: 3, distinct: 3, skipped: 0, appended: 3, upserted: 0, fallback: false });
    // A later flush that repeats the winner is a re-delivery: the store remembers the last value, not the first.
    await store.flush([bar(0, { close: 3 })]);
    expect(breakdown(store)).toMatchObject({ skipped: 1, appended: 0, upserted: 0 });
    expect(await rowsAfterClose(store, file)).toEqual([row(0, { close: 3 }), row(1), row(2)]);
  });

  it('upserts the whole flush when a key it has never seen is already stored, and remembers the keys after', async () => {
    const file = fileIn();
    const first = await open(file);
    await first.flush([bar(0), bar(1)]);
    await first.close();
    const store = await open(file);
    await store.flush([bar(5)]);
    // bar(1) is stored but unknown to this process; bar(5) is a known key corrected; bar(6) is new.
    await store.flush([bar(1, { close: 95 }), bar(5, { close: 96 }), bar(6)]);
    expect(breakdown(store)).toEqual({ rows: 3, batches: 1, distinct: 3, skipped: 0, appended: 0, upserted: 3, fallback: true });
    await store.flush([bar(1, { close: 95 }), bar(5, { close: 96 }), bar(6), bar(7)]);
    expect(breakdown(store)).toEqual({ rows: 4, batches: 1, distinct: 4, skipped: 3, appended: 1, upserted: 0, fallback: false });
    expect(await rowsAfterClose(store, file)).toEqual([row(0), row(1, { close: 95 }), row(5, { close: 96 }), row(6), row(7)]);
  });

  it('falls back for a stored key forgotten from a full known-keys cache, with only new keys in the flush', async () => {
    const file = fileIn();
    const store = await open(file, { knownKeyCapacity: 2 });
    await store.flush(bars(0, 6));
    await store.flush([bar(0, { close: 1 }), bar(9)]);
    expect(breakdown(store)).toEqual({ rows: 2, batches: 1, distinct: 2, skipped: 0, appended: 0, upserted: 2, fallback: true });
    expect((await rowsAfterClose(store, file)).map((r) => r.close)).toEqual([1, 105, 105, 105, 105, 105, 105]);
  });

  it('upserts every row when it remembers no keys', async () => {
    const file = fileIn();
    const store = await open(file, { knownKeyCapacity: 0 });
    await store.flush([bar(0), bar(1)]);
    await store.flush([bar(1, { close: 1 }), bar(2)]);
    expect(breakdown(store)).toMatchObject({ distinct: 2, appended: 0, upserted: 2, fallback: true });
    expect((await rowsAfterClose(store, file)).map((r) => r.close)).toEqual([105, 1, 105]);
  });

  it('inserts a remembered key whose row someone else deleted, alongside the corrections', async () => {
    const file = fileIn();
    const store = await open(file);
    await store.flush([bar(0), bar(1)]);
    const conn = await store.connect();
    await conn.run(`DELETE FROM bars WHERE id = 'binance|BTCUSDT|1m|${T0}'`);
    conn.closeSync();
    await store.flush([bar(0, { close: 90 }), bar(1, { close: 91 })]);
    expect(breakdown(store)).toEqual({ rows: 2, batches: 1, distinct: 2, skipped: 0, appended: 0, upserted: 2, fallback: false });
    expect(await rowsAfterClose(store, file)).toEqual([row(0, { close: 90 }), row(1, { close: 91 })]);
  });

  it('writes flushes larger than one data chunk, in batches of any size, with every row in place', async () => {
    const file = fileIn();
    const store = await open(file);
    const first = bars(0, 5_000);
    await store.flush(first, [first.slice(0, 1), first.slice(1, 4_097), first.slice(4_097)]);
    const second = bars(2_500, 5_000, { close: 106 });
    await store.flush(second, [second.slice(0, 2_500), second.slice(2_500)]);
    expect(breakdown(store)).toEqual({ rows: 5_000, batches: 2, distinct: 5_000, skipped: 0, appended: 2_500, upserted: 2_500, fallback: false });
    await store.close();
    expect(await queryFile(file, `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE close = 106)::INTEGER AS corrected,
      count(*) FILTER (WHERE id <> provider || '|' || symbol || '|' || "interval" || '|' || epoch_ms("timestamp"))::INTEGER AS bad_ids,
      min(epoch_ms("timestamp"))::DOUBLE AS first, max(epoch_ms("timestamp"))::DOUBLE AS last FROM bars`))
      .toEqual([{ n: 7_500, corrected: 5_000, bad_ids: 0, first: T0, last: T0 + 7_499 * 60_000 }]);
  });

  it('times each phase of a flush within the flush, none negative, and says when it finished', async () => {
    const store = await open(fileIn());
    await store.flush([bar(0)]);
    const [before, wallBefore] = [performance.now(), Date.now()];
    const out = await store.flush([bar(0, { close: 1 }), bar(1)]);
    const [elapsed, wallAfter] = [performance.now() - before, Date.now()];
    const { prepare, append, upsert, commit } = store.lastFlush.ms;
    for (const phase of [prepare, append, upsert, commit]) expect(phase).toBeGreaterThanOrEqual(0);
    expect(prepare + append + upsert + commit).toBeLessThanOrEqual(out.durationMs);
    expect(out.durationMs).toBeLessThanOrEqual(elapsed);
    expect(out.finishedAt).toBeGreaterThanOrEqual(wallBefore);
    expect(out.finishedAt).toBeLessThanOrEqual(wallAfter);
  });

  it('rejects a flush that fails for another reason than a stored key, commits none of it, and goes on', async () => {
    const file = fileIn();
    const store = await open(file);
    await store.flush([bar(0)]);
    const conn = await store.connect();
    await conn.run('ALTER TABLE bars ADD COLUMN note VARCHAR');
    conn.closeSync();
    // Not a key conflict, so no whole-flush upsert (which would fail with a Binder Error): the append's own error.
    await expect(store.flush([bar(0, { close: 1 }), bar(1)])).rejects.toThrow('Failed to append: table bars has 14 columns but 13 values were supplied');
    await store.flush([bar(0, { close: 2 })]);
    expect(breakdown(store)).toMatchObject({ upserted: 1, fallback: false });
    await store.close();
    expect(await queryFile(file, 'SELECT close FROM bars ORDER BY "timestamp"')).toEqual([{ close: 2 }]);
  });

  it('folds the WAL into the file on checkpoint()', async () => {
    const file = fileIn();
    const wal = () => (fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0);
    const store = await open(file);
    await store.flush(bars(0, 10));
    expect(wal()).toBeGreaterThan(0);
    await store.checkpoint();
    expect(wal()).toBe(0);
  });

  it('exports the rows that match a filter as Parquet and shares its instance for reads', async () => {
    const file = fileIn();
    const store = await open(file);
    await store.flush([bar(0), bar(1), bar(2, { symbol: 'ETHUSDT' })]);
    expect(await store.exportParquet(path.join(path.dirname(file), 'all'))).toBe(3);
    expect(await store.exportParquet(path.join(path.dirname(file), 'btc'), "symbol = 'BTCUSDT'")).toBe(2);
    const conn = await store.instance.connect();
    expect((await conn.runAndReadAll('SELECT count(*)::INTEGER FROM bars')).getRows()).toEqual([[3]]);
    conn.closeSync();
  });

  it('checkpoints after every flush when the WAL is disabled', async () => {
    const file = fileIn();
    const wal = () => (fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0);
    const store = await open(file, { enableWal: false });
    await store.flush(bars(0, 10));
    expect(wal()).toBe(0);
    await store.flush(bars(0, 10, { close: 1 }));
    expect(wal()).toBe(0);
  });

  it('refuses to flush or export once closed, with CLOSED, and closes only once', async () => {
    const file = fileIn();
    const store = await open(file);
    await store.flush([bar(0)]);
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.flush([bar(1)])).rejects.toMatchObject({ code: 'CLOSED', message: 'the store is closed', retryable: false });
    await expect(store.exportParquet(path.join(path.dirname(file), 'pq'))).rejects.toMatchObject({ code: 'CLOSED', message: 'the store is closed' });
    expect(await queryFile(file, 'SELECT count(*)::INTEGER AS n FROM bars')).toEqual([{ n: 1 }]);
  });
});
