/**
 * `${VAR}` expansion in configuration strings: `${VAR}` is the variable (an error when unset), `${VAR:-text}`
 * falls back to `text` when the variable is unset or empty (as in POSIX shells), and `$${` is a literal `${`.
 * Pure: the environment is passed in, and failures are returned, so the loader can name the field and line.
 */

/** A `${NAME}` or `${NAME:-default}` reference; `$${` escapes it. */
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A value that is exactly one reference with no default, the only form a secret may take. */
const SOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Result of {@link expandEnv}: the text, or the first variable that is not set. */
export type Expansion =
  | { readonly ok: true; readonly value: string; readonly references: readonly string[] }
  | { readonly ok: false; readonly missing: string };

/** Replaces every reference in `text` with its value from `env`. */
export const expandEnv = (text: string, env: Readonly<Record<string, string | undefined>>): Expansion => {
  let missing: string | undefined;
  const references: string[] = [];
  const value = text.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return '${';
    references.push(name);
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) missing ??= name;
    return set ?? whole;
  });
  return missing === undefined ? { ok: true, value, references } : { ok: false, missing };
};

/** The variable name when `text` is exactly `${NAME}`, otherwise undefined. */
export const soleReference = (text: string): string | undefined => SOLE_REFERENCE.exec(text)?.[1];
