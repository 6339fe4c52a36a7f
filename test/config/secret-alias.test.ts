/**
 * A literal secret smuggled into a secret key through a YAML anchor and alias is refused like any literal
 * (issue #14), and so is an alias of an expanded `${VAR}` written under a key that is not a secret (it would
 * escape registration for redaction).
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { isRealtimeError } from '../../src/errors.ts';

const failure = (fn: () => unknown): { message: string; data: { fields: string[] } } => {
  try {
    fn();
  } catch (e) {
    if (!isRealtimeError(e)) throw e;
    return e as unknown as { message: string; data: { fields: string[] } };
  }
  throw new Error('expected a CONFIG_INVALID error');
};

const config = (id: string, apiKey: string) => [
  'session:',
  `  id: ${id}`,
  '  realtime_provider: binance-realtime',
  '  symbols: [BTCUSDT]',
  '  trading_provider: binance-paper',
  '  trading_provider_config:',
  `    api_key: ${apiKey}`,
  '    secret_key: ${BINANCE_SECRET_KEY}',
  '',
].join('\n');

describe('secrets and YAML aliases', () => {
  it('refuses a literal secret that reaches api_key through an anchor and alias, without printing it', () => {
    const e = failure(() => parseConfigText(config('&k LITERALKEYr4t5y6', '*k'), { file: 'alias.yaml', baseDir: '.', env: { BINANCE_SECRET_KEY: 'env-secret-1234' } }));
    expect(e.message).toContain('alias.yaml:7:14: session.trading_provider_config.api_key: a secret cannot come from a YAML alias (*k)');
    expect(e.message).toContain('${BINANCE_API_KEY}');
    expect(e.message).not.toContain('LITERALKEYr4t5y6');
  });

  it('refuses an alias of an expanded variable anchored under a key that is not a secret', () => {
    const e = failure(() => parseConfigText(config('&k ${BINANCE_API_KEY}', '*k'), {
      file: 'alias.yaml', baseDir: '.', env: { BINANCE_API_KEY: 'env-key-5678', BINANCE_SECRET_KEY: 'env-secret-1234' },
    }));
    expect(e.message).toContain('a secret cannot come from a YAML alias');
    expect(e.message).not.toContain('env-key-5678');
  });

  it('still accepts the secret written as a reference', () => {
    const decoded = parseConfigText(config('s1', '${BINANCE_API_KEY}'), {
      file: 'ok.yaml', baseDir: '.', env: { BINANCE_API_KEY: 'env-key-5678', BINANCE_SECRET_KEY: 'env-secret-1234' },
    });
    expect(decoded.tradingProviderConfig).toMatchObject({ api_key: 'env-key-5678' });
  });
});
