/**
 * The read-only guard of `executeSQL`: a strategy may run one SELECT over the session's DuckDB database and
 * nothing else. Decisions come from DuckDB's own parser, never from regular expressions over SQL text:
 *
 * 1. `connection.extractStatements(sql)` must find exactly one statement (a text of only comments or semicolons
 *    is refused as `empty`, one DuckDB cannot parse as `syntax_error` with the parser's message).
 * 2. `json_serialize_sql(sql)` (parse only, nothing is bound or run) must succeed, which it does only for
 *    SELECT statements (including `FROM t`, `WITH`, `DESCRIBE`, `SUMMARIZE`, `SHOW`). The resulting syntax
 *    tree is walked: every table function must be on {@link ALLOWED_TABLE_FUNCTIONS} (so `read_csv`,
 *    `read_parquet`, `read_json*`, `read_text`, `read_blob`, `glob`, `query`, `sniff_csv`, extension scanners
 *    and any function added later are refused), every table reference must be a plain identifier (DuckDB
 *    would read `FROM '/etc/passwd'` or `FROM 'https://…'` as a file through a replacement scan) and not a
 *    system view that shows settings or paths (`pg_settings`, `duckdb_settings`, `duckdb_databases`), and no
 *    scalar function on {@link FORBIDDEN_SCALAR_FUNCTIONS} may appear.
 * 3. Only then is the statement prepared, and `prepared.statementType` must be `SELECT`.
 *
 * The tree check comes before `prepare` on purpose: binding already has effects for some statements
 * (preparing `EXPORT DATABASE 'dir'` creates the directory; binding `read_csv(path)` opens and sniffs the
 * file). The caller runs all of this inside `BEGIN TRANSACTION READ ONLY`, so a write that got through anyway
 * (e.g. a sequence's `nextval`) would still fail in DuckDB itself.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { ReadOnlyQueryError, type ReadOnlyQueryReason } from './errors.ts';

/** Table functions a strategy may call: generators and catalog views, none of which touch files or the network. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range', 'generate_series', 'unnest', 'json_each', 'json_tree',
  'duckdb_tables', 'duckdb_views', 'duckdb_columns', 'duckdb_schemas', 'duckdb_types', 'duckdb_indexes',
  'duckdb_constraints', 'duckdb_functions', 'duckdb_keywords', 'pragma_table_info',
]);

/** Scalar functions refused anywhere in a query: they change state or expose the host's settings. */
export const FORBIDDEN_SCALAR_FUNCTIONS: ReadonlySet<string> = new Set(['nextval', 'setseed', 'current_setting', 'getvariable']);

// DuckDB's system views (`pg_settings`, `duckdb_settings`, `duckdb_databases`, `pragma_database_list`, …) show
// settings such as enable_external_access and the paths of attached files: only the catalog views that
// describe tables and types are allowed, the same ones as the table functions above.
const SYSTEM_VIEW = /^(pg_|duckdb_|pragma_|sqlite_)/i;

// A replacement scan only triggers on names that look like paths or URLs; a bare identifier cannot.
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A reason to refuse a query. */
export interface QueryProblem {
  readonly reason: ReadOnlyQueryReason;
  readonly message: string;
}

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

const functionName = (node: Record<string, unknown>): string =>
  String(node.function_name ?? '').toLowerCase();

const nodeProblem = (node: Record<string, unknown>): QueryProblem | undefined => {
  if (node.type === 'TABLE_FUNCTION') {
    const name = functionName(asRecord(node.function) ?? {});
    if (!ALLOWED_TABLE_FUNCTIONS.has(name)) {
      return {
        reason: 'forbidden_function',
        message: `table function ${name}() is not allowed (only ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')}); ` +
          'executeSQL cannot read files or URLs',
      };
    }
  } else if (node.type === 'BASE_TABLE') {
    const name = String(node.table_name ?? '');
    if (!PLAIN_IDENTIFIER.test(name)) {
      return { reason: 'forbidden_table', message: `"${name}" is not a plain table name; executeSQL cannot read files or URLs` };
    }
    if (SYSTEM_VIEW.test(name) && !ALLOWED_TABLE_FUNCTIONS.has(name.toLowerCase())) {
      return { reason: 'forbidden_table', message: `system view ${name} is not allowed: it shows the host's settings and file paths` };
    }
  } else if (node.class === 'FUNCTION' && FORBIDDEN_SCALAR_FUNCTIONS.has(functionName(node))) {
    return { reason: 'forbidden_function', message: `function ${functionName(node)}() is not allowed in executeSQL` };
  }
  return undefined;
};

/** The first reason to refuse a SELECT given as DuckDB's `json_serialize_sql` tree, or undefined when it is allowed. */
export const selectTreeProblem = (tree: unknown): QueryProblem | undefined => {
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      stack.push(...v);
    } else if (typeof v === 'object' && v !== null) {
      const node = v as Record<string, unknown>;
      const problem = nodeProblem(node);
      if (problem) return problem;
      stack.push(...Object.values(node));
    }
  }
  return undefined;
};

const refuse = (problem: QueryProblem): never => {
  throw new ReadOnlyQueryError({ reason: problem.reason, message: `executeSQL refused the query: ${problem.message}` });
};

/** What `json_serialize_sql` says about a text: its statements' trees, or the parser's or serialiser's error. */
interface SerializedSql {
  readonly error?: boolean;
  readonly error_type?: string;
  readonly error_message?: string;
  readonly statements?: readonly unknown[];
}

// Parse only: nothing is bound or run, so this is safe on any text, including a write or a syntax error.
const serialize = async (connection: DuckDBConnection, sql: string): Promise<SerializedSql> => {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [sql]);
  return JSON.parse(String(reader.getRowObjects()[0]?.tree)) as SerializedSql;
};

const leadingWord = (sql: string): string =>
  sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '').split(/[\s(;]/, 1)[0]?.toUpperCase() ?? '';

/** Throws a {@link ReadOnlyQueryError} unless `sql` is one SELECT that reads only tables; parses, never binds or runs. */
export const checkReadOnly = async (connection: DuckDBConnection, sql: string): Promise<void> => {
  if (sql.trim() === '') refuse({ reason: 'empty', message: 'the query is empty' });
  const tree = await serialize(connection, sql);
  const extracted = await connection.extractStatements(sql).catch((e: unknown) => {
    // extractStatements fails with a bare "Error in native callback" when the text holds no statement
    // (only comments or semicolons), and with DuckDB's parser message on a syntax error: the parse-only
    // tree tells the two apart, so neither reaches the strategy as a raw native error.
    if (!tree.error && tree.statements?.length === 0) refuse({ reason: 'empty', message: 'the query has no statement (only comments or semicolons)' });
    if (tree.error_type === 'parser') {
      const parser = e instanceof Error ? e.message.replace(/^Failed to extract statements: /, '') : `Parser Error: ${tree.error_message ?? 'syntax error'}`;
      refuse({ reason: 'syntax_error', message: parser });
    }
    throw e;
  });
  if (extracted.count === 0) refuse({ reason: 'empty', message: 'the query has no statement' });
  if (extracted.count > 1) {
    refuse({ reason: 'multiple_statements', message: `exactly one statement is allowed, got ${extracted.count}` });
  }
  if (tree.error) {
    refuse({
      reason: 'not_select',
      // The word is only quoted to help the reader; the decision is the parser's (`json_serialize_sql`).
      message: `only a SELECT statement is allowed, this one starts with ${leadingWord(sql)} (${tree.error_message ?? 'not a SELECT'})`,
    });
  }
  const problem = selectTreeProblem(tree);
  if (problem) refuse(problem);
};

/** Checks `sql` with {@link checkReadOnly}, then prepares it and verifies that DuckDB binds it as a SELECT. */
export const prepareReadOnly = async (connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> => {
  await checkReadOnly(connection, sql);
  const prepared = await connection.prepare(sql);
  if (prepared.statementType !== StatementType.SELECT) {
    const type = StatementType[prepared.statementType] ?? String(prepared.statementType);
    prepared.destroySync();
    refuse({ reason: 'not_select', message: `only a SELECT statement is allowed, DuckDB bound a ${type} statement` });
  }
  return prepared;
};
