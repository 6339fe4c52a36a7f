/**
 * `argo-realtime query --db <file> "<sql>"`: one read-only SELECT over a recorded DuckDB file, printed as an
 * aligned table (or JSON). The file is opened in DuckDB's READ_ONLY mode and the statement goes through the
 * strategy SQL guard (`src/strategy/sql-guard.ts`): one SELECT, no file or URL readers, no settings views;
 * external access is off, and the result is bounded in rows, bytes and time (`src/strategy/bounded-query.ts`).
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBValue, type JS } from '@duckdb/node-api';
import pc from 'picocolors';
import { describe } from '../errors.ts';
import { runBounded, type BoundedResult } from '../strategy/bounded-query.ts';
import { ReadOnlyQueryError } from '../strategy/errors.ts';
import { prepareReadOnly } from '../strategy/sql-guard.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { Output } from './output.ts';

/** Options of the `query` command. */
export interface QueryOptions {
  readonly db: string;
  readonly sql: string;
  readonly json: boolean;
  /** Most rows printed; more is an error asking for a LIMIT (default 10 000). */
  readonly maxRows: number;
  /** Most bytes of result values; more is an error (default 64 MiB). */
  readonly maxBytes?: number;
  /** Longest the query may run before it is interrupted (default 30 000 ms). */
  readonly timeoutMs?: number;
}

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL,
]);

/** A JSON-friendly cell: safe integers as numbers, big ones as strings, dates as ISO text. */
const jsonCell = (v: JS): unknown => {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonCell);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonCell(x)]));
  return v;
};

// DuckDB's own text form, with control characters escaped so that a cell cannot forge lines on the terminal.
const textCell = (v: DuckDBValue): string => {
  if (v === null) return 'NULL';
  const text = String(v);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
};

/** Renders a result as an aligned text table; numbers right-aligned. */
export const formatTable = (columns: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[]): string[] => {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const cell = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [columns.map(cell).join('  ').trimEnd(), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of rows) lines.push(r.map(cell).join('  ').trimEnd());
  return lines;
};

type Bounds = { maxRows: number; maxBytes: number; timeoutMs: number };

const run = async <C extends 'js' | 'duckdb'>(connection: DuckDBConnection, sql: string, bounds: Bounds, cells: C):
  Promise<BoundedResult<C extends 'js' ? JS : DuckDBValue>> => {
  await connection.run('BEGIN TRANSACTION READ ONLY');
  const prepared = await prepareReadOnly(connection, sql);
  try {
    const result = await runBounded(connection, prepared, { ...bounds, cells, hint: 'add a LIMIT (or pass --max-rows / --max-bytes)' });
    return result as BoundedResult<C extends 'js' ? JS : DuckDBValue>;
  } finally {
    prepared.destroySync();
  }
};

/** Runs the query command; resolves to the exit code. */
export const runQuery = async (out: Output, { db, sql, json, maxRows, maxBytes = 64 * 1024 * 1024, timeoutMs = 30_000 }: QueryOptions): Promise<ExitCode> => {
  if (!existsSync(db)) {
    out.error(`${pc.red(pc.bold('error'))} no database file at ${db} (record one with \`argo-realtime record\` or \`argo-realtime demo\`)`);
    return EXIT.config;
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY', enable_external_access: 'false' });
  } catch (e) {
    const busy = /lock|in use|conflicting/i.test(describe(e));
    out.error(`${pc.red(pc.bold('error'))} cannot open ${db}: ${describe(e)}`);
    if (busy) out.error(pc.dim('  A running session holds the file; query it after the session stops, or query a copy.'));
    return EXIT.failure;
  }
  const connection = await instance.connect();
  try {
    const bounds = { maxRows, maxBytes, timeoutMs };
    if (json) {
      const result = await run(connection, sql, bounds, 'js');
      const rows = result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, jsonCell(r[i]!)])));
      out.line(JSON.stringify(rows, null, 2));
      return EXIT.ok;
    }
    const result = await run(connection, sql, bounds, 'duckdb');
    const { columns } = result;
    const numeric = columns.map((_, i) => NUMERIC.has(result.typeIds[i]!));
    const rows = result.rows.map((r) => r.map(textCell));
    for (const l of formatTable(columns, rows, numeric)) out.line(l);
    out.line(pc.dim(`(${rows.length} row${rows.length === 1 ? '' : 's'})`));
    return EXIT.ok;
  } catch (e) {
    if (e instanceof ReadOnlyQueryError) {
      out.error(`${pc.red(pc.bold('refused'))} ${e.message.replace(/^executeSQL refused the query: /, '')}`);
      out.error(pc.dim('  `query` runs one read-only SELECT; the recorded file is never modified.'));
      return EXIT.config;
    }
    out.error(`${pc.red(pc.bold('error'))} ${describe(e)}`);
    return EXIT.failure;
  } finally {
    await connection.run('ROLLBACK').catch(() => undefined);
    connection.closeSync();
    instance.closeSync();
  }
};
