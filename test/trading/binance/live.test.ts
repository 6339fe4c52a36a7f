import { describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../../src/errors.ts';
import {
  createTradingProvider, decodeTradingProviderConfig, getTradingProviderInfo, tradingProviderConfigJsonSchema,
} from '../../../src/trading/registry.ts';
import { API_KEY, SECRET } from './helpers.ts';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(isRealtimeError(e)).toBe(true);
    return e as { code: string; message: string };
  }
  throw new Error('expected a refusal');
};

describe('binance-paper and binance-live in the registry', () => {
  it('lists both as available, binance-live with the live switch in its schema', () => {
    expect(getTradingProviderInfo('binance-paper')).toMatchObject({ available: true, requiresAuth: true });
    expect(getTradingProviderInfo('binance-live')).toMatchObject({ available: true, requiresAuth: true });
    const live = tradingProviderConfigJsonSchema('binance-live') as { properties: Record<string, { default?: unknown }> };
    expect(live.properties['live']?.default).toBe(false);
    const paper = tradingProviderConfigJsonSchema('binance-paper') as { properties: Record<string, { default?: unknown }> };
    expect(paper.properties['live']).toBeUndefined();
    expect(decodeTradingProviderConfig('binance-live', { api_key: 'k', secret_key: 's' })).toMatchObject({ rest_url: 'https://api.binance.com', live: false });
  });

  it('decodes a config with its defaults', () => {
    expect(decodeTradingProviderConfig('binance-paper', { api_key: 'k', secret_key: 's' })).toEqual({
      api_key: 'k', secret_key: 's', rest_url: 'https://testnet.binance.vision', recv_window_ms: 5_000, poll_interval_ms: 1_000,
      quote_asset: 'USDT', requests_per_second: 10, request_timeout_ms: 10_000,
    });
    expect(refusal(() => decodeTradingProviderConfig('binance-paper', { api_key: 'k', secret_key: 's', recv_window_ms: 70_000 })).message).toContain('recv_window_ms');
    expect(refusal(() => decodeTradingProviderConfig('binance-paper', { api_key: 'k', secret_key: 's', live: true })).message).toContain('live');
  });

  it('refuses binance-live unless the config says live: true and the caller confirmed it', () => {
    const config = { api_key: API_KEY, secret_key: SECRET, rest_url: 'http://127.0.0.1:9' };
    const both = /needs both `live: true` in trading_provider_config and an explicit confirmation \(--live\)/;
    const neither = refusal(() => createTradingProvider('binance-live', config));
    expect(neither.code).toBe('CONFIG_INVALID');
    expect(neither.message).toMatch(both);
    expect(neither.message).toContain('the config does not say `live: true` and the command was not given --live');
    expect(refusal(() => createTradingProvider('binance-live', config, { liveConfirmed: true })).message).toMatch(/: the config does not say `live: true`$/);
    expect(refusal(() => createTradingProvider('binance-live', { ...config, live: true })).message).toMatch(/: the command was not given --live$/);
    expect(refusal(() => createTradingProvider('binance-live', { ...config, live: true }, { liveConfirmed: false })).code).toBe('CONFIG_INVALID');
    const provider = createTradingProvider('binance-live', { ...config, live: true }, { liveConfirmed: true });
    expect(provider.name).toBe('binance-live');
    expect(provider.isConnected()).toBe(false);
    expect(JSON.stringify(neither)).not.toContain(SECRET);
  });

  it('fails to connect with CONNECTION_FAILED when nothing listens at rest_url', async () => {
    const provider = createTradingProvider('binance-paper', { api_key: API_KEY, secret_key: SECRET, rest_url: 'http://127.0.0.1:9', request_timeout_ms: 200 });
    await expect(provider.connect()).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
  });
});
