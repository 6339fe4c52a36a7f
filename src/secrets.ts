/**
 * Secret hygiene: keys come from the environment only and must never reach logs, errors, traces or DuckDB.
 * Components register the secrets they hold; every outward text path runs through {@link redact}.
 */

const registered = new Set<string>();

/** Remembers a secret value so that {@link redact} removes it from any text. Values under 4 chars are ignored. */
export const registerSecret = (value: string | undefined): void => {
  if (value && value.length >= 4) registered.add(value);
};

/** Replaces every registered secret (and URL `apiKey=` / `signature=` parameters) in `text` with `***`. */
export const redact = (text: string): string => {
  let out = text;
  for (const s of registered) if (out.includes(s)) out = out.split(s).join('***');
  return out.replace(/([?&](?:apiKey|apikey|api_key|signature)=)[^&\s"']+/g, '$1***');
};

/** Config keys that hold secrets; a literal value for one of them in a config file is refused. */
export const SECRET_KEYS = new Set(['api_key', 'secret_key', 'apiKey', 'secretKey', 'api_secret', 'password', 'token']);
