/**
 * The bar table: DDL, the TEMP staging table the flush appends into, and the check that an existing table has
 * exactly the expected shape (a mismatch is a CONFIG_INVALID error naming the columns, never a silent migration).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { realtimeError } from '../errors.ts';

/** One column of the bar table: name, DuckDB type as `information_schema` reports it, nullability. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: 'VARCHAR' | 'TIMESTAMP' | 'DOUBLE' | 'INTEGER';
  readonly nullable: boolean;
}

/** The bar table's columns, in order (the seed's schema plus `provider` and `interval`). */
export const BAR_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', type: 'VARCHAR', nullable: false },
  { name: 'provider', type: 'VARCHAR', nullable: false },
  { name: 'symbol', type: 'VARCHAR', nullable: false },
  { name: 'interval', type: 'VARCHAR', nullable: false },
  { name: 'timestamp', type: 'TIMESTAMP', nullable: false },
  { name: 'open', type: 'DOUBLE', nullable: false },
  { name: 'high', type: 'DOUBLE', nullable: false },
  { name: 'low', type: 'DOUBLE', nullable: false },
  { name: 'close', type: 'DOUBLE', nullable: false },
  { name: 'volume', type: 'DOUBLE', nullable: false },
  { name: 'vwap', type: 'DOUBLE', nullable: true },
  { name: 'trade_count', type: 'INTEGER', nullable: true },
  { name: 'received_at', type: 'TIMESTAMP', nullable: false },
];

/** The uniqueness key: one row per (provider, symbol, interval, bar open time). */
export const KEY_COLUMNS = ['provider', 'symbol', 'interval', 'timestamp'] as const;

/** Double-quotes an identifier (column names include the keywords `interval` and `timestamp`). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Quotes a string literal for SQL text (paths in COPY). */
export const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Name of the TEMP staging table of `table` (catalog `temp`, schema `main`). */
export const stagingTable = (table: string): string => `${table}_staging`;

/** CREATE TABLE and the two CREATE INDEX statements (DuckDB has no inline INDEX clause). */
export const createTableSql = (table: string): string[] => {
  const columns = BAR_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (${columns.join(', ')}, PRIMARY KEY (${KEY_COLUMNS.map(quoteIdent).join(', ')}))`,
    ...createIndexSql(table),
  ];
};

/** The secondary indexes: by symbol, and by (symbol, timestamp) for range reads of one symbol. */
export const createIndexSql = (table: string): string[] => [
  `CREATE INDEX IF NOT EXISTS ${quoteIdent(`idx_${table}_symbol`)} ON ${quoteIdent(table)} (symbol)`,
  `CREATE INDEX IF NOT EXISTS ${quoteIdent(`idx_${table}_symbol_timestamp`)} ON ${quoteIdent(table)} (symbol, "timestamp")`,
];

/**
 * The TEMP staging table holds the rows of a flush whose key may already be stored; one `INSERT ... ON CONFLICT
 * DO UPDATE ... SELECT` moves them into the table. Times travel as DOUBLE Unix ms (exact below 2^53) and `id` is
 * built in SQL, which keeps the JS side to typed-array writes plus three strings per row.
 */
export const createStagingSql = (table: string): string =>
  `CREATE OR REPLACE TEMP TABLE ${quoteIdent(stagingTable(table))} (provider VARCHAR, symbol VARCHAR, "interval" VARCHAR, ` +
  'open_time DOUBLE, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, vwap DOUBLE, ' +
  'trade_count INTEGER, received_at DOUBLE)';

/** `SELECT` turning staging rows into table rows, in {@link BAR_COLUMNS} order. */
export const stagingSelectSql = (table: string): string =>
  `SELECT provider || '|' || symbol || '|' || "interval" || '|' || CAST(CAST(open_time AS BIGINT) AS VARCHAR), ` +
  'provider, symbol, "interval", epoch_ms(CAST(open_time AS BIGINT)), open, high, low, close, volume, vwap, trade_count, ' +
  `epoch_ms(CAST(received_at AS BIGINT)) FROM temp.main.${quoteIdent(stagingTable(table))}`;

/** Columns an upsert overwrites: all but the key and `id` (which derives from the key). */
export const VALUE_COLUMNS: readonly string[] = BAR_COLUMNS.map((c) => c.name)
  .filter((c) => c !== 'id' && !(KEY_COLUMNS as readonly string[]).includes(c));

/**
 * Upsert from staging. ON CONFLICT DO UPDATE of the value columns is about twice as cheap as INSERT OR REPLACE,
 * which also rewrites `id`. DuckDB refuses to update one key twice in a statement: the flush dedupes first.
 */
export const upsertFromStagingSql = (table: string): string =>
  `INSERT INTO ${quoteIdent(table)} ${stagingSelectSql(table)} ON CONFLICT (${KEY_COLUMNS.map(quoteIdent).join(', ')}) ` +
  `DO UPDATE SET ${VALUE_COLUMNS.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`;

/**
 * Correction of keys known to be stored: `UPDATE ... FROM` staging, joined on the key, setting the value columns.
 * About half the cost of the `ON CONFLICT` upsert in DuckDB 1.5 (no MERGE, no insert side); it changes only rows
 * that exist, so the caller compares the changed-row count with the staged rows and upserts when a row is missing.
 */
export const updateFromStagingSql = (table: string): string => {
  const t = quoteIdent(table);
  const s = `temp.main.${quoteIdent(stagingTable(table))}`;
  const value = (c: string) => (c === 'received_at' ? 's.received_at_ts' : `s.${quoteIdent(c)}`);
  return `UPDATE ${t} SET ${VALUE_COLUMNS.map((c) => `${quoteIdent(c)} = ${value(c)}`).join(', ')} ` +
    `FROM (SELECT *, epoch_ms(CAST(open_time AS BIGINT)) AS open_ts, epoch_ms(CAST(received_at AS BIGINT)) AS received_at_ts FROM ${s}) AS s ` +
    `WHERE ${t}.provider = s.provider AND ${t}.symbol = s.symbol AND ${t}."interval" = s."interval" AND ${t}."timestamp" = s.open_ts`;
};

/** Differences between an existing table and {@link BAR_COLUMNS}; empty when the shape matches. */
export interface SchemaMismatch {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly wrongType: { column: string; expected: string; actual: string }[];
  readonly key: string | undefined;
}

/** Compares the actual columns (and primary key) of a table with the expected shape. Pure. */
export const compareShape = (
  actual: readonly { name: string; type: string; nullable: boolean }[],
  primaryKey: readonly string[] | undefined,
): SchemaMismatch => {
  const byName = new Map(actual.map((c) => [c.name, c]));
  const expected = new Set(BAR_COLUMNS.map((c) => c.name));
  const wrongType: SchemaMismatch['wrongType'] = [];
  for (const spec of BAR_COLUMNS) {
    const col = byName.get(spec.name);
    if (!col) continue;
    const want = `${spec.type}${spec.nullable ? '' : ' NOT NULL'}`;
    const got = `${col.type}${col.nullable ? '' : ' NOT NULL'}`;
    if (want !== got) wrongType.push({ column: spec.name, expected: want, actual: got });
  }
  const wantKey = KEY_COLUMNS.join(', ');
  const gotKey = primaryKey?.join(', ');
  return {
    missing: BAR_COLUMNS.filter((c) => !byName.has(c.name)).map((c) => c.name),
    unexpected: actual.filter((c) => !expected.has(c.name)).map((c) => c.name),
    wrongType,
    key: gotKey === wantKey ? undefined : `primary key is (${gotKey ?? 'none'}), expected (${wantKey})`,
  };
};

const isEmpty = (m: SchemaMismatch): boolean =>
  m.missing.length === 0 && m.unexpected.length === 0 && m.wrongType.length === 0 && m.key === undefined;

/**
 * Creates the table and its indexes, or checks an existing table's shape and adds missing indexes; throws
 * CONFIG_INVALID naming the mismatched columns when the table exists with another shape.
 */
export const ensureBarTable = async (conn: DuckDBConnection, table: string): Promise<'created' | 'existing'> => {
  const columns = await conn.runAndReadAll(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const rows = columns.getRows();
  if (rows.length === 0) {
    for (const sql of createTableSql(table)) await conn.run(sql);
    return 'created';
  }
  const actual = rows.map(([name, type, nullable]) => ({ name: String(name), type: String(type), nullable: nullable === 'YES' }));
  const keys = await conn.runAndReadAll(
    `SELECT constraint_column_names FROM duckdb_constraints()
     WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 AND constraint_type = 'PRIMARY KEY'`,
    [table],
  );
  const keyValue = keys.getRowsJson()[0]?.[0];
  const primaryKey = Array.isArray(keyValue) ? keyValue.map(String) : undefined;
  const mismatch = compareShape(actual, primaryKey);
  if (!isEmpty(mismatch)) {
    const parts = [
      mismatch.missing.length ? `missing columns ${mismatch.missing.join(', ')}` : '',
      mismatch.unexpected.length ? `unexpected columns ${mismatch.unexpected.join(', ')}` : '',
      ...mismatch.wrongType.map((w) => `column ${w.column} is ${w.actual}, expected ${w.expected}`),
      mismatch.key ?? '',
    ].filter(Boolean);
    throw realtimeError('CONFIG_INVALID',
      `table ${table} exists with another shape (${parts.join('; ')}); it is not migrated: use another table_name or migrate it`,
      { table, ...mismatch });
  }
  for (const sql of createIndexSql(table)) await conn.run(sql);
  return 'existing';
};
