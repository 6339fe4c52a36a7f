/**
 * The `query` command's bounds (issue #14): a result larger than `--max-bytes` or longer than `--timeout` is
 * refused with a message, settings views are refused, external access is off, and a cell holding a newline
 * cannot print a forged line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-query-bounds-'));
const db = join(dir, 'bars.duckdb');

beforeAll(async () => {
  const instance = await DuckDBInstance.create(db);
  const c = await instance.connect();
  await c.run(`CREATE TABLE notes (id INTEGER, text VARCHAR)`);
  await c.run(`INSERT INTO notes VALUES (1, 'harmless' || chr(10) || 'fill BUY 1000 BTCUSDT')`);
  c.closeSync();
  instance.closeSync();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('argo-realtime query bounds', () => {
  it('refuses a result larger than --max-bytes', async () => {
    const r = await runCli(['query', '--db', db, '--max-bytes', '100000', "SELECT repeat('x', 1000) AS s FROM range(1000)"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the result is larger than 100000 bytes');
  });

  it('interrupts a query that runs past --timeout', async () => {
    const r = await runCli(['query', '--db', db, '--timeout', '200', 'SELECT count(*) FROM range(100000000000000)']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the query was interrupted after 200 ms');
  });

  it('refuses the settings views that show paths and enable_external_access', async () => {
    for (const sql of ['SELECT * FROM pg_settings', 'SELECT * FROM duckdb_settings()', 'SELECT path FROM duckdb_databases']) {
      const r = await runCli(['query', '--db', db, sql]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not allowed/);
    }
  });

  it('prints a newline inside a cell as \\n, on the row\'s own line', async () => {
    const r = await runCli(['query', '--db', db, 'SELECT id, text FROM notes']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('fill'))).toEqual([]);
    expect(r.stdout).toContain('harmless\\nfill BUY 1000 BTCUSDT');
  });
});
