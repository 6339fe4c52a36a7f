/**
 * DuckDBBarStore on its own: the CHECKPOINT it runs once the writer is idle (outside any flush), driven by a
 * manual clock; flushes that arrive while that checkpoint runs; and opening, which refuses what it cannot use and
 * leaves the file free when it does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { DuckDBBarStore, type BarStoreOptions } from '../../src/storage/duckdb-store.ts';
import { openInAnotherProcess } from '../support/duckdb-file.ts';
import { ManualClock } from '../support/manual-clock.ts';

const T0 = Date.UTC(2025, 2, 3);
const bar = (minute: number, close = 100): Bar => ({
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: T0 + minute * 60_000, closeTime: T0 + minute * 60_000 + 59_999,
  open: 100, high: 200, low: 50, close, volume: 1, vwap: null, tradeCount: null, final: true, receivedAt: T0 + (minute + 1) * 60_000,
});
const bars = (from: number, n: number, close = 100) => Array.from({ length: n }, (_, i) => bar(from + i, close));

const dirs: string[] = [];
const stores: DuckDBBarStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
  dirs.push(dir);
  return dir;
};
const open = async (options: Partial<BarStoreOptions> = {}) => {
  const dir = tempDir();
  const clock = new ManualClock();
  const store = await DuckDBBarStore.open({ path: path.join(dir, 'bars.duckdb'), table: 'bars', enableWal: true, clock, ...options });
  stores.push(store);
  return { store, clock, wal: () => { const f = path.join(dir, 'bars.duckdb.wal'); return fs.existsSync(f) ? fs.statSync(f).size : 0; } };
};
/** A flush of nothing waits for an idle checkpoint under way (as every flush does), then writes nothing. */
const settled = (store: DuckDBBarStore) => store.flush([]);
const count = async (store: DuckDBBarStore, where = 'true') => {
  const conn = await store.connect();
  try {
    return Number((await conn.runAndReadAll(`SELECT count(*) FROM bars WHERE ${where}`)).getRows()[0]![0]);
  } finally {
    conn.closeSync();
  }
};

describe('DuckDBBarStore idle checkpoint', () => {
  it('checkpoints once no flush has started for idleCheckpointMs and the WAL is large enough', async () => {
    const { store, clock, wal } = await open({ idleCheckpointMs: 20, idleCheckpointWalBytes: 1 });
    await store.flush(bars(0, 100));
    expect(wal()).toBeGreaterThan(0);
    await clock.advance(19);
    expect(store.idleCheckpoints).toBe(0);
    await clock.advance(1);
    await settled(store);
    expect(store.idleCheckpoints).toBe(1);
    expect(wal()).toBe(0);
    // The empty flush armed the timer again, but nothing new is in the WAL: no further checkpoint.
    await clock.advance(1_000);
    await settled(store);
    expect(store.idleCheckpoints).toBe(1);
  });

  it('leaves a WAL under idleCheckpointWalBytes alone', async () => {
    const { store, clock, wal } = await open({ idleCheckpointMs: 10 });
    await store.flush(bars(0, 10));
    await clock.advance(1_000);
    await settled(store);
    expect(store.idleCheckpoints).toBe(0);
    expect(wal()).toBeGreaterThan(0);
  });

  it('never checkpoints while each flush starts before the idle delay has passed', async () => {
    const { store, clock } = await open({ idleCheckpointMs: 300, idleCheckpointWalBytes: 1 });
    for (let i = 0; i < 10; i++) {
      await store.flush(bars(i * 10, 10));
      await clock.advance(299);
    }
    expect(store.idleCheckpoints).toBe(0);
    await clock.advance(1);
    await settled(store);
    expect(store.idleCheckpoints).toBe(1);
  });

  it('does not checkpoint when the idle delay is 0, when the WAL is disabled, or in memory', async () => {
    for (const options of [{ idleCheckpointMs: 0 }, { enableWal: false, idleCheckpointMs: 10 }, { path: ':memory:', idleCheckpointMs: 10 }]) {
      const { store, clock } = await open({ idleCheckpointWalBytes: 1, ...options });
      await store.flush(bars(0, 10));
      await clock.advance(1_000);
      await settled(store);
      expect(store.idleCheckpoints).toBe(0);
    }
  });

  it('lets flushes that arrive during an idle checkpoint wait for it, and loses none of them', async () => {
    const { store, clock } = await open({ idleCheckpointMs: 5, idleCheckpointWalBytes: 1 });
    let minute = 0;
    let started = 0;
    // Each flush also corrects the previous flush's last bar; every third one starts while a checkpoint runs.
    for (let i = 0; i < 40; i++) {
      const rows = [...bars(minute, 20), ...(minute > 0 ? [bar(minute - 1, 7)] : [])];
      minute += 20;
      await store.flush(rows);
      if (i % 3 === 0) {
        await clock.advance(5);
        started++;
      }
    }
    await settled(store);
    expect(store.idleCheckpoints).toBe(started);
    expect(await count(store)).toBe(800);
    expect(await count(store, 'close = 7')).toBe(39);
  });

  it('waits for an idle checkpoint under way before it closes', async () => {
    const { store, clock, wal } = await open({ idleCheckpointMs: 5, idleCheckpointWalBytes: 1 });
    await store.flush(bars(0, 50));
    await clock.advance(5);
    await store.close();
    expect(store.idleCheckpoints).toBe(1);
    expect(wal()).toBe(0);
  });
});

describe('DuckDBBarStore.open', () => {
  it('creates missing directories and the table, and starts with an empty breakdown', async () => {
    const file = path.join(tempDir(), 'a', 'b', 'bars.duckdb');
    const store = await DuckDBBarStore.open({ path: file, table: 'bars', enableWal: true });
    stores.push(store);
    expect(fs.existsSync(file)).toBe(true);
    expect(await count(store)).toBe(0);
    expect(store.lastFlush).toEqual({ rows: 0, batches: 0, distinct: 0, skipped: 0, appended: 0, upserted: 0, fallback: false,
      ms: { prepare: 0, append: 0, upsert: 0, commit: 0 } });
    expect(store.idleCheckpoints).toBe(0);
  });

  it('refuses a file that is not a DuckDB database with STORAGE_UNAVAILABLE', async () => {
    const file = path.join(tempDir(), 'notes.duckdb');
    fs.writeFileSync(file, 'these are notes, not a database\n'.repeat(200));
    const error = await DuckDBBarStore.open({ path: file, table: 'bars', enableWal: true }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: false, data: { path: file } });
    expect((error as Error).message).toMatch(new RegExp(`^cannot open DuckDB database ${file}: .+`));
  });

  it('releases the file when the table has another shape, so another process can open it', async () => {
    const file = path.join(tempDir(), 'old.duckdb');
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run('CREATE TABLE bars (id VARCHAR, note VARCHAR)');
    conn.closeSync();
    instance.closeSync();
    await expect(DuckDBBarStore.open({ path: file, table: 'bars', enableWal: true })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    // The connection opened for the shape check is closed before the instance: otherwise the lock outlives both.
    expect(await openInAnotherProcess(file)).toBe('opened');
  });
});
