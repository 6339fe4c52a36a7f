/** Reads a DuckDB file the way a user's tool would after a run: its own instance, opened and closed per query. */
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
