/**
 * `argo-realtime providers [--json]`: the realtime and trading provider registries, with metadata,
 * availability and each provider's config keys (as JSON Schema with `--json`).
 */
import pc from 'picocolors';
import { realtimeConfigJsonSchema, tradingConfigJsonSchema } from '../config/provider-schemas.ts';
import { schemaRows } from '../config/schema-table.ts';
import { realtimeProviderInfo } from '../providers/registry.ts';
import { SECRET_KEYS } from '../secrets.ts';
import { listTradingProviders } from '../trading/registry.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { Output } from './output.ts';

/** The secret keys (API key, secret) a provider's config takes from the environment. */
const secretKeysOf = (schema: object | null | undefined): string[] => (schema ? schemaRows(schema).map((r) => r.key).filter((k) => SECRET_KEYS.has(k)) : []);

/** The registries as one JSON document; `apiKeys` lists the keys a provider needs from the environment. */
export const providersDocument = () => ({
  realtime: realtimeProviderInfo().map((p) => {
    const configSchema = realtimeConfigJsonSchema(p.name);
    return { ...p, apiKeys: secretKeysOf(configSchema), configSchema };
  }),
  trading: listTradingProviders().map(({ configSchema: _schema, ...info }) => {
    const configSchema = tradingConfigJsonSchema(info.name);
    return { ...info, apiKeys: secretKeysOf(configSchema), configSchema };
  }),
});

/** How a provider authenticates, in words: its API keys, the venue's own login (IBKR's TWS), or nothing. */
export const authText = (p: { readonly requiresAuth: boolean; readonly apiKeys: readonly string[] }): string =>
  p.apiKeys.length > 0 ? `API key from the environment (${p.apiKeys.join(', ')})`
    : p.requiresAuth ? 'no API key (it trades through an application you are already logged in to)'
      : 'none';

/** Prints the registries; resolves to the exit code. */
export const runProviders = (out: Output, { json }: { json: boolean }): ExitCode => {
  const doc = providersDocument();
  if (json) {
    out.line(JSON.stringify(doc, null, 2));
    return EXIT.ok;
  }
  const section = (title: string, entries: readonly { name: string; displayName: string; description: string; requiresAuth: boolean; apiKeys: readonly string[]; available: boolean; configSchema: object | null }[], extra: (e: never) => string) => {
    out.line(pc.bold(title));
    for (const p of entries) {
      const status = p.available ? pc.green('available') : pc.yellow('planned (not available yet)');
      out.line(`  ${pc.bold(p.name)}  ${status}`);
      out.line(`    ${p.displayName}: ${p.description}`);
      out.line(pc.dim(`    auth: ${authText(p)}${extra(p as never)}`));
      if (p.configSchema) {
        for (const r of schemaRows(p.configSchema)) {
          const dflt = r.default !== undefined ? ` = ${r.default}` : r.required ? ' (required)' : '';
          out.line(`    ${pc.cyan(r.key)}: ${r.type}${dflt}${r.description ? pc.dim(`  ${r.description}`) : ''}`);
        }
      }
      out.line();
    }
  };
  section('Realtime providers (session.realtime_provider)', doc.realtime, (p: { supportedFeeds: readonly string[] }) => `; feeds: ${p.supportedFeeds.join(', ')}`);
  section('Trading providers (session.trading_provider)', doc.trading, () => '');
  out.line(pc.dim('Machine-readable, with JSON Schemas: argo-realtime providers --json'));
  return EXIT.ok;
};
