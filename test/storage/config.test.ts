/** The writer config: the seed's defaults, errors that name the field, and the JSON Schema. */
import { describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../src/errors.ts';
import { decodeWriterConfig, writerConfigJsonSchema } from '../../src/storage/config.ts';

const failure = (input: unknown) => {
  try {
    decodeWriterConfig(input);
  } catch (e) {
    if (isRealtimeError(e)) return e;
    throw e;
  }
  throw new Error('decoded without error');
};

describe('decodeWriterConfig', () => {
  it('applies the seed defaults to an empty config', () => {
    expect(decodeWriterConfig({})).toEqual({
      output_path: './data/realtime.duckdb', table_name: 'realtime_market_data', flush_interval_ms: 1000, buffer_size: 100,
      enable_wal: true, max_buffered_rows: 100_000, retry_base_ms: 100, retry_max_ms: 5_000, close_retries: 3,
      resume_max_gap_ms: 7 * 24 * 3_600_000, failure_report_interval_ms: 5_000,
    });
  });

  it('keeps the values it is given', () => {
    expect(decodeWriterConfig({ output_path: '/tmp/x.duckdb', flush_interval_ms: 0, buffer_size: 7, enable_wal: false }))
      .toMatchObject({ output_path: '/tmp/x.duckdb', flush_interval_ms: 0, buffer_size: 7, enable_wal: false });
  });

  it.each([
    [{ buffer_size: 0 }, 'buffer_size'],
    [{ buffer_size: 2.5 }, 'buffer_size'],
    [{ flush_interval_ms: -1 }, 'flush_interval_ms'],
    [{ table_name: 'bars; DROP TABLE x' }, 'table_name'],
    [{ table_name: '1bars' }, 'table_name'],
    [{ enable_wal: 'yes' }, 'enable_wal'],
    [{ output_path: '' }, 'output_path'],
    [{ flushIntervalMs: 5 }, 'flushIntervalMs'],
    [{ buffer_size: 500, max_buffered_rows: 100 }, 'max_buffered_rows'],
    [{ retry_base_ms: 500, retry_max_ms: 100 }, 'retry_max_ms'],
  ])('rejects %j with CONFIG_INVALID naming %s', (input, field) => {
    const e = failure(input);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(field);
    expect(e.data).toMatchObject({ fields: [field] });
  });

  it('names every wrong field at once', () => {
    expect(failure({ buffer_size: 0, table_name: '' }).data).toMatchObject({ fields: ['table_name', 'buffer_size'] });
  });

  it('describes every key with its default in the JSON Schema', () => {
    const doc = writerConfigJsonSchema() as unknown as { schema: { properties: Record<string, { default?: unknown; description?: string }> } };
    const props = doc.schema.properties;
    expect(Object.keys(props).sort()).toEqual(Object.keys(decodeWriterConfig({})).sort());
    expect(props.buffer_size).toMatchObject({ default: 100 });
    expect(props.table_name).toMatchObject({ default: 'realtime_market_data' });
    for (const p of Object.values(props)) expect(p.description).toBeTruthy();
  });
});
