/**
 * Makes a generated JSON Schema (draft 2020-12) clean under Ajv's strict mode, without changing what it
 * accepts: `$schema` only at the document root (Ajv refuses it in sub-schemas), and an explicit `type` on every
 * sub-schema that uses keywords of one type only (`properties` → `"object"`, `items` → `"array"`, …; Ajv's
 * `strictTypes`). Adding the type is safe where it is added: conditions (`if`/`then`) nested in `properties`
 * of an object whose own schema already requires that type.
 */
type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

// Keywords whose value is one sub-schema, a map of sub-schemas, or a list of them (draft 2020-12 applicators).
const ONE = ['additionalProperties', 'items', 'contains', 'propertyNames', 'if', 'then', 'else', 'not', 'unevaluatedItems', 'unevaluatedProperties'] as const;
const MAP = ['properties', 'patternProperties', '$defs', 'dependentSchemas'] as const;
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;

// A keyword that applies to one type only, and that type.
const TYPE_OF_KEYWORD: Readonly<Record<string, string>> = {
  properties: 'object', required: 'object', additionalProperties: 'object', patternProperties: 'object',
  propertyNames: 'object', minProperties: 'object', maxProperties: 'object', dependentRequired: 'object',
  items: 'array', prefixItems: 'array', minItems: 'array', maxItems: 'array', uniqueItems: 'array', contains: 'array',
  minLength: 'string', maxLength: 'string', pattern: 'string', format: 'string',
  minimum: 'number', maximum: 'number', exclusiveMinimum: 'number', exclusiveMaximum: 'number', multipleOf: 'number',
};

// A schema combining alternatives or pinning a value states its type through them.
const typedElsewhere = (schema: JsonObject): boolean =>
  'type' in schema || 'const' in schema || 'enum' in schema || '$ref' in schema || 'anyOf' in schema || 'oneOf' in schema;

const strictSubschema = (schema: unknown): unknown => {
  if (!isObject(schema)) return schema;
  const { $schema: _dropped, ...out } = schema;
  for (const key of ONE) if (key in out) out[key] = strictSubschema(out[key]);
  for (const key of MAP) {
    const map = out[key];
    if (isObject(map)) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, strictSubschema(v)]));
  }
  for (const key of LIST) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = list.map(strictSubschema);
  }
  if (!typedElsewhere(out)) {
    const types = new Set(Object.keys(out).flatMap((k) => (TYPE_OF_KEYWORD[k] ? [TYPE_OF_KEYWORD[k]] : [])));
    if (types.size === 1) out.type = [...types][0];
  }
  return out;
};

/** `schema` with `$schema` kept at the root only and the implied `type` made explicit in every sub-schema. */
export const strictJsonSchema = (schema: JsonObject): JsonObject => {
  const out = strictSubschema(schema) as JsonObject;
  return '$schema' in schema ? { $schema: schema.$schema, ...out } : out;
};
