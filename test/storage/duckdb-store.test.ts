/**
 * DuckDBBarStore on its own: the CHECKPOINT it runs once the writer is idle (outside any flush), and flushes that
 * arrive while that checkpoint runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/bar.ts';
import { DuckDBBarStore, type BarStoreOptions } from '../../src/storage/duckdb-store.ts';

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
const open = async (options: Partial<BarStoreOptions> = {}) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
  dirs.push(dir);
  const store = await DuckDBBarStore.open({ path: path.join(dir, 'bars.duckdb'), table: 'bars', enableWal: true, ...options });
  stores.push(store);
  return { store, wal: () => { const f = path.join(dir, 'bars.duckdb.wal'); return fs.existsSync(f) ? fs.statSync(f).size : 0; } };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (check: () => boolean, ms = 3_000) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end;) await sleep(5);
};
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
    const { store, wal } = await open({ idleCheckpointMs: 20, idleCheckpointWalBytes: 1 });
    await store.flush(bars(0, 100));
    expect(wal()).toBeGreaterThan(0);
    await until(() => store.idleCheckpoints === 1);
    expect(store.idleCheckpoints).toBe(1);
    expect(wal()).toBe(0);
    // Nothing new in the WAL: no further checkpoint.
    await sleep(60);
    expect(store.idleCheckpoints).toBe(1);
  });

  it('leaves a small WAL alone, and never checkpoints while flushes keep coming', async () => {
    const small = await open({ idleCheckpointMs: 10 });
    await small.store.flush(bars(0, 10));
    await sleep(60);
    expect(small.store.idleCheckpoints).toBe(0);
    expect(small.wal()).toBeGreaterThan(0);

    const busy = await open({ idleCheckpointMs: 300, idleCheckpointWalBytes: 1 });
    for (let i = 0; i < 10; i++) {
      await busy.store.flush(bars(i * 10, 10));
      await sleep(5);
    }
    expect(busy.store.idleCheckpoints).toBe(0);
  });

  it('lets flushes that arrive during an idle checkpoint wait for it, and loses none of them', async () => {
    const { store } = await open({ idleCheckpointMs: 5, idleCheckpointWalBytes: 1 });
    let minute = 0;
    const flushes: Promise<unknown>[] = [];
    // Flushes at irregular intervals around the idle delay, each also correcting the previous flush's last bar.
    for (let i = 0; i < 40; i++) {
      const rows = [...bars(minute, 20), ...(minute > 0 ? [bar(minute - 1, 7)] : [])];
      minute += 20;
      flushes.push(store.flush(rows));
      await flushes.at(-1);
      await sleep(i % 3 === 0 ? 12 : 1);
    }
    await Promise.all(flushes);
    expect(store.idleCheckpoints).toBeGreaterThan(0);
    expect(await count(store)).toBe(800);
    expect(await count(store, 'close = 7')).toBe(39);
  });
});

describe('DuckDBBarStore.open', () => {
  it('refuses a file that is not a DuckDB database with STORAGE_UNAVAILABLE', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
    dirs.push(dir);
    const file = path.join(dir, 'notes.duckdb');
    fs.writeFileSync(file, 'these are notes, not a database\n'.repeat(200));
    await expect(DuckDBBarStore.open({ path: file, table: 'bars', enableWal: true })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: false, data: { path: file } });
  });
});
