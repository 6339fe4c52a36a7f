/**
 * DuckDBBarStore after things go wrong and at the end: flushes that fail (in the append, in the whole-flush
 * upsert), whole-flush upserts one after another, rows edited by someone else, how a flush's time is split, and
 * the file released on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { DuckDBBarStore, type BarStoreOptions } from '../../src/storage/duckdb-store.ts';
import { openInAnotherProcess, queryFile } from '../support/duckdb-file.ts';
import { ManualClock } from '../support/manual-clock.ts';

const T0 = Date.UTC(2025, 2, 4, 9);
const bar = (minute: number, values: Partial<Bar> = {}): Bar => ({
  provider: 'binance', symbol: 'ETHUSDT', interval: '1m', openTime: T0 + minute * 60_000, closeTime: T0 + minute * 60_000 + 59_999,
  open: 10, high: 12, low: 9, close: 11, volume: 5, vwap: 10.5, tradeCount: 4, final: true, receivedAt: T0 + (minute + 1) * 60_000,
  ...values,
});

const dirs: string[] = [];
const stores: DuckDBBarStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const open = async (options: Partial<BarStoreOptions> = {}) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-recovery-'));
  dirs.push(dir);
  const file = path.join(dir, 'bars.duckdb');
  const store = await DuckDBBarStore.open({ path: file, table: 'bars', enableWal: true, idleCheckpointMs: 0, ...options });
  stores.push(store);
  return { store, file, wal: () => (fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0) };
};
const sql = async (store: DuckDBBarStore, text: string) => {
  const conn = await store.connect();
  try {
    await conn.run(text);
  } finally {
    conn.closeSync();
  }
};
const closes = async (store: DuckDBBarStore, file: string) => {
  await store.close();
  return (await queryFile(file, 'SELECT close FROM bars ORDER BY "timestamp"')).map((r) => r.close);
};

describe('DuckDBBarStore after a failed flush', () => {
  it('does not arm the idle checkpoint after a failed flush (a failed CHECKPOINT would invalidate the database)', async () => {
    const clock = new ManualClock();
    const { store } = await open({ clock, idleCheckpointMs: 10, idleCheckpointWalBytes: 1 });
    await store.flush([bar(0)]);
    await sql(store, 'ALTER TABLE bars ADD COLUMN note VARCHAR');
    await expect(store.flush([bar(1)])).rejects.toThrow(/Failed to append/);
    await clock.advance(1_000);
    // An empty flush waits for a checkpoint under way, had one started.
    await store.flush([]);
    expect(store.idleCheckpoints).toBe(0);
  });

  it('rejects a flush whose whole-flush upsert fails too, commits none of it, and takes the next flush', async () => {
    const { store, file } = await open({ knownKeyCapacity: 0 });
    await store.flush([bar(0)]);
    // A stored key sends the flush to the whole-flush upsert, where the bar without a symbol breaks NOT NULL.
    const broken = { ...bar(1), symbol: null } as unknown as Bar;
    await expect(store.flush([bar(0, { close: 1 }), broken])).rejects.toThrow(/NOT NULL constraint failed/);
    await store.flush([bar(0, { close: 2 }), bar(1)]);
    expect(store.lastFlush).toMatchObject({ upserted: 2, fallback: true });
    expect(await closes(store, file)).toEqual([2, 11]);
  });

  it('empties the staging table before each whole-flush upsert, so consecutive ones keep the latest values', async () => {
    const { store, file } = await open({ knownKeyCapacity: 0 });
    await store.flush([bar(0), bar(1)]);
    for (const close of [1, 2, 3]) {
      await store.flush([bar(0, { close }), bar(1, { close: close * 10 }), bar(1 + close)]);
      expect(store.lastFlush).toMatchObject({ rows: 3, upserted: 3, fallback: true });
    }
    expect(await closes(store, file)).toEqual([3, 30, 11, 11, 11]);
  });

  it('leaves rows it did not receive as they are, even ones it corrected before and someone else changed since', async () => {
    const { store, file } = await open();
    await store.flush([bar(0), bar(1)]);
    await store.flush([bar(0, { close: 20 })]);
    await sql(store, `UPDATE bars SET close = 50 WHERE "timestamp" = make_timestamp(${T0 * 1000})`);
    await store.flush([bar(2)]);
    expect(store.lastFlush).toMatchObject({ appended: 1, upserted: 0 });
    expect(await closes(store, file)).toEqual([50, 11, 11]);
  });
});

describe('DuckDBBarStore phases and close', () => {
  it('splits a flush that appends and corrects into its four phases, each timed', async () => {
    const { store } = await open();
    await store.flush([bar(0)]);
    await store.flush([bar(0, { close: 1 }), bar(1)]);
    const { ms } = store.lastFlush;
    expect(Object.keys(ms)).toEqual(['prepare', 'append', 'upsert', 'commit']);
    // COMMIT writes the WAL and the UPDATE runs a query: neither takes no time at all.
    expect(ms.upsert).toBeGreaterThan(0);
    expect(ms.commit).toBeGreaterThan(0);
  });

  it('times the whole-flush upsert as the upsert phase', async () => {
    const { store } = await open({ knownKeyCapacity: 0 });
    await store.flush([bar(0)]);
    await store.flush([bar(0, { close: 1 }), bar(1)]);
    const { fallback, ms } = store.lastFlush;
    expect(fallback).toBe(true);
    expect(Object.keys(ms)).toEqual(['prepare', 'append', 'upsert', 'commit']);
    expect(ms.upsert).toBeGreaterThan(0);
  });

  it('releases the file on close, with the WAL folded in, so another process can open it', async () => {
    const { store, file, wal } = await open();
    await store.flush([bar(0), bar(1)]);
    expect(wal()).toBeGreaterThan(0);
    await store.close();
    expect(wal()).toBe(0);
    expect(await openInAnotherProcess(file)).toBe('opened');
  });
});
