/**
 * Flattens an object JSON Schema (as `jsonSchemaOf` produces it) into one row per key: name, type, default,
 * whether it is required, and its description. The `providers` command and docs/configuration.md both print
 * these rows, so what they say is what the decoder checks.
 */

/** One configuration key. */
export interface SchemaRow {
  readonly key: string;
  /** Type with its constraints, e.g. `integer ≥ 0`, `"skip" | "stop"`. */
  readonly type: string;
  /** The default as JSON, or undefined when there is none. */
  readonly default?: string;
  readonly required: boolean;
  readonly description: string;
}

type JsonObject = Record<string, unknown>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A short type text for one property schema. */
export const typeText = (p: JsonObject): string => {
  if (Array.isArray(p.enum)) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in p) return JSON.stringify(p.const);
  if (Array.isArray(p.anyOf)) return p.anyOf.map((s) => typeText(s as JsonObject)).join(' | ');
  const type = typeof p.type === 'string' ? p.type : 'any';
  const bounds: string[] = [];
  if (typeof p.minimum === 'number') bounds.push(`≥ ${p.minimum}`);
  if (typeof p.exclusiveMinimum === 'number') bounds.push(`> ${p.exclusiveMinimum}`);
  if (typeof p.maximum === 'number' && p.maximum < MAX_SAFE) bounds.push(`≤ ${p.maximum}`);
  if (typeof p.exclusiveMaximum === 'number') bounds.push(`< ${p.exclusiveMaximum}`);
  if (typeof p.minLength === 'number' && p.minLength > 0) bounds.push('non-empty');
  if (type === 'array') {
    const items = typeof p.items === 'object' && p.items !== null ? typeText(p.items as JsonObject) : 'any';
    const min = typeof p.minItems === 'number' && p.minItems > 0 ? ` (at least ${p.minItems})` : '';
    return `list of ${items}${min}`;
  }
  return [type, ...bounds].join(' ');
};

/** The rows of an object schema's properties, in declaration order. */
export const schemaRows = (schema: object): SchemaRow[] => {
  const s = schema as JsonObject;
  const properties = (s.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  return Object.entries(properties).map(([key, p]) => ({
    key,
    type: typeText(p),
    ...('default' in p ? { default: JSON.stringify(p.default) } : {}),
    required: required.has(key),
    description: typeof p.description === 'string' ? p.description : '',
  }));
};

/** An effect `Schema.Struct` as far as {@link withFieldDescriptions} needs it. */
interface StructLike {
  readonly fields?: Readonly<Record<string, { readonly ast?: { readonly annotations?: { readonly description?: unknown }; readonly checks?: readonly { readonly annotations?: { readonly description?: unknown } }[] } }>>;
}

/**
 * Fills the descriptions an object JSON Schema lost: a description given to a refined schema (e.g. a URL check)
 * is kept on the check, which the JSON Schema export drops; it is read back from the effect struct's fields.
 */
export const withFieldDescriptions = <T extends object>(jsonSchema: T, struct: unknown): T => {
  const fields = (struct as StructLike | undefined)?.fields;
  const properties = (jsonSchema as JsonObject).properties as Record<string, JsonObject> | undefined;
  if (!fields || !properties) return jsonSchema;
  const filled = Object.fromEntries(Object.entries(properties).map(([key, p]) => {
    if (typeof p.description === 'string') return [key, p];
    const ast = fields[key]?.ast;
    const description = [ast?.annotations?.description, ...(ast?.checks ?? []).map((c) => c.annotations?.description).reverse()]
      .find((d): d is string => typeof d === 'string');
    return [key, description ? { ...p, description } : p];
  }));
  return { ...jsonSchema, properties: filled };
};
