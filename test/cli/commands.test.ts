import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type JsonSchema } from '../../src/strategy/config.ts';
import { runCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-cli-'));

describe('argo-realtime providers', () => {
  it('lists both registries with metadata, availability and config schemas as JSON', async () => {
    const r = await runCli(['providers', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      realtime: { name: string; available: boolean; requiresAuth: boolean; configSchema: { properties?: object } | null }[];
      trading: { name: string; available: boolean; configSchema: { properties: object } }[];
    };
    expect(doc.realtime.map((p) => p.name)).toEqual(expect.arrayContaining(['binance-realtime', 'polygon-realtime']));
    expect(doc.realtime.find((p) => p.name === 'binance-realtime')).toMatchObject({ available: true, requiresAuth: false });
    expect(Object.keys(doc.realtime.find((p) => p.name === 'binance-realtime')!.configSchema!.properties!)).toContain('reconnect_attempts');
    expect(doc.trading.map((p) => p.name)).toEqual(['paper', 'binance-paper', 'binance-live', 'ibkr-paper', 'ibkr-live']);
    expect(doc.trading.find((p) => p.name === 'paper')).toMatchObject({ available: true });
    expect(Object.keys(doc.trading.find((p) => p.name === 'paper')!.configSchema.properties)).toContain('initial_cash');
  });

  it('prints the registries for people, with each config key and default', async () => {
    const r = await runCli(['providers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('binance-realtime  available');
    expect(r.stdout).toContain('reconnect_attempts: integer ≥ 0 = 10');
    expect(r.stdout).toContain('initial_cash: number > 0 = 100000');
  });
});

describe('argo-realtime schema', () => {
  it('prints a JSON Schema of the whole config that accepts the examples and refuses unknown keys', async () => {
    const r = await runCli(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as JsonSchema & { $schema: string; allOf: { if: object; then: { properties: { session: JsonSchema } } }[] };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['session']);
    const session = schema.properties!.session!;
    expect(session.additionalProperties).toBe(false);
    expect(session.properties!.realtime_provider!.enum).toEqual(expect.arrayContaining(['binance-realtime', 'polygon-realtime']));
    expect(session.properties!.storage_config!.properties!.flush_interval_ms).toMatchObject({ type: 'integer', default: 1000 });
    // The subset validator of strategy configs checks type, properties, required, enum, bounds, additionalProperties.
    for (const example of ['examples/binance.yaml', 'examples/binance-paper.yaml']) {
      expect(resolveConfig(schema, parse((await import('node:fs')).readFileSync(example, 'utf8')))).toMatchObject({ ok: true });
    }
    expect(resolveConfig(schema, { session: { realtime_provider: 'binance-realtime', symbols: ['BTCUSDT'], symbolz: [] } })).toMatchObject({ ok: false });
    const binance = schema.allOf.find((c) => JSON.stringify(c.if).includes('"binance-realtime"'))!;
    const providerConfig = binance.then.properties.session.properties!.realtime_provider_config!;
    expect(resolveConfig(providerConfig, { reconnect_attempts: 5 })).toMatchObject({ ok: true });
    expect(resolveConfig(providerConfig, { reconnect_attempts: 'five' })).toMatchObject({ ok: false });
  });
});

describe('argo-realtime query', () => {
  const db = join(dir, 'bars.duckdb');
  beforeAll(async () => {
    const instance = await DuckDBInstance.create(db);
    const c = await instance.connect();
    await c.run(`CREATE TABLE realtime_market_data (symbol VARCHAR, "timestamp" TIMESTAMP, close DOUBLE, trade_count BIGINT)`);
    await c.run(`INSERT INTO realtime_market_data VALUES ('BTCUSDT', TIMESTAMP '2026-01-01 00:00:00', 93000.5, 12), ('ETHUSDT', TIMESTAMP '2026-01-01 00:00:00', 3300.25, 7)`);
    c.closeSync();
    instance.closeSync();
  });

  it('prints a SELECT as an aligned table', async () => {
    const r = await runCli(['query', '--db', db, 'SELECT symbol, "timestamp", close, trade_count FROM realtime_market_data ORDER BY symbol']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      'symbol   timestamp              close  trade_count',
      '───────  ───────────────────  ───────  ───────────',
      'BTCUSDT  2026-01-01 00:00:00  93000.5           12',
      'ETHUSDT  2026-01-01 00:00:00  3300.25            7',
    ]);
    expect(r.stdout).toContain('(2 rows)');
  });

  it('prints rows as JSON with --json', async () => {
    const r = await runCli(['query', '--db', db, '--json', 'SELECT symbol, trade_count FROM realtime_market_data ORDER BY symbol']);
    expect(JSON.parse(r.stdout)).toEqual([{ symbol: 'BTCUSDT', trade_count: 12 }, { symbol: 'ETHUSDT', trade_count: 7 }]);
  });

  it('refuses a write and leaves the file unchanged', async () => {
    const r = await runCli(['query', '--db', db, 'DELETE FROM realtime_market_data']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused only a SELECT statement is allowed, this one starts with DELETE/);
    const reads = await runCli(['query', '--db', db, '--json', 'SELECT count(*) AS n FROM realtime_market_data']);
    expect(JSON.parse(reads.stdout)).toEqual([{ n: 2 }]);
  });

  it('refuses reading other files through DuckDB table functions', async () => {
    const r = await runCli(['query', '--db', db, "SELECT * FROM read_csv('/etc/passwd')"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('table function read_csv() is not allowed');
  });

  it('names a database file that does not exist', async () => {
    const r = await runCli(['query', '--db', join(dir, 'nope.duckdb'), 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no database file at');
  });
});

describe('argo-realtime run with a bad configuration', () => {
  it('exits 2 with a message naming the field', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'session:\n  realtime_provider: binance-realtime\n  symbols: [BTCUSDT]\n  realtime_provider_config:\n    reconnect_attempts: -1\n');
    const r = await runCli(['run', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${config}:5:25: session.realtime_provider_config.reconnect_attempts: expected a value greater than or equal to 0, got -1`);
    expect(r.stdout).toBe('');
  });

  it('names a missing environment variable', async () => {
    const r = await runCli(['run', '--config', 'examples/binance.yaml'], { env: { BINANCE_TESTNET_SECRET_KEY: 'set-but-not-the-other' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('session.trading_provider_config.api_key: environment variable BINANCE_TESTNET_API_KEY is not set');
    expect(r.stderr).not.toContain('set-but-not-the-other');
  });

  it('refuses a literal API key without printing it', async () => {
    const config = join(dir, 'literal.yaml');
    writeFileSync(config, 'session:\n  realtime_provider: binance-realtime\n  symbols: [BTCUSDT]\n  trading_provider: binance-live\n  trading_provider_config:\n    api_key: AbCdEf123456literal\n    secret_key: ${SECRET}\n');
    const r = await runCli(['run', '--config', config], { env: { SECRET: 'from-env-secret' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('api_key: a secret cannot be written in the file; put it in an environment variable and write `api_key: ${BINANCE_API_KEY}`');
    expect(r.stderr + r.stdout).not.toContain('AbCdEf123456literal');
  });

  it('exits 2 on a usage error', async () => {
    const r = await runCli(['record', '--interval', '7m', '--symbols', 'BTCUSDT']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("argument '7m' is invalid");
  });

  it('names the flag when record flags are wrong', async () => {
    const r = await runCli(['record', '--symbols', 'BTCUSDT', '--ws-url', 'http://not-a-websocket']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ws-url: expected a ws:// or wss:// URL, got "http://not-a-websocket"');
  });
});
