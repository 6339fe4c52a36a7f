import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderSchemaFile, SCHEMA_FILE } from '../../scripts/gen-config-schema.ts';

// Strict mode throws on every schema problem Ajv knows (unknown keywords, implied types, `$schema` in a
// sub-schema); a warning is turned into a failure too.
const strictAjv = () => new Ajv2020({ strict: true, allErrors: true, logger: { log: () => {}, warn: (m: unknown) => { throw new Error(String(m)); }, error: () => {} } });
const validator = () => strictAjv().compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);

const EXAMPLES = readdirSync('examples').filter((f) => f.endsWith('.yaml')).sort();

describe('schema/session-config.schema.json', () => {
  it('holds the schema `argo-realtime schema` prints', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8'), 'stale: run `npm run docs:schema`').toBe(renderSchemaFile());
  });

  it('compiles under Ajv strict mode', () => {
    expect(() => validator()).not.toThrow();
  });

  it.each(EXAMPLES)('accepts examples/%s', (file) => {
    const validate = validator();
    const ok = validate(parse(readFileSync(`examples/${file}`, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('finds every example', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(3);
  });

  it('applies the default trading provider\'s config when trading_provider is absent, and only that one', () => {
    const validate = validator();
    const session = { realtime_provider: 'binance-realtime', symbols: ['BTCUSDT'], interval: '1m' };
    expect(validate({ session: { ...session, trading_provider_config: { initial_cash: 5_000 } } })).toBe(true);
    expect(validate({ session: { ...session, trading_provider_config: { initial_cash: 5_000, api_key: '${KEY}' } } })).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ additionalProperty: 'api_key' });
  });

  it('applies the chosen trading provider\'s config', () => {
    const validate = validator();
    const session = { realtime_provider: 'binance-realtime', symbols: ['BTCUSDT'], interval: '1m', trading_provider: 'binance-paper' };
    expect(validate({ session: { ...session, trading_provider_config: { initial_cash: 5_000 } } })).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ missingProperty: 'api_key' });
  });

  it('refuses an unknown key, as the loader does', () => {
    const validate = validator();
    expect(validate({ session: { realtime_provider: 'binance-realtime', symbols: ['BTCUSDT'], interval: '1m', simbols: [] } })).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ additionalProperty: 'simbols' });
  });
});
