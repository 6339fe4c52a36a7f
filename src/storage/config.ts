/**
 * Configuration of the DuckDB realtime writer, in the seed's YAML shape (snake_case keys), decoded with effect
 * `Schema` so that defaults, JSON Schema (for `providers` and docs) and error messages come from one definition.
 */
import * as Effect from 'effect/Effect';
import * as Result from 'effect/Result';
import * as Schema from 'effect/Schema';
import { realtimeError } from '../errors.ts';

/** A SQL identifier DuckDB accepts unquoted; the table name is interpolated into DDL, so nothing else is allowed. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const withDefault = <S extends Schema.Top>(self: S, value: S['Encoded'], description: string) =>
  Schema.withDecodingDefaultKey(Effect.succeed(value))(self.annotate({ description, default: value }) as S);
const count = (min: number) => Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(min));

/** The writer's config schema: every key optional, with the seed's defaults. */
export const writerConfigSchema = Schema.Struct({
  output_path: withDefault(Schema.String.check(Schema.isMinLength(1)), './data/realtime.duckdb',
    'DuckDB database file; its directory is created when missing. `:memory:` is accepted for tests (no durability).'),
  table_name: withDefault(Schema.String.check(Schema.isPattern(IDENTIFIER)), 'realtime_market_data',
    'Table the bars are upserted into (a plain SQL identifier).'),
  flush_interval_ms: withDefault(count(0), 1000, 'Automatic flush interval in ms; 0 disables the timer.'),
  buffer_size: withDefault(count(1), 100, 'Rows buffered before a flush; also the largest batch one flush writes.'),
  enable_wal: withDefault(Schema.Boolean, true,
    'true: a flush is durable once its transaction commits to the WAL. false: each flush also CHECKPOINTs.'),
  max_buffered_rows: withDefault(count(1), 100_000,
    'Hard cap on rows held in memory; writes past it are refused with BUFFER_OVERFLOW (back-pressure). In a session, reaching it stops taking new bars: each stream becomes a gap with its exact range, fetched from REST once writes succeed again.'),
  retry_base_ms: withDefault(count(1), 100, 'First retry delay after a failed flush; doubles per attempt.'),
  retry_max_ms: withDefault(count(1), 5_000, 'Largest retry delay.'),
  close_retries: withDefault(count(0), 3, 'Failed flushes close() tolerates before it rejects with WRITE_FAILED.'),
  resume_max_gap_ms: withDefault(count(0), 7 * 24 * 3_600_000,
    'On start, bars missing since the newest stored bar of each stream are fetched from the venue\'s REST history back at most this far (default 7 days); an older part of the gap is reported with its range (GAP_UNCOVERED), not fetched.'),
  failure_report_interval_ms: withDefault(count(100), 5_000,
    'While flushes fail or bars are held back at max_buffered_rows, the failure, the rows held and the gaps are reported this often (log, status line).'),
});

/** A decoded writer config. */
export type WriterConfig = typeof writerConfigSchema.Type;

/** The config's JSON Schema document (draft 2020-12). */
export const writerConfigJsonSchema = () => Schema.toJsonSchemaDocument(writerConfigSchema);

const decode = Schema.decodeUnknownResult(writerConfigSchema);

/** Decodes and checks a writer config; throws `CONFIG_INVALID` naming every wrong field. */
export const decodeWriterConfig = (input: unknown): WriterConfig => {
  const result = decode(input ?? {}, { errors: 'all', onExcessProperty: 'error' });
  if (Result.isFailure(result)) {
    const message = result.failure.message;
    const fields = [...new Set([...message.matchAll(/at \["([^"]+)"\]/g)].map((m) => m[1]!))];
    throw realtimeError('CONFIG_INVALID', `writer config: ${message.replace(/\n\s*/g, ' ')}`, { fields });
  }
  const config = result.success;
  if (config.max_buffered_rows < config.buffer_size) {
    throw realtimeError('CONFIG_INVALID',
      `writer config: max_buffered_rows (${config.max_buffered_rows}) must be at least buffer_size (${config.buffer_size})`,
      { fields: ['max_buffered_rows'] });
  }
  if (config.retry_max_ms < config.retry_base_ms) {
    throw realtimeError('CONFIG_INVALID',
      `writer config: retry_max_ms (${config.retry_max_ms}) must be at least retry_base_ms (${config.retry_base_ms})`,
      { fields: ['retry_max_ms'] });
  }
  return config;
};
