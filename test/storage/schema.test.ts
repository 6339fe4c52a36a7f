/** The bar table's shape check (pure) and how an existing table of the right shape is adopted. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { BAR_COLUMNS, KEY_COLUMNS, compareShape, createTableSql, ensureBarTable } from '../../src/storage/schema.ts';

const expected = BAR_COLUMNS.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));

describe('compareShape', () => {
  it('finds nothing wrong with the expected shape', () => {
    expect(compareShape(expected, KEY_COLUMNS)).toEqual({ missing: [], unexpected: [], wrongType: [], key: undefined });
  });

  it('names missing, unexpected and retyped columns, nullability included', () => {
    const actual = [
      ...expected.filter((c) => c.name !== 'vwap').map((c) => (c.name === 'close' ? { ...c, nullable: true } : c)),
      { name: 'note', type: 'VARCHAR', nullable: true },
    ].map((c) => (c.name === 'trade_count' ? { ...c, type: 'BIGINT' } : c));
    expect(compareShape(actual, KEY_COLUMNS)).toEqual({
      missing: ['vwap'], unexpected: ['note'], key: undefined,
      wrongType: [
        { column: 'close', expected: 'DOUBLE NOT NULL', actual: 'DOUBLE' },
        { column: 'trade_count', expected: 'INTEGER', actual: 'BIGINT' },
      ],
    });
  });

  it('requires the (provider, symbol, interval, timestamp) primary key', () => {
    expect(compareShape(expected, undefined).key).toMatch(/primary key is \(none\)/);
    expect(compareShape(expected, ['id']).key).toMatch(/primary key is \(id\)/);
  });
});

describe('ensureBarTable', () => {
  it('adopts an existing table of the right shape and adds its missing indexes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-test-'));
    const instance = await DuckDBInstance.create(path.join(dir, 'x.duckdb'));
    try {
      const conn = await instance.connect();
      await conn.run(createTableSql('bars')[0]!);
      expect(await ensureBarTable(conn, 'bars')).toBe('existing');
      const indexes = (await conn.runAndReadAll(`SELECT index_name FROM duckdb_indexes() WHERE table_name = 'bars' ORDER BY 1`)).getRows();
      expect(indexes).toEqual([['idx_bars_symbol'], ['idx_bars_symbol_timestamp']]);
      expect(await ensureBarTable(conn, 'other')).toBe('created');
      conn.closeSync();
    } finally {
      instance.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
