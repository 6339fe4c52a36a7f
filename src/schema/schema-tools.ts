/**
 * Helpers around effect's Schema for configuration: optional keys with defaults, decoding that names the field
 * on failure (as a CONFIG_INVALID {@link RealtimeError}), and JSON Schema export for editors and `providers --json`.
 */
import * as Effect from 'effect/Effect';
import * as Result from 'effect/Result';
import * as Schema from 'effect/Schema';
import { realtimeError, type RealtimeError } from '../errors.ts';

/** An optional key that decodes to `value` when absent. */
export const withDefault = <S extends Schema.Top>(schema: S, value: S['Encoded'], description?: string) => {
  const inner = schema.annotate({ default: value, ...(description ? { description } : {}) } as never) as S;
  return Schema.withDecodingDefaultKey<S>(Effect.succeed(value))(inner);
};

/** An optional key without default, with a description. */
export const optional = <S extends Schema.Top>(schema: S, description: string) =>
  Schema.optionalKey(schema.annotate({ description } as never) as S);

/** A non-negative integer. */
export const NonNegativeInt = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)));

/** A positive integer. */
export const PositiveInt = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThan(0)));

/** A ws:// or wss:// URL. */
export const WsUrl = Schema.String.pipe(Schema.check(Schema.makeFilter((s: string) => /^wss?:\/\/[^\s]+$/.test(s) || 'a ws:// or wss:// URL')));

/** An http:// or https:// URL. */
export const HttpUrl = Schema.String.pipe(Schema.check(Schema.makeFilter((s: string) => /^https?:\/\/[^\s]+$/.test(s) || 'an http:// or https:// URL')));

/**
 * Decodes `input` with `schema`; unknown keys are refused (a typo must not silently fall back to a default).
 * Throws a CONFIG_INVALID error whose message names `where` and the field path.
 */
export const decodeConfig = <S extends Schema.Top>(schema: S, input: unknown, where: string): S['Type'] => {
  const result = Schema.decodeUnknownResult(schema as never)(input ?? {}, { errors: 'all', onExcessProperty: 'error' }) as Result.Result<S['Type'], Schema.SchemaError>;
  if (Result.isSuccess(result)) return result.success;
  throw configError(where, result.failure);
};

/** Turns a schema failure into a CONFIG_INVALID error naming the fields. */
export const configError = (where: string, failure: Schema.SchemaError): RealtimeError => {
  const detail = String(failure).replace(/^SchemaError\(|\)$/g, '');
  // A nested path prints as `at ["session"]["interval"]`: keep every segment, dotted.
  const fields = [...detail.matchAll(/at ((?:\[[^\]]*\])+)/g)].map((m) => [...m[1]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!.replace(/"/g, '')).join('.'));
  return realtimeError('CONFIG_INVALID', `${where}: ${detail.replace(/\n\s*/g, ' ')}`, { where, fields });
};

/** JSON Schema (draft 2020-12) of a config schema. */
export const jsonSchemaOf = (schema: Schema.Top): object => {
  const doc = Schema.toJsonSchemaDocument(schema);
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...doc.schema, $defs: doc.definitions };
};
