import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, readReference, renderConfigReference } from '../../src/cli/config-docs.ts';
import { schemaRows } from '../../src/config/schema-table.ts';
import { realtimeConfigJsonSchema, riskSectionJsonSchema, sessionSectionJsonSchema, storageConfigJsonSchema, strategySectionJsonSchema, tradingConfigJsonSchema } from '../../src/config/provider-schemas.ts';
import { realtimeProviderInfo } from '../../src/providers/registry.ts';
import { listTradingProviders } from '../../src/trading/registry.ts';

describe('docs/configuration.md', () => {
  it('holds the reference the schemas generate', () => {
    const committed = readReference(readFileSync(CONFIG_DOC, 'utf8'));
    expect(committed, 'stale: run `node src/cli/config-docs.ts`').toBe(renderConfigReference());
  });

  it('gives every key of every section a meaning', () => {
    const schemas = [
      sessionSectionJsonSchema(), strategySectionJsonSchema(), storageConfigJsonSchema(), riskSectionJsonSchema(),
      ...realtimeProviderInfo().map((p) => realtimeConfigJsonSchema(p.name)).filter((s): s is object => s !== null),
      ...listTradingProviders().map((p) => tradingConfigJsonSchema(p.name)!),
    ];
    for (const schema of schemas) {
      for (const row of schemaRows(schema)) expect(row.description, `${row.key} has no description`).not.toBe('');
    }
  });
});
