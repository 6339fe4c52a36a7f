import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { isRealtimeError } from '../../src/errors.ts';
import { redact } from '../../src/secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-config-'));
let n = 0;
const file = (text: string): string => {
  const path = join(dir, `config-${n++}.yaml`);
  writeFileSync(path, text);
  return path;
};

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (!isRealtimeError(e)) throw e;
    return e as unknown as { code: string; message: string; data: { fields: string[]; issues: { path: string; line?: number; column?: number }[] } };
  }
  throw new Error('expected a CONFIG_INVALID error');
};

const minimal = (extra = '') => `session:\n  realtime_provider: binance-realtime\n  symbols: [BTCUSDT]\n${extra}`;

describe('loadConfigFile', () => {
  it('parses the seed\'s Binance example as written', () => {
    const config = loadConfigFile('examples/binance.yaml', { BINANCE_TESTNET_API_KEY: 'testnet-key-1234', BINANCE_TESTNET_SECRET_KEY: 'testnet-secret-5678' });
    expect(config).toMatchObject({
      realtimeProvider: 'binance-realtime',
      realtimeProviderConfig: { use_testnet: true, buffer_size: 100, reconnect_attempts: 5, reconnect_delay_ms: 5000 },
      tradingProvider: 'binance-paper',
      tradingProviderConfig: { api_key: 'testnet-key-1234', secret_key: 'testnet-secret-5678' },
      storage: { output_path: './data/realtime.duckdb', table_name: 'realtime_market_data', flush_interval_ms: 1000, buffer_size: 100, enable_wal: true },
      symbols: ['BTCUSDT', 'ETHUSDT'],
      interval: '1m',
    });
  });

  it('parses the seed\'s Polygon example as written', () => {
    const config = loadConfigFile('examples/polygon.yaml', { POLYGON_API_KEY: 'polygon-key-1234' });
    expect(config).toMatchObject({
      realtimeProvider: 'polygon-realtime',
      realtimeProviderConfig: { api_key: 'polygon-key-1234', feed: 'stocks' },
      tradingProvider: 'ibkr-paper',
      symbols: ['AAPL', 'GOOGL', 'MSFT'],
    });
  });

  it('parses the three-line real-Binance example with the strategy path resolved against the file', () => {
    const config = loadConfigFile('examples/binance-paper.yaml', {});
    expect(config.tradingProvider).toBe('paper');
    expect(config.strategy?.path).toBe(resolve('examples/ma-cross.strategy.ts'));
  });

  it('expands ${VAR} and ${VAR:-default}, typing unquoted whole references', () => {
    const path = file(minimal(`  realtime_provider_config:\n    reconnect_attempts: \${ATTEMPTS:-3}\n    use_testnet: \${TESTNET}\n    ws_url: "ws://\${HOST:-127.0.0.1}:9443"\n  storage_config:\n    output_path: "$\${DATA_DIR}/\${DATA_DIR}/bars.duckdb"\n`));
    const config = loadConfigFile(path, { TESTNET: 'true', DATA_DIR: '/tmp/argo' });
    expect(config.realtimeProviderConfig).toEqual({ reconnect_attempts: 3, use_testnet: true, ws_url: 'ws://127.0.0.1:9443' });
    expect(config.storage.output_path).toBe('${DATA_DIR}//tmp/argo/bars.duckdb');
  });

  it('names a missing environment variable with its field and line', () => {
    const path = file(minimal(`  realtime_provider_config:\n    ws_url: \${SIM_WS_URL}\n`));
    const e = failure(() => loadConfigFile(path, {}));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('environment variable SIM_WS_URL is not set');
    expect(e.message).toContain(`${path}:5:13: session.realtime_provider_config.ws_url`);
  });

  it('refuses a literal secret and tells where to put it', () => {
    const path = file(minimal(`  trading_provider: binance-live\n  trading_provider_config:\n    api_key: my-real-key-123\n    secret_key: \${BINANCE_SECRET_KEY}\n`));
    const e = failure(() => loadConfigFile(path, { BINANCE_SECRET_KEY: 'secret-from-env' }));
    expect(e.message).toContain('session.trading_provider_config.api_key: a secret cannot be written in the file');
    expect(e.message).toContain('${BINANCE_API_KEY}');
    expect(e.message).not.toContain('my-real-key-123');
  });

  it('registers expanded secrets so that they are redacted', () => {
    const path = file(minimal(`  trading_provider: binance-live\n  trading_provider_config:\n    api_key: \${K}\n    secret_key: \${S}\n`));
    loadConfigFile(path, { K: 'key-that-must-not-leak', S: 'secret-that-must-not-leak' });
    expect(redact('using key-that-must-not-leak and secret-that-must-not-leak')).toBe('using *** and ***');
  });

  it('names a wrong nested field with its full path, what was expected and its line', () => {
    const path = file(minimal(`  realtime_provider_config:\n    reconnect_attempts: five\n`));
    const e = failure(() => loadConfigFile(path, {}));
    expect(e.message).toBe(`${path}:5:25: session.realtime_provider_config.reconnect_attempts: expected number, got "five"`);
    expect(e.data.fields).toEqual(['session.realtime_provider_config.reconnect_attempts']);
  });

  it('lists every wrong top-level field at once', () => {
    const path = file(`session:\n  realtime_provider: binance-realtime\n  symbolz: [BTCUSDT]\n  interval: 7m\n`);
    const e = failure(() => loadConfigFile(path, {}));
    // In file order; a missing key is located at its parent (`session:`, line 1).
    expect(e.data.fields).toEqual(['session.symbols', 'session.symbolz', 'session.interval']);
    expect(e.message).toContain(`${path}:3:3: session.symbolz: is not a known key`);
    expect(e.message).toContain('session.symbols: is required but missing');
    expect(e.message).toMatch(/session\.interval: expected "1s" \| "1m" .*, got "7m"/);
  });

  it('reports problems at the top level and in every nested section in one run, in file order', () => {
    const path = file([
      'session:',
      '  realtime_provider: binance-realtime',
      '  realtime_provider_config: { reconnect_attempts: five }',
      '  trading_provider_config: { initial_cash: -5 }',
      '  storage_config: { flush_interval_ms: -1 }',
      '  symbolz: [BTCUSDT]',
      '  symbols: [BTCUSDT]',
      'strategy:',
      '  path: ' + resolve('examples/ma-cross.strategy.ts'),
      '  budget_ms: 0',
    ].join('\n'));
    const e = failure(() => loadConfigFile(path, {}));
    expect(e.message.split('\n')).toEqual([
      `${path}:3:51: session.realtime_provider_config.reconnect_attempts: expected number, got "five"`,
      `${path}:4:44: session.trading_provider_config.initial_cash: expected a value greater than 0, got -5`,
      `${path}:5:40: session.storage_config.flush_interval_ms: expected a value greater than or equal to 0, got -1`,
      `${path}:6:3: session.symbolz: is not a known key (check the spelling; unknown keys are refused)`,
      `${path}:10:14: strategy.budget_ms: expected a value greater than 0, got 0`,
    ]);
  });

  it('locates an unknown trading provider at trading_provider, not at its config', () => {
    const path = file(minimal('  trading_provider: papr\n  trading_provider_config: { initial_cash: 1000 }\n'));
    const e = failure(() => loadConfigFile(path, {}));
    expect(e.message).toBe(`${path}:4:21: session.trading_provider: unknown trading provider "papr"; known: paper, binance-paper, binance-live, ibkr-paper, ibkr-live`);
    expect(e.data.fields).toEqual(['session.trading_provider']);
  });

  it('names an unknown provider', () => {
    const path = file(`session:\n  realtime_provider: kraken-realtime\n  symbols: [XBTUSD]\n`);
    const e = failure(() => loadConfigFile(path, {}));
    expect(e.message).toContain(`${path}:2:22: session.realtime_provider: unknown provider "kraken-realtime"`);
  });

  it('locates a YAML syntax error', () => {
    const path = file(`session:\n  realtime_provider: binance-realtime\n  symbols: [BTCUSDT\n`);
    const e = failure(() => loadConfigFile(path, {}));
    expect(e.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`));
    expect(e.data.issues[0]?.line).toBeGreaterThan(2);
  });

  it('refuses a duplicate key', () => {
    const e = failure(() => parseConfigText(minimal('  symbols: [ETHUSDT]\n'), { file: 'dup.yaml', baseDir: dir, env: {} }));
    expect(e.message).toMatch(/^dup\.yaml:4:3: YAML syntax error: Map keys must be unique/);
  });

  it('names a missing strategy module', () => {
    const e = failure(() => parseConfigText(`${minimal()}strategy:\n  path: nowhere.strategy.ts\n`, { file: 's.yaml', baseDir: dir, env: {} }));
    expect(e.message).toContain(`s.yaml:5:9: strategy.path: strategy module not found: ${join(dir, 'nowhere.strategy.ts')}`);
  });

  it('names an unreadable file and an empty one', () => {
    expect(failure(() => loadConfigFile(join(dir, 'missing.yaml'))).message).toContain('missing.yaml: cannot read the configuration: file not found');
    expect(failure(() => loadConfigFile(file(''))).message).toContain('the file is empty');
  });
});
