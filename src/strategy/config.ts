/**
 * Strategy config against the strategy's `configSchema`: the JSON Schema subset strategies need (`type`,
 * `properties`, `required`, `default`, `enum`, `minimum`/`maximum`, `exclusiveMinimum`/`exclusiveMaximum`,
 * `items`, `additionalProperties: false`). Defaults fill missing properties, then the value is checked and
 * every problem is named by its path (`config.fast: must be >= 1`). Other keywords are ignored; a full
 * validator is not a dependency of this project.
 */

/** The JSON Schema subset a strategy's `configSchema` may use. */
export interface JsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';
  readonly description?: string;
  readonly title?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: JsonSchema;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
}

/** A resolved config, or every problem found in it. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Record<string, unknown> }
  | { readonly ok: false; readonly problems: readonly string[] };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const typeMatches = (type: NonNullable<JsonSchema['type']>, v: unknown): boolean => {
  switch (type) {
    case 'object': return isPlainObject(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
  }
};

const withDefaults = (schema: JsonSchema, value: unknown): unknown => {
  if (!isPlainObject(value) || !schema.properties) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (out[key] === undefined && sub.default !== undefined) out[key] = structuredClone(sub.default);
    if (out[key] !== undefined) out[key] = withDefaults(sub, out[key]);
  }
  return out;
};

const check = (schema: JsonSchema, value: unknown, path: string, problems: string[]): void => {
  if (schema.type && !typeMatches(schema.type, value)) {
    problems.push(`${path}: must be ${schema.type === 'integer' ? 'an integer' : `of type ${schema.type}`}`);
    return;
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    problems.push(`${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: must be <= ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
      problems.push(`${path}: must be > ${schema.exclusiveMinimum}`);
    }
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
      problems.push(`${path}: must be < ${schema.exclusiveMaximum}`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => check(schema.items as JsonSchema, item, `${path}[${i}]`, problems));
  }
  if (isPlainObject(value)) {
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) problems.push(`${path}.${key}: is required`);
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = schema.properties?.[key];
      if (sub) {
        if (v !== undefined) check(sub, v, `${path}.${key}`, problems);
      } else if (schema.additionalProperties === false) {
        problems.push(`${path}.${key}: is not a known property`);
      }
    }
  }
};

/** Fills `config` with the schema's defaults and checks it; without a schema any plain object passes. */
export const resolveConfig = (schema: JsonSchema | undefined, config: unknown): ConfigResult => {
  const input = config ?? {};
  if (!isPlainObject(input)) return { ok: false, problems: ['config: must be an object'] };
  if (!schema) return { ok: true, config: input };
  const resolved = withDefaults(schema, input) as Record<string, unknown>;
  const problems: string[] = [];
  check(schema, resolved, 'config', problems);
  return problems.length === 0 ? { ok: true, config: resolved } : { ok: false, problems };
};
