/**
 * What a strategy's query costs the host, against real DuckDB files: a result far over the caps is refused after
 * one chunk instead of being computed and buffered first, and the writer keeps committing bars on the same DuckDB
 * instance while a strategy query runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, JSDuckDBValueConverter, type JS } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkFloorBytes, valueBytes } from '../../src/strategy/bounded-query.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';
import { openDuckDBData } from '../../src/strategy/duckdb-data.ts';
import { ReadOnlyQueryError } from '../../src/strategy/errors.ts';
import { bar } from './helpers.ts';

const MiB = 1024 * 1024;
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'argo-query-cost-'));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const reasonOf = (e: unknown): string => (e instanceof ReadOnlyQueryError ? e.reason : `not a ReadOnlyQueryError: ${String(e)}`);

describe('a strategy query over the caps', () => {
  // First in the file (each file runs in its own process): the peak RSS below is this process's high-water mark.
  it('is refused after one chunk, without the process holding a measurable part of the result', async () => {
    const service = await openDuckDBData({ path: join(tempDir(), 'db.duckdb'), maxBytes: 16 * MiB, queryTimeoutMs: 60_000 });
    try {
      // 200,000 rows of 10 kB: a 2 GB result, 100 chunks of 2,048 rows (20 MB each). With DuckDB's default
      // read-ahead about 30 of them (600 MB) were computed and held before the first one was read.
      const peakBefore = process.resourceUsage().maxRSS * 1024;
      const heapBefore = process.memoryUsage().heapUsed;
      const error = await service.executeSQL("SELECT repeat('x', 10000) AS s FROM range(200000)").then(() => undefined, (e: unknown) => e);
      expect(reasonOf(error)).toBe('too_large');
      const peakGrowth = process.resourceUsage().maxRSS * 1024 - peakBefore;
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      // Bounds far from both the result (2 GB) and what the old read-ahead held (600 MB); one chunk is 20 MB.
      expect(peakGrowth, `peak RSS grew ${(peakGrowth / MiB).toFixed(0)} MiB`).toBeLessThan(256 * MiB);
      expect(heapGrowth, `heap grew ${(heapGrowth / MiB).toFixed(0)} MiB`).toBeLessThan(128 * MiB);
    } finally {
      await service.close();
    }
  });

  it('is refused for bytes before any string of a chunk already over maxBytes is converted', async () => {
    const service = await openDuckDBData({ path: join(tempDir(), 'db.duckdb'), maxBytes: 16 * MiB, queryTimeoutMs: 60_000 });
    try {
      // One chunk of 2,048 strings of 100 kB (200 MB): converting up to the cap would put 16 MiB of strings on the heap.
      const heapBefore = process.memoryUsage().heapUsed;
      await expect(service.executeSQL("SELECT repeat('x', 100000) AS s FROM range(2048)")).rejects.toMatchObject({ reason: 'too_large' });
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      expect(heapGrowth, `heap grew ${(heapGrowth / MiB).toFixed(1)} MiB`).toBeLessThan(4 * MiB);
    } finally {
      await service.close();
    }
  });

  it('counts a chunk\'s strings from their headers as a floor of what converting them counts', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const result = await connection.stream(
        "SELECT s, encode(s) AS b, 7 AS i FROM (VALUES ('ab'), (NULL), (repeat('é', 10)), (repeat('x', 40))) t(s)",
      );
      const chunk = (await result.fetchChunk())!;
      const typeIds = result.columnNames().map((_, i) => result.columnTypeId(i));
      // VARCHAR: (2 + 20 + 40) UTF-8 bytes / 3 and a NULL; BLOB: 62 bytes and a NULL; INTEGER: nothing.
      expect(chunkFloorBytes(chunk, typeIds)).toBeCloseTo(62 / 3 + 8 + 62 + 8, 9);
      const converted = chunk.convertRows(JSDuckDBValueConverter).flat().reduce<number>((n, v) => n + valueBytes(v as JS), 0);
      expect(chunkFloorBytes(chunk, typeIds)).toBeLessThanOrEqual(converted);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('is refused for rows before any cell of the chunk that crosses maxRows is converted', async () => {
    const service = await openDuckDBData({ path: join(tempDir(), 'db.duckdb'), maxRows: 10 });
    try {
      await expect(service.executeSQL('SELECT * FROM range(11)')).rejects.toMatchObject({ reason: 'too_many_rows', message: expect.stringContaining('more than 10 rows') });
      expect(await service.executeSQL('SELECT * FROM range(10)')).toHaveLength(10);
    } finally {
      await service.close();
    }
  });
});

describe('a slow strategy query', () => {
  it('leaves the writer committing bars on the same instance while it runs', async () => {
    const writer = await DuckDBRealtimeWriter.open({ output_path: join(tempDir(), 'bars.duckdb'), flush_interval_ms: 0 });
    const service = await openDuckDBData({ instance: writer.instance, queryTimeoutMs: 600_000 });
    const order: string[] = [];
    const off = writer.on('writer.flushed', () => order.push('flushed'));
    try {
      // Runs until interrupted: only `close` below ends it.
      const slow = service.executeSQL('SELECT count(*) AS n FROM range(100000000000000)')
        .then(() => 'fulfilled', (e: unknown) => reasonOf(e))
        .then((outcome) => { order.push(`query ${outcome}`); });
      // Sequential on purpose: each flush is awaited while the query is still in flight.
      for (let i = 0; i < 3; i++) {
        writer.writeBatch([bar(2 * i, 100 + i), bar(2 * i + 1, 101 + i)]);
        await writer.flush();
      }
      // Read on a connection of its own: the service's calls queue behind the query in hand.
      const reader = await writer.connect();
      const stored = (await reader.runAndReadAll('SELECT count(*)::INTEGER AS n FROM realtime_market_data')).getRowObjectsJS();
      reader.closeSync();
      order.push(`read ${String(stored[0]?.n)} bars`);
      await service.close();
      await slow;
      expect(order).toEqual(['flushed', 'flushed', 'flushed', 'read 6 bars', 'query closed']);
    } finally {
      off();
      await service.close();
      await writer.close();
    }
  });
});

describe('a flood of slow strategy queries', () => {
  it('is refused once it has used the time budget, until the budget is earned back', async () => {
    let offset = 0;
    const service = await openDuckDBData({
      path: join(tempDir(), 'db.duckdb'), queryTimeoutMs: 300, queryBudget: { msPerSecond: 1, burstMs: 100 },
      now: () => performance.now() + offset,
    });
    try {
      const slow = 'SELECT count(*) AS n FROM range(100000000000000)';
      const outcome = (p: Promise<unknown>) => p.then(() => 'fulfilled', (e: unknown) => reasonOf(e));
      // The first starts with 100 ms left and is interrupted at its 300 ms timeout: 200 ms of debt at 1 ms/s.
      expect(await outcome(service.executeSQL(slow))).toBe('timeout');
      const refused = await service.executeSQL('SELECT 1 AS one').then(() => undefined, (e: unknown) => e);
      expect(refused).toMatchObject({ reason: 'budget', message: expect.stringMatching(/time budget \(1 ms of query time per second, 100 ms saved up at most\); retry in \d+ ms/) });
      // Hours later (however long the interrupt took to land) the budget is full again.
      offset += 36_000_000;
      expect(await service.executeSQL('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await service.close();
    }
  });
});
