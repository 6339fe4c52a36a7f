/** The read-only guard of executeSQL against a real DuckDB database: what it lets through and why it refuses the rest. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadOnly, prepareReadOnly, selectTreeProblem } from '../../src/strategy/sql-guard.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-sql-guard-'));
let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(join(dir, 'guard.duckdb'));
  connection = await instance.connect();
  await connection.run('CREATE TABLE bars (symbol VARCHAR, close DOUBLE); INSERT INTO bars VALUES (\'BTCUSDT\', 1.5); CREATE SEQUENCE seq');
  writeFileSync(join(dir, 'secret.csv'), 'a\n1\n');
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** The reason the guard gives for `sql`, or 'ok'. */
const verdict = async (sql: string): Promise<string> => {
  try {
    await checkReadOnly(connection, sql);
    return 'ok';
  } catch (e) {
    return (e as { reason: string }).reason;
  }
};

describe('checkReadOnly', () => {
  it('lets plain SELECTs over tables, generators and catalog views through', async () => {
    for (const sql of ['SELECT * FROM bars', 'FROM bars', 'WITH x AS (SELECT 1 AS n) SELECT n FROM x', 'SELECT * FROM range(3)', 'SELECT * FROM duckdb_tables()', 'DESCRIBE bars']) {
      expect(await verdict(sql), sql).toBe('ok');
    }
  });

  it('refuses empty input and more than one statement', async () => {
    expect(await verdict('   ')).toBe('empty');
    expect(await verdict('SELECT 1; SELECT 2')).toBe('multiple_statements');
  });

  it('refuses a text of only comments or semicolons as empty, not with a raw native error', async () => {
    for (const sql of ['-- only a comment', '/* a block comment */', ';', ' ; ; ', '-- a comment\n;']) {
      await expect(checkReadOnly(connection, sql), JSON.stringify(sql)).rejects.toMatchObject({
        _tag: 'ReadOnlyQueryError', reason: 'empty', message: expect.stringContaining('no statement'),
      });
    }
  });

  it('refuses an unparsable query as a syntax error carrying DuckDB\'s parser message', async () => {
    await expect(checkReadOnly(connection, 'SELEC 1')).rejects.toMatchObject({
      _tag: 'ReadOnlyQueryError', reason: 'syntax_error', message: expect.stringMatching(/Parser Error: syntax error at or near "SELEC"/),
    });
    await expect(checkReadOnly(connection, 'SELECT close FROM')).rejects.toMatchObject({
      reason: 'syntax_error', message: expect.stringContaining('syntax error at end of input'),
    });
  });

  it('refuses every statement that is not a SELECT, naming its first word', async () => {
    for (const sql of ['DELETE FROM bars', 'INSERT INTO bars VALUES (\'x\', 1)', 'DROP TABLE bars', `COPY bars TO '${join(dir, 'out.csv')}'`, 'ATTACH \':memory:\' AS m', 'SET threads = 1']) {
      expect(await verdict(sql), sql).toBe('not_select');
    }
    await expect(checkReadOnly(connection, '/* why */ DELETE FROM bars')).rejects.toMatchObject({ message: expect.stringContaining('starts with DELETE') });
  });

  it('refuses table functions and names that read files or URLs', async () => {
    const csv = join(dir, 'secret.csv');
    expect(await verdict(`SELECT * FROM read_csv('${csv}')`)).toBe('forbidden_function');
    expect(await verdict(`SELECT * FROM glob('${dir}/*')`)).toBe('forbidden_function');
    expect(await verdict(`SELECT * FROM '${csv}'`)).toBe('forbidden_table');
    expect(await verdict('SELECT * FROM \'https://example.invalid/x.parquet\'')).toBe('forbidden_table');
  });

  it('refuses system views that show settings and paths, and state-changing scalar functions', async () => {
    expect(await verdict('SELECT * FROM duckdb_settings()')).toBe('forbidden_function');
    expect(await verdict('SELECT * FROM pg_settings')).toBe('forbidden_table');
    expect(await verdict('SELECT nextval(\'seq\')')).toBe('forbidden_function');
    expect(await verdict('SELECT current_setting(\'threads\')')).toBe('forbidden_function');
  });

  it('leaves the database as it was after refusing', async () => {
    await verdict('DELETE FROM bars');
    const rows = (await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM bars')).getRowObjectsJS();
    expect(rows).toEqual([{ n: 1 }]);
  });
});

describe('prepareReadOnly', () => {
  it('returns a prepared SELECT that runs', async () => {
    const prepared = await prepareReadOnly(connection, 'SELECT close FROM bars WHERE symbol = $1');
    expect(prepared.statementType).toBe(StatementType.SELECT);
    prepared.bindVarchar(1, 'BTCUSDT');
    expect((await prepared.runAndReadAll()).getRowObjectsJS()).toEqual([{ close: 1.5 }]);
    prepared.destroySync();
  });
});

describe('selectTreeProblem', () => {
  it('finds a forbidden node at any depth of a tree', () => {
    const tree = { statements: [{ node: { from_table: { type: 'SUBQUERY', subquery: { node: { from_table: { type: 'TABLE_FUNCTION', function: { function_name: 'READ_TEXT' } } } } } } }] };
    expect(selectTreeProblem(tree)).toMatchObject({ reason: 'forbidden_function', message: expect.stringContaining('read_text()') });
    expect(selectTreeProblem({ statements: [{ node: { from_table: { type: 'BASE_TABLE', table_name: 'bars' } } }] })).toBeUndefined();
  });
});
