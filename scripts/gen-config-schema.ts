/**
 * Writes the JSON Schema of the config file (`configFileJsonSchema`, the same text `argo-realtime schema`
 * prints) to schema/session-config.schema.json, the file the package ships for editors to reference by
 * path. Rerun after adding or changing a config key; test/config/schema-file.test.ts fails while it is stale.
 *
 *   node scripts/gen-config-schema.ts           (npm run docs:schema) rewrite the file
 *   node scripts/gen-config-schema.ts --check   exit 1 when the committed file is stale
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFileJsonSchema } from '../src/config/json-schema.ts';

/** schema/session-config.schema.json. */
export const SCHEMA_FILE = fileURLToPath(new URL('../schema/session-config.schema.json', import.meta.url));

/** The file's text: the schema as `argo-realtime schema` prints it, with a final newline. */
export const renderSchemaFile = (): string => `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`;

const main = (check: boolean): number => {
  const fresh = renderSchemaFile();
  const current = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, 'utf8') : undefined;
  if (current === fresh) return 0;
  if (check) {
    process.stderr.write('schema/session-config.schema.json is stale; run `npm run docs:schema`\n');
    return 1;
  }
  mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, fresh);
  process.stdout.write('schema/session-config.schema.json: updated\n');
  return 0;
};

if (import.meta.main) process.exitCode = main(process.argv.includes('--check'));
