/** Reads a DuckDB file the way a user's tool would after a run: its own instance, opened and closed per query. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

/** Runs `sql` against the file at `path` in a fresh instance and returns the rows as JS objects. */
export const queryFile = async (path: string, sql: string): Promise<Record<string, unknown>[]> => {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

/**
 * Opens the file at `path` in a child process, as the recorder's next run would: 'opened', or DuckDB's error text
 * (a lock held by this process shows only there: within one process DuckDB opens a file twice).
 */
export const openInAnotherProcess = async (path: string): Promise<string> => {
  const script = `require('@duckdb/node-api').DuckDBInstance.create(process.argv[1])
    .then((i) => { i.closeSync(); console.log('opened'); }, (e) => console.log(String(e)))`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, path], { cwd: join(import.meta.dirname, '..', '..') });
  return stdout.trim();
};
